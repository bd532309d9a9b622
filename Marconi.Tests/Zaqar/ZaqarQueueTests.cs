using System.Net;
using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>v2 contract 6 and 9.1: queues, their metadata (reserved keys, JSON patch), listing, stats and purge.</summary>
public sealed class ZaqarQueueTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    private const string V2Defaults =
        "\"_max_messages_post_size\":262144,\"_default_message_ttl\":3600,\"_default_message_delay\":0," +
        "\"_dead_letter_queue\":null,\"_dead_letter_queue_messages_ttl\":null,\"_max_claim_count\":null";

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task CreateStoresTheBodysMetadataOnlyWhenTheQueueIsNew(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var created = await client.PutAsync($"/{version}/queues/{queue}", """{"color": "red", "_custom": 1}""");
        await created.ShouldBeEmptyAsync(HttpStatusCode.Created);
        created.Location().Should().Be($"/{version}/queues/{queue}");

        var again = await client.PutAsync($"/{version}/queues/{queue}", """{"color": "blue"}""");
        await again.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        again.Location().Should().Be($"/{version}/queues/{queue}");

        var metadata = await (await client.GetAsync($"/v1.1/queues/{queue}")).ShouldBeJsonAsync();
        metadata.GetRawText().Should().Be("""{"color": "red", "_custom": 1}""");
        // v1 sees the same object as stored.
        (await (await client.GetAsync($"/v1/queues/{queue}/metadata")).ShouldBeJsonAsync()).GetProperty("color").GetString().Should().Be("red");
    }

    [Theory]
    [InlineData("""{"_default_message_ttl": 59}""")]
    [InlineData("""{"_default_message_ttl": 1209601}""")]
    [InlineData("""{"_default_message_ttl": "300"}""")]
    [InlineData("""{"_default_message_ttl": 300.5}""")]
    [InlineData("""{"_max_messages_post_size": 0}""")]
    [InlineData("""{"_max_messages_post_size": 262145}""")]
    [InlineData("""{"_default_message_delay": -1}""")]
    [InlineData("""{"_default_message_delay": 901}""")]
    [InlineData("""{"_max_claim_count": -1}""")]
    [InlineData("""{"_max_claim_count": true}""")]
    [InlineData("""{"_dead_letter_queue": 5}""")]
    [InlineData("""{"_dead_letter_queue": "bad name"}""")]
    [InlineData("""{"_dead_letter_queue_messages_ttl": 10}""")]
    [InlineData("""{"_enable_encrypt_messages": 1}""")]
    [InlineData("""{"_retry_policy": {"minimum_delay": 10, "maximum_delay": 15}}""")]
    [InlineData("""{"_retry_policy": {"retry_backoff_function": "cubic"}}""")]
    [InlineData("""{"_retry_policy": {"retries_with_no_delay": 101}}""")]
    [InlineData("""{"_retry_policy": {"maximum_delay": 86401}}""")]
    [InlineData("""{"_retry_policy": {"minimum_delay": -1}}""")]
    public async Task InvalidReservedValuesAreRefused(string metadata)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await (await client.PutAsync($"/v2/queues/{queue}", metadata)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        var stats = await (await client.GetAsync($"/v2/queues")).ShouldBeJsonAsync();
        stats.GetProperty("queues").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task AQueueMayNotBeItsOwnDeadLetterQueue()
    {
        using var client = factory.CreateV1Client();
        await (await client.PutAsync("/v2/queues/a", """{"_dead_letter_queue": "a"}"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Theory]
    [InlineData("[]", "Invalid request body")]
    [InlineData("not json", "Invalid request body")]
    public async Task CreateBodiesMustBeObjects(string body, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.PutAsync($"/v2/queues/{V1Client.NewQueueName()}", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task GetReturnsStoredMetadataInV1_1AndAddsReservedDefaultsInV2()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"color": "red", "_default_message_ttl": 300, "_max_claim_count": null}""");

        (await (await client.GetAsync($"/v1.1/queues/{queue}")).ShouldBeJsonAsync()).GetRawText()
            .Should().Be("""{"color": "red", "_default_message_ttl": 300, "_max_claim_count": null}""");
        var v2 = await (await client.GetAsync($"/v2/queues/{queue}")).ShouldBeJsonAsync();
        v2.GetProperty("color").GetString().Should().Be("red");
        v2.GetProperty("_default_message_ttl").GetInt32().Should().Be(300);
        v2.GetProperty("_max_messages_post_size").GetInt32().Should().Be(262144);
        v2.GetProperty("_default_message_delay").GetInt32().Should().Be(0);
        v2.GetProperty("_max_claim_count").ValueKind.Should().Be(JsonValueKind.Null);
        v2.Members().Should().HaveCount(7).And.NotContain("_enable_encrypt_messages");
    }

    [Fact]
    public async Task MissingQueuesAreLazy()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        (await (await client.GetAsync($"/v1.1/queues/{queue}")).ShouldBeJsonAsync()).GetRawText().Should().Be("{}");
        (await (await client.GetAsync($"/v2/queues/{queue}")).ShouldBeJsonAsync()).GetRawText().Should().Be("{" + V2Defaults + "}");
        var stats = await (await client.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync();
        stats.GetRawText().Should().Be("""{"messages":{"claimed":0,"free":0,"total":0}}""");
        await (await client.DeleteAsync($"/v2/queues/{queue}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task ListingPagesWithNextLinksAndAnEmptyPageIs200(string version)
    {
        using var client = factory.CreateV1Client();
        foreach (var name in new[] { "alpha", "beta", "gamma" })
        {
            await client.PutAsync($"/{version}/queues/{name}", """{"n": 1}""");
        }

        var first = await (await client.GetAsync($"/{version}/queues?limit=2&detailed=true")).ShouldBeJsonAsync();
        first.Members().Should().Equal("queues", "links");
        first.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()).Should().Equal("alpha", "beta");
        first.GetProperty("queues")[0].GetProperty("href").GetString().Should().Be($"/{version}/queues/alpha");
        first.GetProperty("queues")[0].GetProperty("metadata").GetProperty("n").GetInt32().Should().Be(1);
        var next = first.GetProperty("links")[0];
        next.GetProperty("rel").GetString().Should().Be("next");
        next.GetProperty("href").GetString().Should().Be($"/{version}/queues?marker=beta&limit=2&detailed=true");

        var second = await (await client.GetAsync(next.GetProperty("href").GetString()!)).ShouldBeJsonAsync();
        second.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()).Should().Equal("gamma");

        var empty = await (await client.GetAsync($"/{version}/queues?marker=zzz")).ShouldBeJsonAsync();
        empty.GetRawText().Should().Be("""{"queues":[],"links":[]}""");
    }

    [Theory]
    [InlineData("limit=0", "Invalid API request")]
    [InlineData("limit=-1", "Invalid API request")]
    [InlineData("limit=1001", "Invalid API request")]
    [InlineData("limit=x", "Invalid parameter")]
    [InlineData("detailed=maybe", "Invalid parameter")]
    public async Task BadListingParametersAre400(string query, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync($"/v2/queues?{query}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task V2FiltersByNameAndMetadataAndCounts()
    {
        using var client = factory.CreateV1Client();
        await client.PutAsync("/v2/queues/orders-eu", """{"region": "eu", "tier": 1}""");
        await client.PutAsync("/v2/queues/orders-us", """{"region": "us", "tier": 1}""");
        await client.PutAsync("/v2/queues/billing-eu", """{"region": "eu", "tier": 2}""");

        async Task<List<string?>> Names(string query) =>
            (await (await client.GetAsync("/v2/queues?" + query)).ShouldBeJsonAsync())
                .GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()).ToList();

        (await Names("name=orders")).Should().Equal("orders-eu", "orders-us");
        (await Names("region=eu")).Should().Equal("billing-eu", "orders-eu");
        (await Names("region=eu&tier=1")).Should().Equal("orders-eu");
        (await Names("tier=2")).Should().Equal("billing-eu");
        (await Names("name=orders&limit=1")).Should().Equal("orders-eu");

        var counted = await (await client.GetAsync("/v2/queues?name=billing&with_count=true")).ShouldBeJsonAsync();
        counted.GetProperty("count").GetInt64().Should().Be(3);
        counted.GetProperty("links")[0].GetProperty("href").GetString()
            .Should().Be("/v2/queues?marker=billing-eu&name=billing&with_count=true");

        using var other = factory.CreateV1Client();
        (await (await other.GetAsync("/v2/queues?with_count=true")).ShouldBeJsonAsync()).GetProperty("count").GetInt64().Should().Be(0);
        // v1.1 has no filters: unknown parameters are ignored.
        (await (await client.GetAsync("/v1.1/queues?region=us")).ShouldBeJsonAsync()).GetProperty("queues").GetArrayLength().Should().Be(3);
    }

    [Fact]
    public async Task StatsCountMessagesWithOldestAndNewestUnderTheVersionsPath()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostNumberedV2Async("v1.1", queue, 3);
        await client.ClaimV2Async("v1.1", queue, limit: 1);
        var stats = await (await client.GetAsync($"/v1.1/queues/{queue}/stats")).ShouldBeJsonAsync();
        var messages = stats.GetProperty("messages");
        messages.GetProperty("claimed").GetInt32().Should().Be(1);
        messages.GetProperty("free").GetInt32().Should().Be(2);
        messages.GetProperty("total").GetInt32().Should().Be(3);
        messages.GetProperty("oldest").Members().Should().Equal("age", "created", "href");
        messages.GetProperty("oldest").GetProperty("href").GetString().Should().Be($"/v1.1/queues/{queue}/messages/{ids[0]}");
        messages.GetProperty("newest").GetProperty("href").GetString().Should().Be($"/v1.1/queues/{queue}/messages/{ids[2]}");
    }

    [Fact]
    public async Task V2StatsCountDelayedMessagesOnlyWhenAskedWithinFree()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"_default_message_delay": 30}""");
        await client.PostV2Async("v2", queue, """[{"body": 0, "delay": 0}, {"body": 1}, {"body": 2}, {"body": 3, "delay": 90}]""");
        await client.ClaimV2Async("v2", queue, limit: 1);
        async Task<JsonElement> Stats(string version, string query = "") =>
            (await (await client.GetAsync($"/{version}/queues/{queue}/stats{query}")).ShouldBeJsonAsync()).GetProperty("messages");

        // The contract's members exactly, as v1.1 clients check them, unless the extension is asked for.
        string[] contract = ["claimed", "free", "total", "oldest", "newest"];
        (await Stats("v2")).Members().Should().Equal(contract);
        (await Stats("v2", "?include_delayed=false")).Members().Should().Equal(contract);
        var counted = await Stats("v2", "?include_delayed=true");
        counted.Members().Should().Equal("claimed", "free", "total", "delayed", "oldest", "newest");
        counted.GetProperty("claimed").GetInt32().Should().Be(1);
        counted.GetProperty("free").GetInt32().Should().Be(3, "delayed messages are still free");
        counted.GetProperty("total").GetInt32().Should().Be(4);
        counted.GetProperty("delayed").GetInt32().Should().Be(3);
        (await Stats("v2", "?include_delayed=on")).GetProperty("delayed").GetInt32().Should().Be(3);

        // Other versions have no such parameter; unknown parameters are ignored.
        (await Stats("v1.1", "?include_delayed=true")).Members().Should().Equal(contract);
        (await Stats("v1", "?include_delayed=true")).Members().Should().Equal(contract);

        factory.Clock.Advance(TimeSpan.FromSeconds(30));
        (await Stats("v2", "?include_delayed=1")).GetProperty("delayed").GetInt32().Should().Be(1);
        (await Stats("v2", "?include_delayed=")).Members().Should().Equal(contract, "an empty value is an absent one");

        var missing = await client.GetAsync($"/v2/queues/{V1Client.NewQueueName()}/stats?include_delayed=true");
        (await missing.ShouldBeJsonAsync()).GetRawText().Should().Be("""{"messages":{"claimed":0,"free":0,"total":0,"delayed":0}}""");
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("2")]
    [InlineData("TRUE")]
    public async Task AnInvalidIncludeDelayedIsRefusedByV2AndIgnoredByV1_1(string value)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostNumberedV2Async("v2", queue, 1);

        await (await client.GetAsync($"/v2/queues/{queue}/stats?include_delayed={value}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid parameter");
        (await (await client.GetAsync($"/v1.1/queues/{queue}/stats?include_delayed={value}")).ShouldBeJsonAsync())
            .GetProperty("messages").GetProperty("total").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task PatchAddsReplacesAndRemovesKeysAndAnswersTheResult()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"color": "red", "size": 3}""");
        var response = await client.PatchQueueAsync(queue, """
            [{"op": "add", "path": "/metadata/shape", "value": "round"},
             {"op": "replace", "path": "/metadata/color", "value": "blue"},
             {"op": "replace", "path": "/metadata/_default_message_ttl", "value": 300},
             {"op": "remove", "path": "/metadata/size"},
             {"op": "remove", "path": "/metadata/_max_claim_count"},
             {"op": "add", "path": "/METADATA/a~1b~0c", "value": null}]
            """);
        var result = await response.ShouldBeJsonAsync();
        result.GetProperty("color").GetString().Should().Be("blue");
        result.GetProperty("shape").GetString().Should().Be("round");
        result.GetProperty("_default_message_ttl").GetInt32().Should().Be(300);
        result.TryGetProperty("size", out _).Should().BeFalse();
        result.GetProperty("a/b~c").ValueKind.Should().Be(JsonValueKind.Null);
        var stored = await (await client.GetAsync($"/v1.1/queues/{queue}")).ShouldBeJsonAsync();
        stored.Members().Should().BeEquivalentTo("color", "shape", "_default_message_ttl", "a/b~c");

        (await client.PatchQueueAsync(queue, "[]")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task PatchNeedsItsMediaType()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}");
        var wrong = await client.PatchQueueAsync(queue, "[]", "application/json");
        await wrong.ShouldBeErrorAsync(HttpStatusCode.UnsupportedMediaType, "Unsupported media type");
        wrong.Headers.GetValues("Accept-Patch").Should().Equal(ZaqarClient.PatchType);
        (await client.PatchQueueAsync(queue, "[]", ZaqarClient.PatchType.ToUpperInvariant() + "; charset=utf-8"))
            .StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("{}", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("[1]", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("""[{"op": "move", "path": "/metadata/a"}]""", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("""[{"op": "add", "path": "/metadata/a"}]""", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("""[{"op": "add", "path": "/other/a", "value": 1}]""", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("""[{"op": "add", "path": "/metadata/a/b", "value": 1}]""", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("""[{"op": "add", "path": "/metadata/", "value": 1}]""", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("""[{"op": "add", "path": "/metadata/a~2", "value": 1}]""", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("""[{"op": "add", "path": "/metadata/_default_message_ttl", "value": 1}]""", HttpStatusCode.BadRequest, "Invalid request body")]
    [InlineData("""[{"op": "replace", "path": "/metadata/missing", "value": 1}]""", HttpStatusCode.Conflict, "Resource conflict")]
    [InlineData("""[{"op": "remove", "path": "/metadata/missing"}]""", HttpStatusCode.Conflict, "Resource conflict")]
    public async Task BadPatchesChangeNothing(string body, HttpStatusCode status, string title)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"keep": true}""");
        await (await client.PatchQueueAsync(queue, body)).ShouldBeErrorAsync(status, title);
        (await (await client.GetAsync($"/v1.1/queues/{queue}")).ShouldBeJsonAsync()).GetRawText().Should().Be("""{"keep": true}""");
    }

    [Fact]
    public async Task PatchingAMissingQueueIs404()
    {
        using var client = factory.CreateV1Client();
        await (await client.PatchQueueAsync(V1Client.NewQueueName(), "[]")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Fact]
    public async Task PurgeDeletesMessagesAndClaimsButKeepsMetadata()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"keep": 1}""");
        await client.PostNumberedV2Async("v2", queue, 4);
        var (claimId, _) = await client.ClaimV2Async("v2", queue, limit: 2);
        await client.SendAsync(client.Request(HttpMethod.Post, $"/v2/queues/{queue}/subscriptions", """{"subscriber": "http://127.0.0.1:1/hook"}"""));

        await (await client.PostAsync($"/v2/queues/{queue}/purge", """{"resource_types": ["messages"]}""")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        var stats = await (await client.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync();
        stats.GetProperty("messages").GetProperty("total").GetInt32().Should().Be(0);
        (await client.GetAsync($"/v2/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await (await client.GetAsync($"/v2/queues/{queue}/subscriptions")).ShouldBeJsonAsync()).GetProperty("subscriptions").GetArrayLength().Should().Be(1);

        await (await client.PostAsync($"/v2/queues/{queue}/purge", null)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await (await client.GetAsync($"/v2/queues/{queue}/subscriptions")).ShouldBeJsonAsync()).GetProperty("subscriptions").GetArrayLength().Should().Be(0);
        (await (await client.GetAsync($"/v1.1/queues/{queue}")).ShouldBeJsonAsync()).GetRawText().Should().Be("""{"keep": 1}""");
    }

    [Theory]
    [InlineData("""{"resource_types": ["queues"]}""", "Invalid API request")]
    [InlineData("""{"resource_types": "messages"}""", "Invalid API request")]
    [InlineData("""{}""", "Invalid API request")]
    [InlineData("""[]""", "Invalid request body")]
    public async Task BadPurgeBodiesAre400(string body, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.PostAsync($"/v2/queues/{V1Client.NewQueueName()}/purge", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }
}
