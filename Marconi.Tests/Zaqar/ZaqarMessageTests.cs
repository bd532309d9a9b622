using System.Net;
using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>v2 contract 7 and 9.2–9.4: posting, listing, getting, deleting and popping messages; delayed queues.</summary>
public sealed class ZaqarMessageTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task PostCreatesTheQueueAndAnswersResourcesAndLocation(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var response = await client.PostAsync($"/{version}/queues/{queue}/messages",
            """{"messages": [{"ttl": 300, "body": {"event": "BackupStarted"}}, {"body": "default ttl"}, {"ttl": 60, "body": [1, 2, 3]}]}""");
        var body = await response.ShouldBeJsonAsync(HttpStatusCode.Created);
        body.Members().Should().Equal("resources");
        var hrefs = body.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!).ToList();
        hrefs.Should().HaveCount(3).And.OnlyContain(h => h.StartsWith($"/{version}/queues/{queue}/messages/"));
        var ids = hrefs.Select(h => h.Split('/')[^1]).ToList();
        response.Location().Should().Be($"/{version}/queues/{queue}/messages?ids={string.Join(',', ids)}");

        var listed = await (await client.GetAsync(response.Location()!)).ShouldBeJsonAsync();
        var messages = listed.GetProperty("messages");
        messages.Ids().Should().Equal(ids);
        messages[0].Members().Should().Equal("id", "href", "ttl", "age", "body");
        messages[0].GetProperty("href").GetString().Should().Be(hrefs[0]);
        messages.EnumerateArray().Select(m => m.GetProperty("ttl").GetInt32()).Should().Equal(300, 3600, 60);
        messages.Bodies().Should().Equal("""{"event": "BackupStarted"}""", "\"default ttl\"", "[1, 2, 3]");
    }

    [Fact]
    public async Task V2PostsTakeTheQueuesDefaultTtlAndV1_1TheServers()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"_default_message_ttl": 120}""");
        var v2 = await client.PostV2Async("v2", queue, """[{"body": 1}]""");
        var v11 = await client.PostV2Async("v1.1", queue, """[{"body": 2}]""");
        var listed = await (await client.GetAsync($"/v2/queues/{queue}/messages?ids={v2[0]},{v11[0]}")).ShouldBeJsonAsync();
        listed.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("ttl").GetInt32()).Should().Equal(120, 3600);
    }

    [Theory]
    [InlineData("""[{"ttl": 60, "body": 1}]""", "Invalid API request")]
    [InlineData("""{"other": []}""", "Invalid API request")]
    [InlineData("""{"messages": []}""", "Invalid API request")]
    [InlineData("""{"messages": {}}""", "Invalid request body")]
    [InlineData("""{"messages": [1]}""", "Invalid request body")]
    [InlineData("""{"messages": [{"ttl": 60}]}""", "Invalid request body")]
    [InlineData("""{"messages": [{"ttl": "60", "body": 1}]}""", "Invalid request body")]
    [InlineData("""{"messages": [{"ttl": 59, "body": 1}]}""", "Invalid API request")]
    [InlineData("""{"messages": [{"ttl": 1209601, "body": 1}]}""", "Invalid API request")]
    [InlineData("not json", "Invalid request body")]
    public async Task BadPostsAre400AndCreateNothing(string body, string title)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await (await client.PostAsync($"/v2/queues/{queue}/messages", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
        (await (await client.GetAsync("/v2/queues")).ShouldBeJsonAsync()).GetProperty("queues").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task PostsAreLimitedByTheQueuesAndTheServersSize()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"_max_messages_post_size": 100}""");
        string Envelope(int size)
        {
            const string prefix = "{\"messages\": [{\"body\": \"";
            const string suffix = "\"}]}";
            return prefix + new string('x', size - prefix.Length - suffix.Length) + suffix;
        }

        (await client.PostAsync($"/v2/queues/{queue}/messages", Envelope(100))).StatusCode.Should().Be(HttpStatusCode.Created);
        await (await client.PostAsync($"/v2/queues/{queue}/messages", Envelope(101))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        // v1.1 ignores the queue's limit.
        (await client.PostAsync($"/v1.1/queues/{queue}/messages", Envelope(200))).StatusCode.Should().Be(HttpStatusCode.Created);
        await (await client.PostAsync($"/v1.1/queues/{queue}/messages", Envelope(262145))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task ListingIs200AlwaysAndClaimedMessagesNameTheirClaim(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        (await (await client.GetAsync($"/{version}/queues/{queue}/messages")).ShouldBeJsonAsync()).GetRawText()
            .Should().Be("""{"messages":[],"links":[]}""");
        var ids = await client.PostNumberedV2Async(version, queue, 3);
        var (claimId, _) = await client.ClaimV2Async(version, queue, limit: 1);

        using var reader = factory.CreateV1Client();
        reader.Project = client.Project;
        var page = await (await reader.GetAsync($"/{version}/queues/{queue}/messages?include_claimed=true&limit=2")).ShouldBeJsonAsync();
        var messages = page.GetProperty("messages");
        messages.Ids().Should().Equal(ids[0], ids[1]);
        messages[0].GetProperty("href").GetString().Should().Be($"/{version}/queues/{queue}/messages/{ids[0]}?claim_id={claimId}");
        messages[1].GetProperty("href").GetString().Should().Be($"/{version}/queues/{queue}/messages/{ids[1]}");
        var next = page.GetProperty("links")[0].GetProperty("href").GetString()!;
        next.Should().StartWith($"/{version}/queues/{queue}/messages?marker=").And.Contain("limit=2").And.Contain("include_claimed=true");
        (await (await reader.GetAsync(next)).ShouldBeJsonAsync()).GetProperty("messages").Ids().Should().Equal(ids[2]);

        (await (await client.GetAsync($"/{version}/queues/{queue}/messages")).ShouldBeJsonAsync()).GetProperty("messages")
            .GetArrayLength().Should().Be(0, "the poster's own messages are not echoed");
        (await (await client.GetAsync($"/{version}/queues/{queue}/messages/{ids[0]}")).ShouldBeJsonAsync())
            .GetProperty("href").GetString().Should().EndWith("?claim_id=" + claimId);
        (await (await client.GetAsync($"/{version}/queues/{queue}/messages?marker=bogus")).ShouldBeJsonAsync())
            .Members().Should().Equal("messages", "links");
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=30")]
    [InlineData("limit=-100")]
    [InlineData("limit=10000000000000000000")]
    [InlineData("limit=-10000000000000000000")]
    public async Task ListingLimitsAreChecked(string query)
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync($"/v2/queues/q/messages?{query}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task GettingByIdsIs404WhenNoneIsFound()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostNumberedV2Async("v2", queue, 2);
        var found = await (await client.GetAsync($"/v2/queues/{queue}/messages?ids={ids[1]},unknown,{ids[0]}")).ShouldBeJsonAsync();
        found.Members().Should().Equal("messages");
        found.GetProperty("messages").Ids().Should().Equal(ids[0], ids[1]);
        await (await client.GetAsync($"/v2/queues/{queue}/messages?ids=unknown")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await client.GetAsync($"/v2/queues/{queue}/messages?ids=" + string.Join(',', Enumerable.Range(0, 21))))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.GetAsync($"/v2/queues/{queue}/messages/unknown")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Fact]
    public async Task DeletingByIdsIgnoresUnknownIdsAndClaims()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var response = await client.PostAsync($"/v2/queues/{queue}/messages", """{"messages": [{"body": 1}, {"body": 2}]}""");
        await client.ClaimV2Async("v2", queue, limit: 1);
        await (await client.DeleteAsync(response.Location()! + ",unknown")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await (await client.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages").GetProperty("total").GetInt32().Should().Be(0);
    }

    [Theory]
    [InlineData("pop=x", "Invalid parameter")]
    [InlineData("pop=1&ids=a", "Invalid API request")]
    [InlineData("", "Invalid API request")]
    [InlineData("pop=0", "Invalid API request")]
    [InlineData("pop=-1", "Invalid API request")]
    [InlineData("pop=10000000", "Invalid API request")]
    [InlineData("ids=,,", "Invalid API request")]
    public async Task BadBulkDeletesAre400(string query, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.DeleteAsync($"/v2/queues/q/messages?{query}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task PopRemovesAndReturnsTheOldestClaimableMessages()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        (await (await client.DeleteAsync($"/v2/queues/{queue}/messages?pop=1")).ShouldBeJsonAsync()).GetRawText().Should().Be("""{"messages":[]}""");
        var ids = await client.PostNumberedV2Async("v2", queue, 4);
        await client.ClaimV2Async("v2", queue, limit: 1);

        var popped = await (await client.DeleteAsync($"/v2/queues/{queue}/messages?pop=2")).ShouldBeJsonAsync();
        var messages = popped.GetProperty("messages");
        messages.Ids().Should().Equal(ids[1], ids[2]);
        messages[0].Members().Should().Equal("id", "age", "ttl", "body", "claim_id", "claim_count");
        messages[0].GetProperty("claim_id").ValueKind.Should().Be(JsonValueKind.Null);
        messages[0].GetProperty("claim_count").GetInt32().Should().Be(0);
        var stats = await (await client.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync();
        stats.GetProperty("messages").GetProperty("total").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task DelayedMessagesAreHiddenUntilVisibleButCountedAndReadable()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"_default_message_delay": 30}""");
        var ids = await client.PostV2Async("v2", queue, """[{"body": "default delay"}, {"body": "no delay", "delay": 0}, {"body": "long", "delay": 90}]""");
        await (await client.PostAsync($"/v2/queues/{queue}/messages", """{"messages": [{"body": 1, "delay": 901}]}"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");

        using var reader = factory.CreateV1Client();
        reader.Project = client.Project;
        async Task<List<string>> Listed(string query = "") =>
            (await (await reader.GetAsync($"/v2/queues/{queue}/messages{query}")).ShouldBeJsonAsync()).GetProperty("messages").Ids();

        (await Listed()).Should().Equal(ids[1]);
        (await Listed("?include_delayed=true")).Should().Equal(ids);
        (await Listed("?include_delayed=true&limit=1&include_claimed=true")).Should().Equal(ids[0]);
        (await (await reader.GetAsync($"/v1/queues/{queue}/messages")).ShouldBeJsonAsync()).GetProperty("messages").GetArrayLength().Should().Be(1);
        (await (await reader.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages").GetProperty("free").GetInt32().Should().Be(3);
        (await reader.GetAsync($"/v2/queues/{queue}/messages/{ids[2]}")).StatusCode.Should().Be(HttpStatusCode.OK);

        var (_, claimed) = await reader.ClaimV2Async("v2", queue);
        claimed.Ids().Should().Equal(ids[1]);
        (await reader.PostAsync($"/v2/queues/{queue}/claims", "{}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await (await reader.DeleteAsync($"/v2/queues/{queue}/messages?pop=5")).ShouldBeJsonAsync()).GetProperty("messages").GetArrayLength().Should().Be(0);

        factory.Clock.Advance(TimeSpan.FromSeconds(30));
        (await (await reader.DeleteAsync($"/v2/queues/{queue}/messages?pop=5")).ShouldBeJsonAsync()).GetProperty("messages").Ids().Should().Equal(ids[0]);
        factory.Clock.Advance(TimeSpan.FromSeconds(60));
        (await Listed()).Should().Equal(ids[2]);
    }

    [Fact]
    public async Task DelayIsIgnoredOnQueuesWithoutOneAndInV1_1()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostV2Async("v2", queue, """[{"body": 1, "delay": "not even checked"}]""");
        await client.PutAsync($"/v2/queues/{queue}-d", """{"_default_message_delay": 30}""");
        await client.PostV2Async("v1.1", queue + "-d", """[{"body": 1, "delay": 5}]""");
        using var reader = factory.CreateV1Client();
        reader.Project = client.Project;
        (await (await reader.GetAsync($"/v2/queues/{queue}/messages")).ShouldBeJsonAsync()).GetProperty("messages").GetArrayLength().Should().Be(1);
        (await (await reader.GetAsync($"/v2/queues/{queue}-d/messages")).ShouldBeJsonAsync()).GetProperty("messages").GetArrayLength().Should().Be(1);
    }
}
