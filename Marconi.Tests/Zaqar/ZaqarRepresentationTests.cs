using System.Net;
using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>v2 contract 3: every representation has exactly its listed members, and 3.7 paging links.</summary>
public sealed class ZaqarRepresentationTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    private static string Href(JsonElement message) => message.GetProperty("href").GetString()!;

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task MessagesHaveExactlyTheirMembersAndClaimedOnesNameTheClaimEverywhere(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostNumberedV2Async(version, queue, 2);
        var (claimId, claimed) = await client.ClaimV2Async(version, queue, limit: 1);
        var claimedHref = $"/{version}/queues/{queue}/messages/{ids[0]}?claim_id={claimId}";
        var freeHref = $"/{version}/queues/{queue}/messages/{ids[1]}";

        claimed[0].Members().Should().Equal("id", "href", "ttl", "age", "body");
        Href(claimed[0]).Should().Be(claimedHref);

        var listed = (await (await client.GetAsync($"/{version}/queues/{queue}/messages?include_claimed=true&echo=true")).ShouldBeJsonAsync())
            .GetProperty("messages");
        listed.EnumerateArray().Select(Href).Should().Equal(claimedHref, freeHref);
        listed.EnumerateArray().Should().OnlyContain(m => m.Members().SequenceEqual(new[] { "id", "href", "ttl", "age", "body" }));

        var byIds = (await (await client.GetAsync($"/{version}/queues/{queue}/messages?ids={ids[1]},{ids[0]}")).ShouldBeJsonAsync());
        byIds.Members().Should().Equal("messages");
        byIds.GetProperty("messages").EnumerateArray().Select(Href).Should().Equal(claimedHref, freeHref);

        var one = await (await client.GetAsync($"/{version}/queues/{queue}/messages/{ids[0]}")).ShouldBeJsonAsync();
        one.Members().Should().Equal("id", "href", "ttl", "age", "body");
        Href(one).Should().Be(claimedHref);

        var claim = await (await client.GetAsync($"/{version}/queues/{queue}/claims/{claimId}")).ShouldBeJsonAsync();
        claim.Members().Should().BeEquivalentTo(["age", "ttl", "href", "messages"]);
        claim.GetProperty("href").GetString().Should().Be($"/{version}/queues/{queue}/claims/{claimId}");
        claim.GetProperty("messages").EnumerateArray().Select(Href).Should().Equal(claimedHref);

        // Once the claim is released the href has no query string.
        await (await client.DeleteAsync($"/{version}/queues/{queue}/claims/{claimId}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        Href(await (await client.GetAsync($"/{version}/queues/{queue}/messages/{ids[0]}")).ShouldBeJsonAsync())
            .Should().Be($"/{version}/queues/{queue}/messages/{ids[0]}");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task PoppedMessagesHaveNoHrefAndANullClaimId(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostNumberedV2Async(version, queue, 2);
        var (claimId, _) = await client.ClaimV2Async(version, queue, limit: 1);
        await client.DeleteAsync($"/{version}/queues/{queue}/claims/{claimId}");
        factory.Clock.Advance(TimeSpan.FromSeconds(5));
        var popped = await (await client.DeleteAsync($"/{version}/queues/{queue}/messages?pop=2")).ShouldBeJsonAsync();
        popped.Members().Should().Equal("messages");
        var messages = popped.GetProperty("messages");
        messages.Ids().Should().Equal(ids);
        foreach (var message in messages.EnumerateArray())
        {
            message.Members().Should().BeEquivalentTo(["id", "age", "ttl", "body", "claim_id", "claim_count"]);
            message.GetProperty("claim_id").ValueKind.Should().Be(JsonValueKind.Null);
            message.GetProperty("age").GetInt64().Should().Be(5);
            message.GetProperty("ttl").GetInt64().Should().Be(300);
        }

        messages.EnumerateArray().Select(m => m.GetProperty("claim_count").GetInt64()).Should().Equal(1, 0);
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task StatsHaveExactlyTheirMembers(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var empty = await (await client.GetAsync($"/{version}/queues/{queue}/stats")).ShouldBeJsonAsync();
        empty.GetRawText().Should().Be("""{"messages":{"claimed":0,"free":0,"total":0}}""");

        var ids = await client.PostNumberedV2Async(version, queue, 3);
        await client.ClaimV2Async(version, queue, limit: 1);
        var stats = (await (await client.GetAsync($"/{version}/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages");
        stats.Members().Should().BeEquivalentTo(["claimed", "free", "total", "oldest", "newest"]);
        stats.GetProperty("claimed").GetInt64().Should().Be(1);
        stats.GetProperty("free").GetInt64().Should().Be(2);
        stats.GetProperty("total").GetInt64().Should().Be(3);
        foreach (var (end, id) in new[] { ("oldest", ids[0]), ("newest", ids[2]) })
        {
            var item = stats.GetProperty(end);
            item.Members().Should().BeEquivalentTo(["age", "created", "href"]);
            item.GetProperty("href").GetString().Should().Be($"/{version}/queues/{queue}/messages/{id}");
            item.GetProperty("created").GetString().Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$");
            (await client.GetAsync(item.GetProperty("href").GetString()!)).StatusCode.Should().Be(HttpStatusCode.OK);
        }
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task QueueListingsHaveExactlyQueuesAndLinks(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/{version}/queues/{queue}", """{"color": "red"}""");
        var plain = await (await client.GetAsync($"/{version}/queues")).ShouldBeJsonAsync();
        plain.Members().Should().Equal("queues", "links");
        plain.GetProperty("queues")[0].Members().Should().Equal("name", "href");
        plain.GetProperty("links")[0].Members().Should().BeEquivalentTo(["rel", "href"]);

        var detailed = await (await client.GetAsync($"/{version}/queues?detailed=true")).ShouldBeJsonAsync();
        var item = detailed.GetProperty("queues")[0];
        item.Members().Should().BeEquivalentTo(["name", "href", "metadata"]);
        var metadata = item.GetProperty("metadata");
        var got = await (await client.GetAsync($"/{version}/queues/{queue}")).ShouldBeJsonAsync();
        metadata.Members().Should().BeEquivalentTo(got.Members());
        metadata.GetProperty("color").GetString().Should().Be("red");
        metadata.Members().Should().HaveCount(version == "v2" ? 7 : 1);
    }

    [Fact]
    public async Task WithCountAddsOnlyCountAlsoWhenZero()
    {
        using var client = factory.CreateV1Client();
        var none = await (await client.GetAsync("/v2/queues?with_count=true")).ShouldBeJsonAsync();
        none.Members().Should().Equal("queues", "links", "count");
        none.GetProperty("count").GetInt64().Should().Be(0);
        none.GetProperty("links").GetArrayLength().Should().Be(0);
        var v11 = await (await client.GetAsync("/v1.1/queues?with_count=true")).ShouldBeJsonAsync();
        v11.Members().Should().Equal("queues", "links");
    }

    [Theory]
    [InlineData("v1.1", "limit=2&echo=true&include_claimed=true", "limit=2&echo=true&include_claimed=true")]
    [InlineData("v2", "limit=2&echo=yes&include_claimed=1&include_delayed=on", "limit=2&echo=true&include_claimed=true&include_delayed=true")]
    [InlineData("v2", "limit=02&echo=True&include_delayed=n", "limit=2&echo=true&include_delayed=false")]
    [InlineData("v1.1", "include_delayed=true&limit=2&echo=true", "limit=2&echo=true")]
    public async Task MessageNextLinksCarryTheListingsParametersParsed(string version, string query, string carried)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostNumberedV2Async(version, queue, 3);
        await client.ClaimV2Async(version, queue, limit: 1);
        var path = $"/{version}/queues/{queue}/messages";
        var seen = new List<string>();
        var href = $"{path}?{query}";
        for (var page = 0; page < 5; page++)
        {
            var body = await (await client.GetAsync(href)).ShouldBeJsonAsync();
            body.Members().Should().Equal("messages", "links");
            var messages = body.GetProperty("messages");
            var links = body.GetProperty("links");
            if (messages.GetArrayLength() == 0)
            {
                links.GetArrayLength().Should().Be(0);
                break;
            }

            seen.AddRange(messages.Bodies());
            links.GetArrayLength().Should().Be(1);
            links[0].GetProperty("rel").GetString().Should().Be("next");
            href = links[0].GetProperty("href").GetString()!;
            href.Should().StartWith(path + "?");
            var parameters = href.Split('?')[1].Split('&').ToList();
            parameters.Should().ContainSingle(p => p.StartsWith("marker="));
            parameters.Where(p => !p.StartsWith("marker=")).Should().BeEquivalentTo(carried.Split('&'));
        }

        var echoed = carried.Contains("echo=true");
        var claimedToo = carried.Contains("include_claimed=true");
        seen.Should().Equal(new[] { "0", "1", "2" }.Where((_, i) => echoed && (claimedToo || i > 0)));
    }

    [Fact]
    public async Task SubscriptionNextLinksCarryLimitAndEndWithAnEmptyPage()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        foreach (var i in Enumerable.Range(0, 3))
        {
            (await client.PostAsync($"/v2/queues/{queue}/subscriptions", $$"""{"subscriber": "http://example.com/{{i}}"}""")).StatusCode
                .Should().Be(HttpStatusCode.Created);
        }

        var href = $"/v2/queues/{queue}/subscriptions?limit=2";
        var count = 0;
        for (var page = 0; page < 4; page++)
        {
            var body = await (await client.GetAsync(href)).ShouldBeJsonAsync();
            body.Members().Should().Equal("subscriptions", "links");
            var items = body.GetProperty("subscriptions");
            if (items.GetArrayLength() == 0)
            {
                body.GetProperty("links").GetArrayLength().Should().Be(0);
                break;
            }

            count += items.GetArrayLength();
            href = body.GetProperty("links")[0].GetProperty("href").GetString()!;
            href.Split('?')[1].Split('&').Should().Contain("limit=2").And.Contain(p => p.StartsWith("marker="));
        }

        count.Should().Be(3);
    }

    [Fact]
    public async Task PostsAnswerOnlyResourcesWithLocation()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var response = await client.PostAsync($"/v2/queues/{queue}/messages", """{"messages": [{"body": 1}]}""");
        (await response.ShouldBeJsonAsync(HttpStatusCode.Created)).Members().Should().Equal("resources");
        response.Content.Headers.ContentLocation.Should().BeNull();
    }
}
