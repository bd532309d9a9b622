using System.Net;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>v2 contract 13.1 with 6–10: every limit accepts its bound and refuses one past it.</summary>
public sealed class ZaqarLimitBoundaryTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Theory]
    [InlineData("v1.1", "/queues?limit=1", "/queues?limit=20", "/queues?limit=21")]
    [InlineData("v2", "/queues?limit=1", "/queues?limit=20", "/queues?limit=21")]
    [InlineData("v1.1", "/queues/q/messages?limit=1", "/queues/q/messages?limit=20", "/queues/q/messages?limit=21")]
    [InlineData("v2", "/queues/q/messages?limit=1&include_delayed=true", "/queues/q/messages?limit=20", "/queues/q/messages?limit=21")]
    [InlineData("v2", "/queues/q/subscriptions?limit=1", "/queues/q/subscriptions?limit=20", "/queues/q/subscriptions?limit=21")]
    public async Task PageLimitsAreOneToTheirMaximum(string version, string low, string high, string over)
    {
        using var client = factory.CreateV1Client();
        (await client.GetAsync($"/{version}{low}")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync($"/{version}{high}")).StatusCode.Should().Be(HttpStatusCode.OK);
        await (await client.GetAsync($"/{version}{over}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.GetAsync($"/{version}{low.Replace("limit=1", "limit=0")}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Theory]
    [InlineData("v2", "/queues/q/subscriptions?limit=x")]
    [InlineData("v1.1", "/queues/q/messages?echo=maybe")]
    [InlineData("v1.1", "/queues/q/messages?include_claimed=2")]
    [InlineData("v2", "/queues/q/messages?include_delayed=x")]
    [InlineData("v2", "/queues?with_count=x")]
    public async Task ParametersOfTheWrongTypeAreInvalidParameters(string version, string path)
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync($"/{version}{path}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid parameter");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task MessageTtlsAreSixtyToTheMaximum(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostV2Async(version, queue, """[{"ttl": 60, "body": 1}, {"ttl": 1209600, "body": 2}]""");
        foreach (var ttl in new[] { 59, 1209601, -1 })
        {
            await (await client.PostAsync($"/{version}/queues/{queue}/messages", $$"""{"messages": [{"ttl": {{ttl}}, "body": 1}]}"""))
                .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        }
    }

    [Fact]
    public async Task DelaysAreZeroToTheMaximum()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"_default_message_delay": 900}""");
        await client.PostV2Async("v2", queue, """[{"delay": 0, "body": 1}, {"delay": 900, "body": 2}]""");
        foreach (var delay in new[] { -1, 901 })
        {
            await (await client.PostAsync($"/v2/queues/{queue}/messages", $$"""{"messages": [{"delay": {{delay}}, "body": 1}]}"""))
                .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        }

        await (await client.PutAsync($"/v2/queues/{V1Client.NewQueueName()}", """{"_default_message_delay": 901}"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task ClaimLimitsTtlsAndGracesAtTheirBounds(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostNumberedV2Async(version, queue, 25);
        var claims = $"/{version}/queues/{queue}/claims";
        (await client.ClaimV2Async(version, queue, """{"ttl": 60, "grace": 60}""", limit: 1)).Messages.GetArrayLength().Should().Be(1);
        var (claimId, messages) = await client.ClaimV2Async(version, queue, """{"ttl": 43200, "grace": 43200}""", limit: 20);
        messages.GetArrayLength().Should().Be(20);
        foreach (var (query, body) in new[]
                 {
                     ("?limit=0", "{}"), ("?limit=21", "{}"), ("", """{"ttl": 59}"""), ("", """{"ttl": 43201}"""),
                     ("", """{"grace": 59}"""), ("", """{"grace": 43201}"""),
                 })
        {
            await (await client.PostAsync(claims + query, body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        }

        foreach (var body in new[] { """{"ttl": 60, "grace": 0}""", """{"ttl": 43200, "grace": 43200}""" })
        {
            await (await client.PatchAsync($"{claims}/{claimId}", body)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        }

        foreach (var body in new[] { """{"ttl": 59}""", """{"ttl": 43201}""", """{"grace": -1}""", """{"grace": 43201}""" })
        {
            await (await client.PatchAsync($"{claims}/{claimId}", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
            await (await client.PatchAsync($"{claims}/unknown", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        }

        await (await client.PatchAsync($"{claims}/unknown", "{}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task PopAndIdsAreOneToTwenty(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostNumberedV2Async(version, queue, 25);
        var path = $"/{version}/queues/{queue}/messages";
        (await (await client.DeleteAsync($"{path}?pop=1")).ShouldBeJsonAsync()).GetProperty("messages").Ids().Should().Equal(ids[0]);
        (await (await client.DeleteAsync($"{path}?pop=20")).ShouldBeJsonAsync()).GetProperty("messages").Ids().Should().Equal(ids[1..21]);
        await (await client.DeleteAsync($"{path}?pop=21")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");

        var rest = ids[21..];
        var twenty = string.Join(',', rest.Concat(Enumerable.Range(0, 16).Select(i => $"unknown{i}")));
        (await (await client.GetAsync($"{path}?ids={twenty}")).ShouldBeJsonAsync()).GetProperty("messages").Ids().Should().Equal(rest);
        await (await client.GetAsync($"{path}?ids={twenty},x")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.DeleteAsync($"{path}?ids={twenty},x")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        // Repeated parameters are concatenated before the count is checked (2.4).
        await (await client.DeleteAsync($"{path}?ids={twenty}&ids=x")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.DeleteAsync($"{path}?ids={twenty}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await (await client.GetAsync($"/{version}/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages").GetProperty("total").GetInt64().Should().Be(0);
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task QueueMetadataIsLimitedToItsMaximumBytes(string version)
    {
        using var client = factory.CreateV1Client();
        static string Metadata(int bytes) => $$"""{"k": "{{new string('x', bytes - 9)}}"}""";
        Metadata(65536).Length.Should().Be(65536);
        (await client.PutAsync($"/{version}/queues/{V1Client.NewQueueName()}", Metadata(65536))).StatusCode.Should().Be(HttpStatusCode.Created);
        await (await client.PutAsync($"/{version}/queues/{V1Client.NewQueueName()}", Metadata(65537)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task PatchedMetadataIsLimitedToItsMaximumBytes()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}");
        static string Patch(int bytes) => $$"""[{"op": "add", "path": "/metadata/k", "value": "{{new string('x', bytes - 51)}}"}]""";
        Patch(65536).Length.Should().Be(65536);
        (await client.PatchQueueAsync(queue, Patch(65536))).StatusCode.Should().Be(HttpStatusCode.OK);
        await (await client.PatchQueueAsync(queue, Patch(65537))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task PostBodiesAreLimitedToTheirExactSize(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        // Two messages whose envelope fills the limit exactly (7.1).
        static string Post(int bytes) =>
            $$"""{"messages": [{"body": "{{new string('a', 100)}}"}, {"body": "{{new string('b', bytes - 100 - 42)}}"}]}""";
        Post(262144).Length.Should().Be(262144);
        (await client.PostAsync($"/{version}/queues/{queue}/messages", Post(262144))).StatusCode.Should().Be(HttpStatusCode.Created);
        foreach (var over in new[] { 262145, 262154 })
        {
            await (await client.PostAsync($"/{version}/queues/{queue}/messages", Post(over))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        }
    }

    [Fact]
    public async Task SubscriptionTtlsStartAtSixty()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        (await client.PostAsync($"/v2/queues/{queue}/subscriptions", """{"subscriber": "http://example.com/a", "ttl": 60}""")).StatusCode
            .Should().Be(HttpStatusCode.Created);
        foreach (var ttl in new[] { "59", "-1", "60.0", "\"60\"", "true" })
        {
            await (await client.PostAsync($"/v2/queues/{queue}/subscriptions", $$"""{"subscriber": "http://example.com/b", "ttl": {{ttl}}}"""))
                .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        }
    }

    [Fact]
    public async Task QueueNamesAreOneToSixtyFourCharacters()
    {
        using var client = factory.CreateV1Client();
        (await client.PutAsync($"/v2/queues/{new string('a', 63)}_")).StatusCode.Should().Be(HttpStatusCode.Created);
        (await client.PutAsync("/v2/queues/a")).StatusCode.Should().Be(HttpStatusCode.Created);
        await (await client.PutAsync($"/v2/queues/{new string('a', 65)}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
    }
}
