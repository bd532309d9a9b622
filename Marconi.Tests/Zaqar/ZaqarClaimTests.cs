using System.Net;
using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>v2 contract 8 and 9.5: claims with defaults, and claim counts moving messages to dead-letter queues.</summary>
public sealed class ZaqarClaimTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Theory]
    [InlineData("v1.1", null)]
    [InlineData("v2", "{}")]
    [InlineData("v2", """{"grace": 100}""")]
    public async Task ClaimsDefaultToTtl300AndAnswerMessagesWithLocation(string version, string? body)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostNumberedV2Async(version, queue, 3);
        var response = await client.PostAsync($"/{version}/queues/{queue}/claims?limit=2", body);
        var created = await response.ShouldBeJsonAsync(HttpStatusCode.Created);
        created.Members().Should().Equal("messages");
        var claimId = response.Location()!.Split('/')[^1];
        response.Location().Should().Be($"/{version}/queues/{queue}/claims/{claimId}");
        var messages = created.GetProperty("messages");
        messages.Ids().Should().Equal(ids[0], ids[1]);
        messages[0].GetProperty("href").GetString().Should().Be($"/{version}/queues/{queue}/messages/{ids[0]}?claim_id={claimId}");

        var claim = await (await client.GetAsync(response.Location()!)).ShouldBeJsonAsync();
        claim.Members().Should().Equal("age", "ttl", "href", "messages");
        claim.GetProperty("ttl").GetInt32().Should().Be(300);
        claim.GetProperty("href").GetString().Should().Be(response.Location());
    }

    [Theory]
    [InlineData("limit=21", "{}", "Invalid API request")]
    [InlineData("limit=x", "{}", "Invalid parameter")]
    [InlineData("", """{"ttl": 59}""", "Invalid API request")]
    [InlineData("", """{"ttl": 43201}""", "Invalid API request")]
    [InlineData("", """{"grace": 59}""", "Invalid API request")]
    [InlineData("", """{"ttl": "60"}""", "Invalid request body")]
    [InlineData("", """{"ttl": 99999999999999999999}""", "Invalid request body")]
    [InlineData("", "[]", "Invalid request body")]
    public async Task BadClaimsAre400(string query, string body, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.PostAsync($"/v2/queues/q/claims?{query}", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task NothingToClaimIs204WithoutLocation()
    {
        using var client = factory.CreateV1Client();
        var response = await client.PostAsync($"/v2/queues/{V1Client.NewQueueName()}/claims", null);
        await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        response.Headers.Location.Should().BeNull();
    }

    [Fact]
    public async Task RenewalDefaultsAndItsErrors()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostNumberedV2Async("v2", queue, 1);
        var (claimId, _) = await client.ClaimV2Async("v2", queue, """{"ttl": 60, "grace": 60}""");
        var path = $"/v2/queues/{queue}/claims/{claimId}";
        await (await client.PatchAsync(path, "{}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await (await client.GetAsync(path)).ShouldBeJsonAsync()).GetProperty("ttl").GetInt32().Should().Be(300);
        await (await client.PatchAsync(path, """{"ttl": 120}""")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await (await client.GetAsync(path)).ShouldBeJsonAsync()).GetProperty("ttl").GetInt32().Should().Be(120);

        await (await client.PatchAsync(path, null)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
        await (await client.PatchAsync(path, """{"ttl": 10}""")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PatchAsync(path, """{"grace": -1}""")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PatchAsync($"/v2/queues/{queue}/claims/unknown", "{}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");

        await (await client.DeleteAsync(path)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.GetAsync(path)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await client.DeleteAsync(path)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task MessagesClaimedTooOftenMoveToTheDeadLetterQueue()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var dlq = queue + "-dead";
        await client.PutAsync($"/v2/queues/{queue}", $$"""{"_max_claim_count": 2, "_dead_letter_queue": "{{dlq}}", "_dead_letter_queue_messages_ttl": 120}""");
        var ids = await client.PostV2Async("v2", queue, """[{"body": "poison"}, {"body": "fine"}]""");

        // Claimed twice (the maximum), each time released.
        for (var i = 0; i < 2; i++)
        {
            var (claimId, messages) = await client.ClaimV2Async("v2", queue, limit: 1);
            messages.Ids().Should().Equal(ids[0]);
            await client.DeleteAsync($"/v2/queues/{queue}/claims/{claimId}");
        }

        // The third claim that reaches it moves it, and goes on to claim the next message.
        var (_, third) = await client.ClaimV2Async("v1.1", queue, limit: 1);
        third.Bodies().Should().Equal("\"fine\"");

        using var reader = factory.CreateV1Client();
        reader.Project = client.Project;
        var dead = await (await reader.GetAsync($"/v2/queues/{dlq}/messages")).ShouldBeJsonAsync();
        var moved = dead.GetProperty("messages");
        moved.Bodies().Should().Equal("\"poison\"");
        moved[0].GetProperty("ttl").GetInt32().Should().Be(120);
        (await (await reader.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages").GetProperty("total").GetInt32().Should().Be(1);

        var popped = await (await reader.DeleteAsync($"/v2/queues/{dlq}/messages?pop=1")).ShouldBeJsonAsync();
        popped.GetProperty("messages")[0].GetProperty("claim_count").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task AClaimCountBeyondAnyIntegerMeansNever()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", $$"""{"_max_claim_count": 4294967296, "_dead_letter_queue": "{{queue}}-dead"}""");
        await client.PostNumberedV2Async("v2", queue, 2);
        var (_, claimed) = await client.ClaimV2Async("v2", queue);
        claimed.GetArrayLength().Should().Be(2);
        (await (await client.GetAsync($"/v2/queues/{queue}-dead/stats")).ShouldBeJsonAsync())
            .GetProperty("messages").GetProperty("total").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task WithOnlyACountNothingMoves()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"_max_claim_count": 0}""");
        await client.PostNumberedV2Async("v2", queue, 1);
        var (claimId, _) = await client.ClaimV2Async("v2", queue);
        await client.DeleteAsync($"/v2/queues/{queue}/claims/{claimId}");
        var (_, again) = await client.ClaimV2Async("v2", queue);
        again.GetArrayLength().Should().Be(1);
    }

    [Fact]
    public async Task ExpiredClaimsFreeTheirMessages()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostNumberedV2Async("v2", queue, 1);
        var (claimId, _) = await client.ClaimV2Async("v2", queue, """{"ttl": 60, "grace": 60}""");
        (await client.PostAsync($"/v2/queues/{queue}/claims", "{}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        factory.Clock.Advance(TimeSpan.FromSeconds(61));
        await (await client.GetAsync($"/v2/queues/{queue}/claims/{claimId}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        (await client.PostAsync($"/v2/queues/{queue}/claims", "{}")).StatusCode.Should().Be(HttpStatusCode.Created);
    }
}
