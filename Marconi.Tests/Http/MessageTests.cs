using System.Net;
using System.Text;
using System.Text.Json;

namespace Marconi.Tests.Http;

/// <summary>Posting, listing, getting and deleting messages (contract 3.10–3.15, 5.2, 5.3).</summary>
public sealed class MessageTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task PostingMessagesIs201WithResourcesAndLocationInRequestOrder()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var response = await client.PostAsync($"/v1/queues/{queue}/messages",
            """[{"ttl":300,"body":{"event":"BackupStarted"}},{"ttl":60,"body":"plain string is fine"}]""");

        var body = await response.ShouldBeJsonAsync(HttpStatusCode.Created);
        body.Members().Should().BeEquivalentTo("resources", "partial");
        body.GetProperty("partial").GetBoolean().Should().BeFalse();
        var resources = body.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!).ToList();
        resources.Should().HaveCount(2).And.AllSatisfy(r => r.Should().StartWith($"/v1/queues/{queue}/messages/"));
        var ids = resources.Select(r => r.Split('/')[^1]).ToList();
        ids.Should().OnlyHaveUniqueItems().And.AllSatisfy(id => id.Should().MatchRegex("^[A-Za-z0-9_-]{1,64}$"));
        response.Location().Should().Be($"/v1/queues/{queue}/messages?ids={ids[0]},{ids[1]}");

        var got = await (await client.GetAsync(response.Location()!)).ShouldBeJsonAsync();
        got.EnumerateArray().Select(m => m.GetProperty("href").GetString()).Should().Equal(resources);
    }

    [Fact]
    public async Task AMessageHasExactlyHrefTtlAgeAndBody()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostMessagesAsync(queue, """[{"ttl":120,"body":{"event":"x","n":[1,2]},"extra":"ignored"}]""");
        factory.Clock.Advance(TimeSpan.FromSeconds(7));

        var response = await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}");
        var message = await response.ShouldBeJsonAsync();
        response.ContentLocation().Should().Be($"/v1/queues/{queue}/messages/{ids[0]}");
        message.Members().Should().BeEquivalentTo("href", "ttl", "age", "body");
        message.GetProperty("href").GetString().Should().Be($"/v1/queues/{queue}/messages/{ids[0]}");
        message.GetProperty("ttl").GetInt32().Should().Be(120);
        message.GetProperty("age").GetInt32().Should().Be(7);
        message.GetProperty("body").GetRawText().Should().Be("""{"event":"x","n":[1,2]}""");
    }

    [Theory]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("\"text\"")]
    [InlineData("[1,\"a\",{\"b\":null}]")]
    [InlineData("12345678901234567")]
    [InlineData("-9223372036854775808")]
    [InlineData("1.5e300")]
    [InlineData("0.1")]
    [InlineData("{\"deep\":{\"deeper\":[[[]]]}}")]
    [InlineData("\"caf\u00e9 \u2603\"")]
    public async Task MessageBodiesRoundTripAsTheSameJsonValue(string body)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostMessagesAsync(queue, $$"""[{"ttl":60,"body":{{body}}}]""");
        var message = await (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).ShouldBeJsonAsync();
        message.GetProperty("body").GetRawText().Should().Be(body);
    }

    [Fact]
    public async Task PostingWithoutClientIdIs400MissingHeaderValue()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        client.ClientId = null;
        await (await client.PostAsync($"/v1/queues/{queue}/messages", """[{"ttl":60,"body":1}]"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing header value");
    }

    [Fact]
    public async Task MissingClientIdIsReportedBeforeTheBody()
    {
        using var client = factory.CreateV1Client();
        client.ClientId = null;
        await (await client.PostAsync($"/v1/queues/{V1Client.NewQueueName()}/messages", "not json"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing header value");
    }

    [Theory]
    [InlineData("", "Invalid request body")]
    [InlineData("not json", "Invalid request body")]
    [InlineData("[{\"ttl\":60,\"body\":1}", "Invalid request body")]
    [InlineData("{\"ttl\":60,\"body\":1}", "Invalid request body")]
    [InlineData("\"text\"", "Invalid request body")]
    [InlineData("null", "Invalid request body")]
    [InlineData("[1]", "Invalid request body")]
    [InlineData("[{\"ttl\":60,\"body\":1}, \"x\"]", "Invalid request body")]
    [InlineData("[[{\"ttl\":60,\"body\":1}]]", "Invalid request body")]
    [InlineData("[{\"body\":1}]", "Invalid request body")]
    [InlineData("[{\"ttl\":60}]", "Invalid request body")]
    [InlineData("[{\"ttl\":60.0,\"body\":1}]", "Invalid request body")]
    [InlineData("[{\"ttl\":6e1,\"body\":1}]", "Invalid request body")]
    [InlineData("[{\"ttl\":\"60\",\"body\":1}]", "Invalid request body")]
    [InlineData("[{\"ttl\":true,\"body\":1}]", "Invalid request body")]
    [InlineData("[{\"ttl\":null,\"body\":1}]", "Invalid request body")]
    [InlineData("[{\"ttl\":60,\"body\":9223372036854775808}]", "Invalid request body")]
    [InlineData("[{\"ttl\":60,\"body\":{\"n\":-9223372036854775809}}]", "Invalid request body")]
    [InlineData("[{\"ttl\":99999999999999999999,\"body\":1}]", "Invalid request body")]
    [InlineData("[]", "Invalid API request")]
    [InlineData("[{\"ttl\":59,\"body\":1}]", "Invalid API request")]
    [InlineData("[{\"ttl\":1209601,\"body\":1}]", "Invalid API request")]
    [InlineData("[{\"ttl\":-60,\"body\":1}]", "Invalid API request")]
    [InlineData("[{\"ttl\":60,\"body\":1},{\"ttl\":0,\"body\":2}]", "Invalid API request")]
    public async Task InvalidMessagePostsAre400(string body, string title)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.PostAsync($"/v1/queues/{queue}/messages", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
        (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task InvalidUtf8BodyIs400()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var request = client.Request(HttpMethod.Post, $"/v1/queues/{queue}/messages");
        request.Content = new ByteArrayContent([.. "[{\"ttl\":60,\"body\":\""u8, 0xC3, 0x28, .. "\"}]"u8]);
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
    }

    [Fact]
    public async Task PostingWithoutBodyIs400()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.SendAsync(HttpMethod.Post, $"/v1/queues/{queue}/messages"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
    }

    [Theory]
    [InlineData(60)]
    [InlineData(1209600)]
    public async Task TtlBoundsAreInclusive(int ttl)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        (await client.PostAsync($"/v1/queues/{queue}/messages", $$"""[{"ttl":{{ttl}},"body":null}]"""))
            .StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task DuplicateKeysInAMessageDocumentTakeTheLastValue()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostMessagesAsync(queue, """[{"ttl":5,"ttl":90,"body":1,"body":2}]""");
        var message = await (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).ShouldBeJsonAsync();
        message.GetProperty("ttl").GetInt32().Should().Be(90);
        message.GetProperty("body").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task PostingToAMissingQueueIs404AfterValidationAndCreatesNothing()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await (await client.PostAsync($"/v1/queues/{queue}/messages", """[{"ttl":60,"body":1}]"""))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        (await client.GetAsync($"/v1/queues/{queue}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await (await client.PostAsync($"/v1/queues/{queue}/messages", """[{"ttl":1,"body":1}]"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task PostOfExactlyTheSizeLimitIsAcceptedAndOneByteMoreIsNot()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        (await client.PostAsync($"/v1/queues/{queue}/messages", MessagesOfSize(262144))).StatusCode.Should().Be(HttpStatusCode.Created);
        await (await client.PostAsync($"/v1/queues/{queue}/messages", MessagesOfSize(262145)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task ChunkedPostWithoutContentLengthIsLimitedByTheBytesRead()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();

        var exact = client.Request(HttpMethod.Post, $"/v1/queues/{queue}/messages");
        exact.Content = new ChunkedContent(Encoding.UTF8.GetBytes(MessagesOfSize(262144)));
        (await client.SendAsync(exact)).StatusCode.Should().Be(HttpStatusCode.Created);

        var over = client.Request(HttpMethod.Post, $"/v1/queues/{queue}/messages");
        over.Content = new ChunkedContent(Encoding.UTF8.GetBytes(MessagesOfSize(262145)));
        await (await client.SendAsync(over)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task EndlessChunkedPostIsRefusedBeforeItEnds()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var address = factory.ServerAddress;
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/queues/{queue}/messages HTTP/1.1\r\nHost: test\r\nX-Project-Id: {client.Project}\r\n" +
            $"Client-ID: {client.ClientId}\r\nTransfer-Encoding: chunked\r\n\r\n"));

        // Keep sending (never the final chunk) while the answer is awaited: a server that waited for
        // the end of the body would never answer. 16 MiB stays below Kestrel's own body limit.
        var chunk = Encoding.ASCII.GetBytes("10000\r\n" + new string(' ', 0x10000) + "\r\n");
        var reading = ReadHeadAsync(stream);
        for (var sent = 0; sent < 256 && !reading.IsCompleted; sent++)
        {
            try
            {
                await stream.WriteAsync(chunk);
            }
            catch (IOException)
            {
                break;
            }
        }

        var head = await reading.WaitAsync(TimeSpan.FromSeconds(20));
        head.Should().StartWith("HTTP/1.1 400").And.Contain("Invalid API request");
    }

    [Fact]
    public async Task TruncatedBodyIsA400NotA500AndStoresNothing()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();

        // The client half-closes mid-body; Kestrel then drops the connection, so the verdict is
        // read from the request log rather than from the socket.
        await factory.SendRawAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/queues/{queue}/messages HTTP/1.1\r\nHost: test\r\nX-Project-Id: {client.Project}\r\n" +
            $"Client-ID: {client.ClientId}\r\nContent-Length: 100\r\n\r\n[{{\"ttl\":60,\"body\":1}}]"), halfClose: true);

        // Kestrel reports the truncation either as a bad request (400) or, when it notices the
        // closed connection first, as an aborted request (logged as 499); never as a failure.
        var logged = await factory.Logs.WaitForRequestAsync($"/v1/queues/{queue}/messages");
        logged.Properties["StatusCode"].ToString().Should().BeOneOf("400", "499");
        (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task EmptyChunkedBodyIs400()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var request = client.Request(HttpMethod.Post, $"/v1/queues/{queue}/messages");
        request.Content = new ChunkedContent([]);
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
    }

    [Fact]
    public async Task ListingRequiresClientId()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        client.ClientId = null;
        await (await client.GetAsync($"/v1/queues/{queue}/messages"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing header value");
    }

    [Fact]
    public async Task ListingAMissingQueueIs204WithContentLocation()
    {
        using var client = factory.CreateV1Client();
        var path = $"/v1/queues/{V1Client.NewQueueName()}/messages?echo=true";
        var response = await client.GetAsync(path);
        await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        response.ContentLocation().Should().Be(path);
    }

    [Fact]
    public async Task ListingHidesTheCallersOwnMessagesUnlessEchoIsTrue()
    {
        using var producer = factory.CreateV1Client();
        var queue = await producer.CreateQueueAsync();
        await producer.PostNumberedAsync(queue, 2);
        using var consumer = factory.CreateV1Client();
        consumer.Project = producer.Project;

        await (await producer.GetAsync($"/v1/queues/{queue}/messages")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await producer.GetAsync($"/v1/queues/{queue}/messages?echo=false")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await (await producer.GetAsync($"/v1/queues/{queue}/messages?echo=true")).ShouldBeJsonAsync())
            .GetProperty("messages").GetArrayLength().Should().Be(2);
        (await (await consumer.GetAsync($"/v1/queues/{queue}/messages")).ShouldBeJsonAsync())
            .GetProperty("messages").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public async Task EchoComparesClientIdsAsUuidValues()
    {
        using var client = factory.CreateV1Client();
        client.ClientId = "3381af92-2b9e-11e3-b191-71861300734c";
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);

        client.ClientId = "{3381AF922B9E11E3B19171861300734C}";
        (await client.GetAsync($"/v1/queues/{queue}/messages")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ListingPagesInFifoOrderWithMarkersUntil204()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 5);
        ids.AddRange(await client.PostNumberedAsync(queue, 2));

        var seen = new List<string>();
        var uri = $"/v1/queues/{queue}/messages?echo=true&limit=3";
        var response = await client.GetAsync(uri);
        response.ContentLocation().Should().Be(uri);
        while (response.StatusCode == HttpStatusCode.OK)
        {
            var body = await response.ShouldBeJsonAsync();
            body.Members().Should().BeEquivalentTo("messages", "links");
            var page = body.GetProperty("messages").EnumerateArray().ToList();
            page.Count.Should().BeLessThanOrEqualTo(3);
            page.Should().AllSatisfy(m => m.Members().Should().BeEquivalentTo("href", "ttl", "age", "body"));
            seen.AddRange(page.Select(m => m.GetProperty("href").GetString()!.Split('/')[^1]));
            var next = body.GetProperty("links").EnumerateArray().Single().GetProperty("href").GetString()!;
            next.Should().StartWith($"/v1/queues/{queue}/messages?").And.Contain("marker=").And.Contain("limit=3").And.Contain("echo=true");
            response = await client.GetAsync(next);
        }

        await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        seen.Should().Equal(ids);
    }

    [Fact]
    public async Task ListingDefaultsToTenMessages()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 12);
        var body = await (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true")).ShouldBeJsonAsync();
        body.GetProperty("messages").GetArrayLength().Should().Be(10);
        body.GetProperty("links")[0].GetProperty("href").GetString().Should().NotContain("limit=");
    }

    [Fact]
    public async Task UninterpretableMarkerGivesAnEmptyPage()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 2);
        (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true&marker=not-a-marker")).StatusCode
            .Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ClaimedMessagesAreListedOnlyWithIncludeClaimed()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 3);
        await client.ClaimAsync(queue, limit: 2);

        var free = await (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true")).ShouldBeJsonAsync();
        free.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()!.Split('/')[^1])
            .Should().Equal(ids[2]);

        var all = await (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true&include_claimed=true")).ShouldBeJsonAsync();
        var hrefs = all.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()!).ToList();
        hrefs.Select(h => h.Split('/')[^1]).Should().Equal(ids);
        hrefs.Should().AllSatisfy(h => h.Should().NotContain("claim_id"));
        all.GetProperty("links")[0].GetProperty("href").GetString().Should().Contain("include_claimed=true");
    }

    [Fact]
    public async Task FiltersApplyBeforeTheLimit()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 3);
        var ids = await client.PostNumberedAsync(queue, 2);
        await client.ClaimAsync(queue, limit: 3);

        var page = await (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true&limit=2")).ShouldBeJsonAsync();
        page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()!.Split('/')[^1])
            .Should().Equal(ids);
    }

    [Theory]
    [InlineData("limit=abc", "Invalid parameter")]
    [InlineData("echo=maybe", "Invalid parameter")]
    [InlineData("include_claimed=2", "Invalid parameter")]
    [InlineData("limit=0", "Invalid API request")]
    [InlineData("limit=21", "Invalid API request")]
    [InlineData("limit=99999999999999999999", "Invalid API request")]
    [InlineData("limit=-99999999999999999999", "Invalid API request")]
    public async Task BadListingParametersAre400EvenOnAMissingQueue(string query, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync($"/v1/queues/{V1Client.NewQueueName()}/messages?{query}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Theory]
    [InlineData("echo=True")]
    [InlineData("echo=t")]
    [InlineData("echo=yes")]
    [InlineData("echo=y")]
    [InlineData("echo=1")]
    [InlineData("echo=on")]
    [InlineData("echo=maybe&echo=true")]
    [InlineData("ECHO=maybe&echo=true")]
    public async Task EchoAcceptsEveryTrueSpelling(string query)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);
        (await client.GetAsync($"/v1/queues/{queue}/messages?{query}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task GetManyReturnsABareArrayInFifoOrderWithoutDuplicates()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 3);
        await client.ClaimAsync(queue, limit: 1);
        client.ClientId = null;

        var path = $"/v1/queues/{queue}/messages?ids={ids[2]},{ids[0]},unknown&ids={ids[2]}&limit=abc&echo=maybe";
        var response = await client.GetAsync(path);
        var body = await response.ShouldBeJsonAsync();
        response.ContentLocation().Should().Be(path);
        body.ValueKind.Should().Be(JsonValueKind.Array);
        body.EnumerateArray().Select(m => m.GetProperty("href").GetString())
            .Should().Equal($"/v1/queues/{queue}/messages/{ids[0]}", $"/v1/queues/{queue}/messages/{ids[2]}");
        body.EnumerateArray().Should().AllSatisfy(m => m.Members().Should().BeEquivalentTo("href", "ttl", "age", "body"));
    }

    [Fact]
    public async Task GetManyIgnoresWhoPostedTheMessages()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        (await client.GetAsync($"/v1/queues/{queue}/messages?ids={ids[0]}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task GetManyOfUnknownIdsOrAMissingQueueIs204WithContentLocation()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var path = $"/v1/queues/{queue}/messages?ids=nope,also-nope";
        var response = await client.GetAsync(path);
        await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        response.ContentLocation().Should().Be(path);
        await (await client.GetAsync($"/v1/queues/{V1Client.NewQueueName()}/messages?ids=a")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("ids=,,")]
    [InlineData("ids=,&ids=,")]
    public async Task GetManyWithOnlyEmptyItemsIs400(string query)
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync($"/v1/queues/{V1Client.NewQueueName()}/messages?{query}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task GetManyAcceptsTwentyIdsButNotTwentyOneCountingDuplicates()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        var twenty = string.Join(",", Enumerable.Repeat(ids[0], 20));
        var body = await (await client.GetAsync($"/v1/queues/{queue}/messages?ids={twenty}")).ShouldBeJsonAsync();
        body.GetArrayLength().Should().Be(1);
        await (await client.GetAsync($"/v1/queues/{queue}/messages?ids={twenty}&ids={ids[0]}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Theory]
    [InlineData("ids=")]
    [InlineData("ids=&ids=")]
    public async Task EmptyValuedIdsMeansListing(string query)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);
        var body = await (await client.GetAsync($"/v1/queues/{queue}/messages?{query}&echo=true")).ShouldBeJsonAsync();
        body.Members().Should().BeEquivalentTo("messages", "links");
        client.ClientId = null;
        await (await client.GetAsync($"/v1/queues/{queue}/messages?{query}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing header value");
    }

    [Fact]
    public async Task GettingAMessageIgnoresItsClaimAndTheClaimIdParameter()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        var (claimId, _) = await client.ClaimAsync(queue);

        var path = $"/v1/queues/{queue}/messages/{ids[0]}?claim_id={claimId}";
        var response = await client.GetAsync(path);
        var message = await response.ShouldBeJsonAsync();
        response.ContentLocation().Should().Be(path);
        message.GetProperty("href").GetString().Should().Be($"/v1/queues/{queue}/messages/{ids[0]}");
    }

    [Theory]
    [InlineData("unknown-id")]
    [InlineData("!!")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000000000")]
    public async Task GettingAnUnknownMessageIs404(string id)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.GetAsync($"/v1/queues/{queue}/messages/{Uri.EscapeDataString(id)}"))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Fact]
    public async Task MessagesAreReachableOnlyThroughTheirQueueAndProject()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var other = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        using var stranger = factory.CreateV1Client();
        await stranger.CreateQueueAsync(queue);

        (await client.GetAsync($"/v1/queues/{other}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await stranger.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await (await stranger.DeleteAsync($"/v1/queues/{queue}/messages/{ids[0]}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await stranger.GetAsync($"/v1/queues/{queue}/messages?ids={ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DeletingAMessageIs204AndItIsGone()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[0]}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[0]}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task DeletingManyRequiresIds()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing parameter");
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages?ids=")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing parameter");
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages?ids=,")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        var many = string.Join(",", Enumerable.Range(0, 21).Select(i => $"id{i}"));
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages?ids={many}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task DeletingManyRemovesListedMessagesRegardlessOfClaims()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 3);
        var (claimId, _) = await client.ClaimAsync(queue, limit: 1);

        var response = await client.DeleteAsync($"/v1/queues/{queue}/messages?ids={ids[0]},{ids[1]},unknown");
        await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);

        (await client.GetAsync($"/v1/queues/{queue}/messages?ids={ids[0]},{ids[1]},{ids[2]}")).StatusCode.Should().Be(HttpStatusCode.OK);
        var left = await (await client.GetAsync($"/v1/queues/{queue}/messages?ids={ids[0]},{ids[1]},{ids[2]}")).JsonAsync();
        left.EnumerateArray().Select(m => m.GetProperty("href").GetString()!.Split('/')[^1]).Should().Equal(ids[2]);
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeletingManyOnAMissingQueueIs204()
    {
        using var client = factory.CreateV1Client();
        await (await client.DeleteAsync($"/v1/queues/{V1Client.NewQueueName()}/messages?ids=a,b")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ExpiredMessagesAreInvisibleEverywhere()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1, ttl: 60);
        factory.Clock.Advance(TimeSpan.FromSeconds(59));
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.OK);

        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/messages?ids={ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true&include_claimed=true")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await client.PostAsync($"/v1/queues/{queue}/claims", """{"ttl":60,"grace":60}""")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await (await client.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync()).GetProperty("messages").GetRawText()
            .Should().Be("""{"claimed":0,"free":0,"total":0}""");
        (await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    /// <summary>A one-message array of exactly <paramref name="size"/> bytes.</summary>
    internal static string MessagesOfSize(int size)
    {
        const string prefix = "[{\"ttl\":60,\"body\":\"";
        const string suffix = "\"}]";
        var json = prefix + new string('x', size - prefix.Length - suffix.Length) + suffix;
        Encoding.UTF8.GetByteCount(json).Should().Be(size);
        return json;
    }

    /// <summary>Reads until the end of the response head and a little of the body, or until the server closes.</summary>
    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, n);
                var text = Encoding.UTF8.GetString(received.ToArray());
                if (text.Contains("\r\n\r\n", StringComparison.Ordinal) && text.Contains('}'))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // A reset after the answer is fine.
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <summary>A body sent with chunked transfer encoding: its length is not known in advance.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
