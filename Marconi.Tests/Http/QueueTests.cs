using System.Net;
using System.Text.Json;

namespace Marconi.Tests.Http;

/// <summary>Queues, metadata and stats (contract 3.3–3.9), project isolation (1.3).</summary>
public sealed class QueueTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task CreatingANewQueueIs201WithLocationAndNoBody()
    {
        using var client = factory.CreateV1Client();
        var name = V1Client.NewQueueName();
        var response = await client.PutAsync($"/v1/queues/{name}");

        await response.ShouldBeEmptyAsync(HttpStatusCode.Created);
        response.Location().Should().Be($"/v1/queues/{name}");
    }

    [Fact]
    public async Task CreatingAnExistingQueueIs204WithLocationAndKeepsItsMetadata()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        (await client.PutAsync($"/v1/queues/{name}/metadata", """{"a":1}""")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var response = await client.PutAsync($"/v1/queues/{name}", """{"b":2}""");

        await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        response.Location().Should().Be($"/v1/queues/{name}");
        (await (await client.GetAsync($"/v1/queues/{name}/metadata")).JsonAsync()).GetRawText().Should().Be("""{"a":1}""");
    }

    [Fact]
    public async Task CreateQueueIgnoresItsBodyEvenWhenItIsNotJson()
    {
        using var client = factory.CreateV1Client();
        var name = V1Client.NewQueueName();
        (await client.PutAsync($"/v1/queues/{name}", "this is not json")).StatusCode.Should().Be(HttpStatusCode.Created);
        (await (await client.GetAsync($"/v1/queues/{name}/metadata")).JsonAsync()).GetRawText().Should().Be("{}");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("Zeta_1.x-y")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public async Task ValidQueueNamesAreAccepted(string name)
    {
        using var client = factory.CreateV1Client();
        (await client.PutAsync($"/v1/queues/{name}")).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData("bad!name")]
    [InlineData("sp%20ace")]
    [InlineData("tilde~")]
    [InlineData("a%2Bb")]
    public async Task InvalidQueueNamesAre400OnEveryQueueRoute(string name)
    {
        using var client = factory.CreateV1Client();
        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
                 {
                     (HttpMethod.Put, "", null), (HttpMethod.Get, "", null), (HttpMethod.Delete, "", null),
                     (HttpMethod.Get, "/metadata", null), (HttpMethod.Put, "/metadata", "{}"), (HttpMethod.Get, "/stats", null),
                     (HttpMethod.Post, "/messages", """[{"ttl":60,"body":1}]"""), (HttpMethod.Get, "/messages", null),
                     (HttpMethod.Delete, "/messages?ids=a", null), (HttpMethod.Get, "/messages/m", null),
                     (HttpMethod.Delete, "/messages/m", null), (HttpMethod.Post, "/claims", """{"ttl":60,"grace":60}"""),
                     (HttpMethod.Get, "/claims/c", null), (HttpMethod.Patch, "/claims/c", """{"ttl":60}"""),
                     (HttpMethod.Delete, "/claims/c", null),
                 })
        {
            var response = await client.SendAsync(method, $"/v1/queues/{name}{path}", body);
            await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
        }
    }

    [Fact]
    public async Task HeadOfAnInvalidQueueNameIs400WithoutBody()
    {
        using var client = factory.CreateV1Client();
        await (await client.HeadAsync("/v1/queues/bad!name")).ShouldBeEmptyAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task QueueExistsIs204OnGetAndHeadWithContentLocation()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            var response = await client.SendAsync(method, $"/v1/queues/{name}");
            await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
            response.ContentLocation().Should().Be($"/v1/queues/{name}");
        }
    }

    [Fact]
    public async Task MissingQueueIs404WithoutBodyOnGetAndHead()
    {
        using var client = factory.CreateV1Client();
        var name = V1Client.NewQueueName();
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            var response = await client.SendAsync(method, $"/v1/queues/{name}");
            await response.ShouldBeEmptyAsync(HttpStatusCode.NotFound);
            response.ContentLocation().Should().Be($"/v1/queues/{name}");
        }
    }

    [Fact]
    public async Task DeletingAQueueIs204WithoutBodyAndIdempotent()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        await (await client.DeleteAsync($"/v1/queues/{name}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await client.GetAsync($"/v1/queues/{name}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/v1/queues/{name}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task QueuesAreScopedByProject()
    {
        using var alice = factory.CreateV1Client();
        using var bob = factory.CreateV1Client();
        var name = await alice.CreateQueueAsync();

        (await bob.GetAsync($"/v1/queues/{name}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await bob.GetAsync("/v1/queues")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await bob.PutAsync($"/v1/queues/{name}")).StatusCode.Should().Be(HttpStatusCode.Created);
        (await bob.PutAsync($"/v1/queues/{name}/metadata", """{"owner":"bob"}""")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await (await alice.GetAsync($"/v1/queues/{name}/metadata")).JsonAsync()).GetRawText().Should().Be("{}");
    }

    [Fact]
    public async Task ProjectIdsAreCaseSensitive()
    {
        using var upper = factory.CreateV1Client();
        upper.Project = "CaseProject-" + Guid.NewGuid().ToString("N");
        using var lower = factory.CreateV1Client();
        lower.Project = upper.Project.ToLowerInvariant();
        var name = await upper.CreateQueueAsync();
        (await lower.GetAsync($"/v1/queues/{name}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TheDefaultNamespaceIsDistinctFromEveryProject()
    {
        using var anonymous = factory.CreateV1Client();
        anonymous.Project = null;
        using var projected = factory.CreateV1Client();
        var name = await anonymous.CreateQueueAsync();

        (await anonymous.GetAsync($"/v1/queues/{name}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await projected.GetAsync($"/v1/queues/{name}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await anonymous.DeleteAsync($"/v1/queues/{name}");
    }

    [Fact]
    public async Task ListingAnEmptyProjectIs204WithoutBody()
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync("/v1/queues")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task QueuesAreListedInOrdinalOrderWithExactMembers()
    {
        using var client = factory.CreateV1Client();
        foreach (var name in new[] { "alpha", "_x", "Zeta", "1x" })
        {
            await client.CreateQueueAsync(name);
        }

        var response = await client.GetAsync("/v1/queues");
        var body = await response.ShouldBeJsonAsync();
        response.ContentLocation().Should().Be("/v1/queues");
        body.Members().Should().BeEquivalentTo("queues", "links");
        var queues = body.GetProperty("queues").EnumerateArray().ToList();
        queues.Select(q => q.GetProperty("name").GetString()).Should().Equal("1x", "Zeta", "_x", "alpha");
        queues.Should().AllSatisfy(q => q.Members().Should().BeEquivalentTo("name", "href"));
        queues[0].GetProperty("href").GetString().Should().Be("/v1/queues/1x");
        var links = body.GetProperty("links").EnumerateArray().ToList();
        links.Should().ContainSingle();
        links[0].Members().Should().BeEquivalentTo("rel", "href");
        links[0].GetProperty("rel").GetString().Should().Be("next");
        links[0].GetProperty("href").GetString().Should().Be("/v1/queues?marker=alpha");
    }

    [Fact]
    public async Task QueueListPagesFollowTheNextLinkUntil204()
    {
        using var client = factory.CreateV1Client();
        var names = Enumerable.Range(0, 5).Select(i => $"page-{i}").ToList();
        foreach (var name in names)
        {
            await client.CreateQueueAsync(name);
        }

        var seen = new List<string>();
        var uri = "/v1/queues?limit=2&detailed=false";
        var first = await client.GetAsync(uri);
        first.ContentLocation().Should().Be("/v1/queues?limit=2&detailed=false");
        var response = first;
        while (response.StatusCode == HttpStatusCode.OK)
        {
            var body = await response.JsonAsync();
            var page = body.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()!).ToList();
            page.Count.Should().BeLessThanOrEqualTo(2);
            seen.AddRange(page);
            var next = body.GetProperty("links")[0].GetProperty("href").GetString()!;
            next.Should().StartWith("/v1/queues?").And.Contain("limit=2").And.Contain("detailed=false")
                .And.Contain($"marker={page[^1]}");
            response = await client.GetAsync(next);
        }

        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        seen.Should().Equal(names);
    }

    [Fact]
    public async Task QueueListMarkerNeedNotBeAnExistingName()
    {
        using var client = factory.CreateV1Client();
        foreach (var name in new[] { "aa", "bb", "cc" })
        {
            await client.CreateQueueAsync(name);
        }

        var body = await (await client.GetAsync("/v1/queues?marker=b")).ShouldBeJsonAsync();
        body.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()).Should().Equal("bb", "cc");
        await (await client.GetAsync("/v1/queues?marker=zz")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task DetailedListingIncludesEachQueuesMetadata()
    {
        using var client = factory.CreateV1Client();
        await client.CreateQueueAsync("plain");
        await client.CreateQueueAsync("withmeta");
        await client.PutAsync("/v1/queues/withmeta/metadata", """{"ttl":600,"nested":{"_k":[1,2]}}""");

        var body = await (await client.GetAsync("/v1/queues?detailed=true")).ShouldBeJsonAsync();
        var queues = body.GetProperty("queues").EnumerateArray().ToList();
        queues.Should().AllSatisfy(q => q.Members().Should().BeEquivalentTo("name", "href", "metadata"));
        queues[0].GetProperty("metadata").GetRawText().Should().Be("{}");
        queues[1].GetProperty("metadata").GetProperty("ttl").GetInt32().Should().Be(600);
        body.GetProperty("links")[0].GetProperty("href").GetString().Should().Contain("detailed=true");
    }

    [Theory]
    [InlineData("limit=abc", "Invalid parameter")]
    [InlineData("limit=1.5", "Invalid parameter")]
    [InlineData("detailed=maybe", "Invalid parameter")]
    [InlineData("limit=0", "Invalid API request")]
    [InlineData("limit=21", "Invalid API request")]
    [InlineData("limit=-1", "Invalid API request")]
    [InlineData("limit=99999999999999999999", "Invalid API request")]
    [InlineData("limit=abc&detailed=maybe", "Invalid parameter")]
    [InlineData("limit=5&limit=50", "Invalid API request")]
    public async Task BadQueueListParametersAre400(string query, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync($"/v1/queues?{query}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Theory]
    [InlineData("limit=20")]
    [InlineData("limit=1")]
    [InlineData("limit=")]
    [InlineData("limit=50&limit=5")]
    [InlineData("LIMIT=abc")]
    [InlineData("detailed=")]
    [InlineData("detailed=yes")]
    [InlineData("detailed=off")]
    [InlineData("unknown=1")]
    public async Task AcceptableQueueListParametersAreServed(string query)
    {
        using var client = factory.CreateV1Client();
        await client.CreateQueueAsync();
        (await client.GetAsync($"/v1/queues?{query}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task MetadataOfANewQueueIsAnEmptyObject()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        var response = await client.GetAsync($"/v1/queues/{name}/metadata");
        (await response.ShouldBeJsonAsync()).GetRawText().Should().Be("{}");
        response.ContentLocation().Should().Be($"/v1/queues/{name}/metadata");
    }

    [Fact]
    public async Task MetadataIsReplacedWholeAndReturnedAsSet()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        var first = await client.PutAsync($"/v1/queues/{name}/metadata", """{"messages":{"ttl":600},"keep":true}""");
        await first.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        first.Location().Should().Be($"/v1/queues/{name}/metadata");

        await client.PutAsync($"/v1/queues/{name}/metadata", """{"other":[1,2.5,"x",null]}""");

        var metadata = await (await client.GetAsync($"/v1/queues/{name}/metadata")).ShouldBeJsonAsync();
        metadata.Members().Should().Equal("other");
        metadata.GetProperty("other").GetRawText().Should().Be("""[1,2.5,"x",null]""");
    }

    [Fact]
    public async Task MetadataOfAMissingQueueIs404()
    {
        using var client = factory.CreateV1Client();
        var name = V1Client.NewQueueName();
        await (await client.GetAsync($"/v1/queues/{name}/metadata")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await client.PutAsync($"/v1/queues/{name}/metadata", "{}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Theory]
    [InlineData("[]", "Invalid request body")]
    [InlineData("""[{"a":1}]""", "Invalid request body")]
    [InlineData("\"text\"", "Invalid request body")]
    [InlineData("42", "Invalid request body")]
    [InlineData("null", "Invalid request body")]
    [InlineData("{", "Invalid request body")]
    [InlineData("{'a':1}", "Invalid request body")]
    [InlineData("", "Invalid request body")]
    [InlineData("""{"n":123456789012345678901234567890}""", "Invalid request body")]
    [InlineData("""{"_reserved":1}""", "Invalid API request")]
    [InlineData("""{"ok":1,"_reserved":1}""", "Invalid API request")]
    public async Task InvalidMetadataIs400(string body, string title)
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        await (await client.PutAsync($"/v1/queues/{name}/metadata", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task MetadataWithoutBodyIs400()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        await (await client.SendAsync(HttpMethod.Put, $"/v1/queues/{name}/metadata"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
    }

    [Fact]
    public async Task NestedUnderscoreKeysAndDuplicateKeysAreAllowedInMetadata()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        (await client.PutAsync($"/v1/queues/{name}/metadata", """{"a":{"_b":1},"n":1.5e3}""")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task MetadataOfExactlyTheLimitIsAcceptedAndOneByteMoreIsNot()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        var exact = JsonOfSize(65536);
        (await client.PutAsync($"/v1/queues/{name}/metadata", exact)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await (await client.GetAsync($"/v1/queues/{name}/metadata")).Content.ReadAsStringAsync()).Length.Should().BeGreaterThan(65000);

        await (await client.PutAsync($"/v1/queues/{name}/metadata", JsonOfSize(65537)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task MetadataSizeCountsWhitespaceAsSent()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        var padded = "{" + new string(' ', 65536) + "}";
        await (await client.PutAsync($"/v1/queues/{name}/metadata", padded))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task MetadataSizeIsCheckedBeforeTheQueueExists()
    {
        using var client = factory.CreateV1Client();
        await (await client.PutAsync($"/v1/queues/{V1Client.NewQueueName()}/metadata", JsonOfSize(70000)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task StatsOfAnEmptyQueueHaveOnlyCounts()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        var response = await client.GetAsync($"/v1/queues/{name}/stats");
        var body = await response.ShouldBeJsonAsync();
        response.ContentLocation().Should().Be($"/v1/queues/{name}/stats");
        body.Members().Should().Equal("messages");
        body.GetProperty("messages").GetRawText().Should().Be("""{"claimed":0,"free":0,"total":0}""");
    }

    [Fact]
    public async Task StatsCountClaimedAndFreeMessagesWithOldestAndNewest()
    {
        using var client = factory.CreateV1Client();
        var name = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(name, 3);
        factory.Clock.Advance(TimeSpan.FromSeconds(5));
        await client.ClaimAsync(name, limit: 1);

        var messages = (await (await client.GetAsync($"/v1/queues/{name}/stats")).ShouldBeJsonAsync()).GetProperty("messages");
        messages.Members().Should().BeEquivalentTo("claimed", "free", "total", "oldest", "newest");
        messages.GetProperty("claimed").GetInt64().Should().Be(1);
        messages.GetProperty("free").GetInt64().Should().Be(2);
        messages.GetProperty("total").GetInt64().Should().Be(3);
        foreach (var (member, id) in new[] { ("oldest", ids[0]), ("newest", ids[2]) })
        {
            var stamp = messages.GetProperty(member);
            stamp.Members().Should().BeEquivalentTo("age", "created", "href");
            stamp.GetProperty("href").GetString().Should().Be($"/v1/queues/{name}/messages/{id}");
            stamp.GetProperty("age").GetInt64().Should().Be(5);
            stamp.GetProperty("created").GetString().Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$");
        }
    }

    [Fact]
    public async Task StatsOfAMissingQueueAre404()
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync($"/v1/queues/{V1Client.NewQueueName()}/stats"))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    /// <summary>A JSON object of exactly <paramref name="size"/> bytes.</summary>
    internal static string JsonOfSize(int size)
    {
        const string prefix = "{\"k\":\"";
        const string suffix = "\"}";
        var json = prefix + new string('x', size - prefix.Length - suffix.Length) + suffix;
        JsonDocument.Parse(json).Dispose();
        return json;
    }
}
