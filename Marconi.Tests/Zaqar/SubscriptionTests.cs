using System.Net;
using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>v2 contract 10.1–10.2: subscription create, list, get, update, confirm, delete and expiry.</summary>
public sealed class SubscriptionTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    private static async Task<string> CreateAsync(V1Client client, string queue, string body)
    {
        var response = await client.PostAsync($"/v2/queues/{queue}/subscriptions", body);
        var created = await response.ShouldBeJsonAsync(HttpStatusCode.Created);
        response.Location().Should().Be($"/v2/queues/{queue}/subscriptions");
        created.Members().Should().Equal("subscription_id");
        return created.GetProperty("subscription_id").GetString()!;
    }

    [Fact]
    public async Task CreatingTwiceGivesTheSameIdAndCreatesTheQueue()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var id = await CreateAsync(client, queue, """{"subscriber": "http://example.com/hook", "ttl": 3600, "options": {"post_headers": {"X-Token": "s3cr3t"}}}""");
        id.Should().MatchRegex("^[A-Za-z0-9_-]{1,64}$");
        (await CreateAsync(client, queue, """{"subscriber": "http://example.com/hook", "ttl": 600}""")).Should().Be(id);
        (await (await client.GetAsync("/v2/queues")).ShouldBeJsonAsync()).GetProperty("queues")[0].GetProperty("name").GetString().Should().Be(queue);

        var subscription = await (await client.GetAsync($"/v2/queues/{queue}/subscriptions/{id}")).ShouldBeJsonAsync();
        subscription.Members().Should().Equal("id", "source", "subscriber", "ttl", "age", "options", "confirmed");
        subscription.GetProperty("source").GetString().Should().Be(queue);
        subscription.GetProperty("ttl").GetInt32().Should().Be(3600, "re-creating an unconfirmed subscription changes nothing");
        subscription.GetProperty("options").GetProperty("post_headers").GetProperty("X-Token").GetString().Should().Be("s3cr3t");
        subscription.GetProperty("confirmed").GetBoolean().Should().BeFalse();
    }

    [Theory]
    [InlineData(null, "Invalid API request")]
    [InlineData("{}", "Invalid API request")]
    [InlineData("""{"subscriber": "ftp://example.com"}""", "Invalid API request")]
    [InlineData("""{"subscriber": "mailto:a@example.com"}""", "Invalid API request")]
    [InlineData("""{"subscriber": "trust+http://example.com"}""", "Invalid API request")]
    [InlineData("""{"subscriber": "not a uri"}""", "Invalid API request")]
    [InlineData("""{"subscriber": "http://example.com", "ttl": 59}""", "Invalid API request")]
    [InlineData("""{"subscriber": "http://example.com", "ttl": "60"}""", "Invalid API request")]
    [InlineData("""{"subscriber": "http://example.com", "options": []}""", "Invalid API request")]
    [InlineData("""{"subscriber": "http://example.com", "options": {"_retry_policy": {"retry_backoff_function": "x"}}}""", "Invalid API request")]
    [InlineData("[]", "Invalid request body")]
    public async Task BadSubscriptionsAre400(string? body, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.PostAsync("/v2/queues/q/subscriptions", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task ListingPagesInCreationOrder()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        (await (await client.GetAsync($"/v2/queues/{queue}/subscriptions")).ShouldBeJsonAsync()).GetRawText()
            .Should().Be("""{"subscriptions":[],"links":[]}""");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await CreateAsync(client, queue, $$"""{"subscriber": "http://example.com/{{i}}"}"""));
        }

        var first = await (await client.GetAsync($"/v2/queues/{queue}/subscriptions?limit=2")).ShouldBeJsonAsync();
        first.GetProperty("subscriptions").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Should().Equal(ids[0], ids[1]);
        var next = first.GetProperty("links")[0].GetProperty("href").GetString()!;
        next.Should().Be($"/v2/queues/{queue}/subscriptions?marker={ids[1]}&limit=2");
        var second = await (await client.GetAsync(next)).ShouldBeJsonAsync();
        second.GetProperty("subscriptions").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Should().Equal(ids[2]);
        await (await client.GetAsync($"/v2/queues/{queue}/subscriptions?limit=21")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task UpdatingReplacesMembersAndRefusesConflictsAndOtherMembers()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var id = await CreateAsync(client, queue, """{"subscriber": "http://example.com/a", "options": {"x": 1}}""");
        await CreateAsync(client, queue, """{"subscriber": "http://example.com/b"}""");
        var path = $"/v2/queues/{queue}/subscriptions/{id}";

        var updated = await client.PatchAsync(path, """{"subscriber": "http://example.com/c", "ttl": 120, "options": {"y": 2}}""");
        await updated.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        updated.Location().Should().Be(path);
        var read = await (await client.GetAsync(path)).ShouldBeJsonAsync();
        read.GetProperty("subscriber").GetString().Should().Be("http://example.com/c");
        read.GetProperty("ttl").GetInt32().Should().Be(120);
        read.GetProperty("options").GetRawText().Should().Be("""{"y": 2}""");

        await (await client.PatchAsync(path, """{"subscriber": "http://example.com/b"}""")).ShouldBeErrorAsync(HttpStatusCode.Conflict, "Resource conflict");
        await (await client.PatchAsync(path, """{"confirmed": true}""")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Unable to update subscription");
        await (await client.PatchAsync(path, "{}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PatchAsync(path, null)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PatchAsync($"/v2/queues/{queue}/subscriptions/unknown", """{"ttl": 60}""")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Fact]
    public async Task ConfirmedSubscriptionsCannotBeCreatedAgain()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var id = await CreateAsync(client, queue, """{"subscriber": "http://example.com/a"}""");
        var path = $"/v2/queues/{queue}/subscriptions/{id}/confirm";
        await (await client.PutAsync(path, """{"confirmed": "yes"}""")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PutAsync($"/v2/queues/{queue}/subscriptions/unknown/confirm", """{"confirmed": true}""")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        var confirmed = await client.PutAsync(path, """{"confirmed": true}""");
        await confirmed.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        confirmed.Location().Should().Be(path);
        (await (await client.GetAsync($"/v2/queues/{queue}/subscriptions/{id}")).ShouldBeJsonAsync()).GetProperty("confirmed").GetBoolean().Should().BeTrue();

        var again = await client.PostAsync($"/v2/queues/{queue}/subscriptions", """{"subscriber": "http://example.com/a"}""");
        await again.ShouldBeErrorAsync(HttpStatusCode.Conflict, "Resource conflict");
        again.Location().Should().Be($"/v2/queues/{queue}/subscriptions");
    }

    [Fact]
    public async Task ExpiredSubscriptionsAreGoneAndDeleteIsIdempotent()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var shortLived = await CreateAsync(client, queue, """{"subscriber": "http://example.com/short", "ttl": 60}""");
        var patched = await CreateAsync(client, queue, """{"subscriber": "http://example.com/patched"}""");
        var longLived = await CreateAsync(client, queue, """{"subscriber": "http://example.com/long"}""");
        await client.PatchAsync($"/v2/queues/{queue}/subscriptions/{patched}", """{"ttl": 60}""");

        factory.Clock.Advance(TimeSpan.FromSeconds(61));
        await (await client.GetAsync($"/v2/queues/{queue}/subscriptions/{shortLived}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await client.GetAsync($"/v2/queues/{queue}/subscriptions/{patched}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        var listed = await (await client.GetAsync($"/v2/queues/{queue}/subscriptions")).ShouldBeJsonAsync();
        listed.GetProperty("subscriptions").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Should().Equal(longLived);

        await (await client.DeleteAsync($"/v2/queues/{queue}/subscriptions/{longLived}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.GetAsync($"/v2/queues/{queue}/subscriptions/{longLived}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await client.DeleteAsync($"/v2/queues/{queue}/subscriptions/{longLived}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task SubscriptionsOutliveTheirQueue()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var id = await CreateAsync(client, queue, """{"subscriber": "http://example.com/a"}""");
        await client.DeleteAsync($"/v2/queues/{queue}");
        (await client.GetAsync($"/v2/queues/{queue}/subscriptions/{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
