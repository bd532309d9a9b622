using System.Net;
using System.Text;
using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zmq;

/// <summary>Every action of contract Part II over a real ROUTER socket, with REQ and DEALER clients.</summary>
public sealed class ZmqTransportTests(MarconiZmqFactory factory) : IClassFixture<MarconiZmqFactory>
{
    private static string NewQueue() => V1Client.NewQueueName();

    [Fact]
    public void EveryActionWorksThroughAWholeCycle()
    {
        using var client = factory.CreateReqClient();
        var q = NewQueue();

        var created = client.Call("queue_create", new { queue_name = q });
        created.ShouldBeEmpty(201);
        created.Location().Should().Be($"/v1/queues/{q}");
        client.Call("queue_create", new { queue_name = q }).ShouldBeEmpty(204);
        client.Call("queue_exists", new { queue_name = q }).ShouldBeEmpty(204);

        var setMetadata = client.Call("queue_set_metadata", new { queue_name = q, metadata = new { ttl = 600 } });
        setMetadata.ShouldBeEmpty(204);
        setMetadata.Location().Should().Be($"/v1/queues/{q}/metadata");
        var metadata = client.Call("queue_get", new { queue_name = q });
        metadata.Status().Should().Be(200);
        metadata.Body().GetRawText().Should().Be("""{"ttl":600}""");

        var list = client.Call("queue_list", new { limit = 20, detailed = true });
        list.Status().Should().Be(200);
        list.Body().GetProperty("queues").EnumerateArray().Should().ContainSingle()
            .Which.GetRawText().Should().Be($$$"""{"name":"{{{q}}}","href":"/v1/queues/{{{q}}}","metadata":{"ttl":600}}""");
        list.Body().GetProperty("links")[0].GetProperty("href").GetString().Should().Be($"/v1/queues?marker={q}&limit=20&detailed=true");

        var posted = client.Call("message_post", new { queue_name = q, messages = new object[] { new { ttl = 300, body = new { n = 1 } }, new { ttl = 60, body = "two" } } });
        posted.Status().Should().Be(201);
        var hrefs = posted.Body().GetProperty("resources").EnumerateArray().Select(r => r.GetString()!).ToList();
        hrefs.Should().HaveCount(2).And.OnlyContain(h => h.StartsWith($"/v1/queues/{q}/messages/"));
        var ids = hrefs.Select(h => h.Split('/')[^1]).ToList();
        posted.Location().Should().Be($"/v1/queues/{q}/messages?ids={ids[0]},{ids[1]}");
        posted.Body().GetProperty("partial").GetBoolean().Should().BeFalse();

        var page = client.Call("message_list", new { queue_name = q, echo = true, limit = "5" });
        page.Status().Should().Be(200);
        page.Body().GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()).Should().Equal(hrefs);
        var next = page.Body().GetProperty("links")[0].GetProperty("href").GetString()!;
        next.Should().StartWith($"/v1/queues/{q}/messages?marker=").And.Contain("limit=5").And.Contain("echo=true");
        var marker = next.Split("marker=")[1].Split('&')[0];
        client.Call("message_list", new { queue_name = q, echo = true, marker }).ShouldBeEmpty(204);
        client.Call("message_list", new { queue_name = q }).ShouldBeEmpty(204); // echo off: own messages hidden

        var many = client.Call("message_get_many", new { queue_name = q, message_ids = new[] { ids[1], "unknown", ids[0] } });
        many.Status().Should().Be(200);
        many.Body().EnumerateArray().Select(m => m.GetProperty("href").GetString()).Should().Equal(hrefs);
        var one = client.Call("message_get", new { queue_name = q, message_id = ids[1] });
        one.Status().Should().Be(200);
        one.Body().GetRawText().Should().MatchRegex($$"""^\{"href":"{{hrefs[1]}}","ttl":60,"age":\d+,"body":"two"\}$""");

        var stats = client.Call("queue_get_stats", new { queue_name = q });
        stats.Status().Should().Be(200);
        stats.Body().GetProperty("messages").GetProperty("total").GetInt32().Should().Be(2);

        var claim = client.Call("claim_create", new { queue_name = q, ttl = 120, grace = 60, limit = 1 });
        claim.Status().Should().Be(201);
        var claimHref = claim.Location()!;
        claimHref.Should().StartWith($"/v1/queues/{q}/claims/");
        var claimId = claimHref.Split('/')[^1];
        claim.Body().EnumerateArray().Should().ContainSingle()
            .Which.GetProperty("href").GetString().Should().Be($"{hrefs[0]}?claim_id={claimId}");

        var read = client.Call("claim_get", new { queue_name = q, claim_id = claimId });
        read.Status().Should().Be(200);
        read.Body().EnumerateObject().Select(p => p.Name).Should().Equal("age", "ttl", "href", "messages");
        read.Body().GetProperty("href").GetString().Should().Be(claimHref);
        client.Call("claim_update", new { queue_name = q, claim_id = claimId, ttl = 300 }).ShouldBeEmpty(204);
        client.Call("claim_get", new { queue_name = q, claim_id = claimId }).Body().GetProperty("ttl").GetInt32().Should().Be(300);

        client.Call("message_delete", new { queue_name = q, message_id = ids[0] }).ShouldBeError(403, "Unable to delete");
        client.Call("message_delete", new { queue_name = q, message_id = ids[0], claim_id = claimId }).ShouldBeEmpty(204);
        client.Call("claim_delete", new { queue_name = q, claim_id = claimId }).ShouldBeEmpty(204);
        client.Call("message_delete_many", new { queue_name = q, message_ids = new[] { ids[1] } }).ShouldBeEmpty(204);
        client.Call("message_get", new { queue_name = q, message_id = ids[1] }).ShouldBeError(404, "Not found");

        client.Call("queue_delete", new { queue_name = q }).ShouldBeEmpty(204);
        client.Call("queue_exists", new { queue_name = q }).ShouldBeEmpty(404);
        client.Call("queue_get", new { queue_name = q }).ShouldBeError(404, "Not found");
    }

    [Fact]
    public void NodeActionsAnswerLikeTheirHttpTwins()
    {
        using var client = factory.CreateReqClient();
        var home = client.Call("get_home_doc");
        home.Status().Should().Be(200);
        home.Body().GetProperty("resources").GetProperty("rel/queues").GetProperty("href-template").GetString()
            .Should().Be("/v1/queues{?marker,limit,detailed}");
        client.Call("check_node_health").ShouldBeEmpty(204);
        client.Call("ping_node").ShouldBeEmpty(204);
    }

    [Fact]
    public void RepliesEchoTheActionAndHeadersButNotTheBody()
    {
        using var client = factory.CreateReqClient();
        var headers = new Dictionary<string, string> { ["X-Project-ID"] = client.Project, ["X-Request-ID"] = "42", ["User-Agent"] = "tests" };
        var reply = client.Call("queue_exists", new { queue_name = NewQueue() }, headers);

        var request = reply.GetProperty("request");
        request.EnumerateObject().Select(p => p.Name).Should().Equal("action", "headers", "api");
        request.GetProperty("action").GetString().Should().Be("queue_exists");
        request.GetProperty("api").GetString().Should().Be("v1");
        request.GetProperty("headers").GetRawText().Should().Be(JsonSerializer.Serialize(headers));
        reply.EnumerateObject().Select(p => p.Name).Should().Equal("request", "headers", "body");
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    [InlineData("\"a string\"")]
    [InlineData("{\"action\":")]
    public void PayloadsThatAreNotJsonObjectsAreInvalidRequestsWithANullRequest(string payload)
    {
        using var client = factory.CreateReqClient();
        client.Send(payload);
        var reply = client.Receive();
        reply.ShouldBeError(400, "Invalid request");
        reply.GetProperty("request").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public void InvalidUtf8IsAnInvalidRequest()
    {
        using var client = factory.CreateReqClient();
        client.Send([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        client.Receive().ShouldBeError(400, "Invalid request");
    }

    [Theory]
    [InlineData("""{"action":"ping_node","headers":[]}""")]
    [InlineData("""{"action":"ping_node","headers":{"X-Project-ID":5}}""")]
    [InlineData("""{"action":"ping_node","body":[]}""")]
    [InlineData("""{"action":"ping_node","body":null}""")]
    [InlineData("""{"action":"ping_node","api":"v3"}""")]
    [InlineData("""{"action":"ping_node","api":1}""")]
    [InlineData("""{"action":"no_such_action","headers":"x"}""")]
    public void MalformedEnvelopesAreInvalidRequests(string payload)
    {
        using var client = factory.CreateReqClient();
        client.Send(payload);
        client.Receive().ShouldBeError(400, "Invalid request");
    }

    [Fact]
    public void OptionalEnvelopeMembersMayBeLeftOut()
    {
        using var client = factory.CreateReqClient();
        client.Send("""{"action":"ping_node"}""");
        var reply = client.Receive();
        reply.ShouldBeEmpty(204);
        reply.GetProperty("request").GetRawText().Should().Be("""{"action":"ping_node","headers":{},"api":"v1"}""");
        client.Send("""{"action":"ping_node","api":"v1","extra":true}""");
        client.Receive().ShouldBeEmpty(204);
    }

    [Theory]
    [InlineData("""{"headers":{}}""", "\"action\" is required and must be a string.")]
    [InlineData("""{"action":7}""", "\"action\" is required and must be a string.")]
    [InlineData("""{"action":"queue_purge","headers":{}}""", "queue_purge is not a valid action.")]
    [InlineData("""{"action":"Queue_Create","headers":{}}""", "Queue_Create is not a valid action.")]
    public void UnknownActionsAreInvalidActions(string payload, string description)
    {
        using var client = factory.CreateReqClient();
        client.Send(payload);
        var reply = client.Receive();
        reply.ShouldBeError(400, "Invalid action");
        reply.Body().GetProperty("description").GetString().Should().Be(description);
    }

    [Fact]
    public void PayloadsOverTheFrameLimitAreRefusedUnparsed()
    {
        using var client = factory.CreateReqClient();
        var limit = 262144 + 65536;
        var padding = new string(' ', limit - """{"action":"ping_node"}""".Length);
        client.Send("""{"action":"ping_node"}""" + padding);
        client.Receive().ShouldBeEmpty(204);

        client.Send("""{"action":"ping_node"}""" + padding + " ");
        var reply = client.Receive();
        reply.ShouldBeError(400, "Request too large");
        reply.GetProperty("request").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public void HeadersAreCheckedBeforeParametersClientIdFirst()
    {
        using var client = factory.CreateReqClient();
        var badBoth = new Dictionary<string, string> { ["x-project-id"] = "", ["client-id"] = "nope" };
        client.Call("message_post", new { }, badBoth).ShouldBeError(400, "Wrong UUID value");
        var emptyProject = new Dictionary<string, string> { ["X-PROJECT-ID"] = "" };
        client.Call("message_post", new { }, emptyProject).ShouldBeError(400, "Empty project header not allowed");
    }

    [Fact]
    public void ParametersAreCheckedForPresenceAndTypeBeforeTheQueueName()
    {
        using var client = factory.CreateReqClient();
        client.Call("queue_create", new { }).ShouldBeError(400, "Missing parameter");
        client.Call("queue_create", new { queue_name = 5 }).ShouldBeError(400, "Invalid parameter");
        client.Call("message_get", new { queue_name = "bad name!" }).ShouldBeError(400, "Missing parameter");
        client.Call("message_get", new { queue_name = "bad name!", message_id = "x" }).ShouldBeError(400, "Invalid queue identification");
        client.Call("message_post", new { queue_name = "q" }).ShouldBeError(400, "Missing parameter");
        client.Call("queue_set_metadata", new { queue_name = "q" }).ShouldBeError(400, "Missing parameter");
        client.Call("message_get_many", new { queue_name = "q", message_ids = "a,b" }).ShouldBeError(400, "Invalid parameter");
        client.Call("message_get_many", new { queue_name = "q", message_ids = new object[] { "a", 1 } }).ShouldBeError(400, "Invalid parameter");
        client.Call("message_delete_many", new { queue_name = "q" }).ShouldBeError(400, "Missing parameter");
        client.Call("message_delete", new { queue_name = "q", message_id = "a", claim_id = 3 }).ShouldBeError(400, "Invalid parameter");
        client.Call("queue_list", new { marker = 5 }).ShouldBeError(400, "Invalid parameter");
        client.Call("claim_get", new { queue_name = "q" }).ShouldBeError(400, "Missing parameter");
    }

    [Fact]
    public void QueryDerivedParametersAcceptJsonValuesOrTheirHttpSpelling()
    {
        using var client = factory.CreateReqClient();
        client.CallRaw("queue_list", """{"limit":"abc"}""").ShouldBeError(400, "Invalid parameter");
        client.CallRaw("queue_list", """{"limit":5.5}""").ShouldBeError(400, "Invalid parameter");
        client.CallRaw("queue_list", """{"limit":true}""").ShouldBeError(400, "Invalid parameter");
        client.CallRaw("queue_list", """{"limit":0}""").ShouldBeError(400, "Invalid API request");
        client.CallRaw("queue_list", """{"limit":99999999999999999999}""").ShouldBeError(400, "Invalid API request");
        client.CallRaw("queue_list", """{"limit":"21"}""").ShouldBeError(400, "Invalid API request");
        client.CallRaw("queue_list", """{"detailed":"maybe"}""").ShouldBeError(400, "Invalid parameter");
        client.CallRaw("queue_list", """{"detailed":1}""").ShouldBeError(400, "Invalid parameter");
        client.CallRaw("queue_list", """{"limit":"5","detailed":"yes"}""").ShouldBeEmpty(204);
        client.CallRaw("queue_list", """{"limit":5,"detailed":false,"marker":null}""").ShouldBeEmpty(204);
        client.CallRaw("message_list", """{"queue_name":"q","echo":"maybe"}""").ShouldBeError(400, "Invalid parameter");
        client.CallRaw("message_list", """{"queue_name":"q","include_claimed":"on"}""").ShouldBeEmpty(204);
    }

    [Fact]
    public void MessageAndClaimContentUseTheHttpTitles()
    {
        using var client = factory.CreateReqClient();
        var q = NewQueue();
        client.Call("queue_create", new { queue_name = q }).Status().Should().Be(201);

        client.CallRaw("message_post", $$$"""{"queue_name":"{{{q}}}","messages":{}}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("message_post", $$"""{"queue_name":"{{q}}","messages":[]}""").ShouldBeError(400, "Invalid API request");
        client.CallRaw("message_post", $$"""{"queue_name":"{{q}}","messages":[1]}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("message_post", $$"""{"queue_name":"{{q}}","messages":[{"ttl":60.0,"body":1}]}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("message_post", $$"""{"queue_name":"{{q}}","messages":[{"ttl":59,"body":1}]}""").ShouldBeError(400, "Invalid API request");
        client.CallRaw("message_post", $$"""{"queue_name":"{{q}}","messages":[{"ttl":60,"body":9223372036854775808}]}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("queue_set_metadata", $$"""{"queue_name":"{{q}}","metadata":[]}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("queue_set_metadata", $$"""{"queue_name":"{{q}}","metadata":"x"}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("queue_set_metadata", $$$"""{"queue_name":"{{{q}}}","metadata":{"_x":1}}""").ShouldBeError(400, "Invalid API request");
        client.CallRaw("claim_create", $$"""{"queue_name":"{{q}}","grace":60}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("claim_create", $$"""{"queue_name":"{{q}}","ttl":"60","grace":60}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("claim_create", $$"""{"queue_name":"{{q}}","ttl":60,"grace":null}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("claim_create", $$"""{"queue_name":"{{q}}","ttl":60,"grace":60,"limit":21}""").ShouldBeError(400, "Invalid API request");
        client.CallRaw("claim_create", $$"""{"queue_name":"{{q}}","ttl":60,"grace":60}""").ShouldBeEmpty(204);
        client.CallRaw("claim_update", $$"""{"queue_name":"{{q}}","claim_id":"x"}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("claim_update", $$"""{"queue_name":"{{q}}","claim_id":"x","ttl":60,"grace":-1}""").ShouldBeError(400, "Invalid API request");
        client.CallRaw("claim_update", $$"""{"queue_name":"{{q}}","claim_id":"x","ttl":60}""").ShouldBeError(404, "Not found");
        client.CallRaw("message_get_many", $$"""{"queue_name":"{{q}}","message_ids":[]}""").ShouldBeError(400, "Invalid API request");
        client.CallRaw("message_post", $$"""{"queue_name":"missing-{{q}}","messages":[{"ttl":60,"body":1}]}""").ShouldBeError(404, "Not found");
    }

    [Fact]
    public void MessagePostSizeIsMeasuredOnTheCompactMessages()
    {
        using var client = factory.CreateReqClient();
        var q = NewQueue();
        client.Call("queue_create", new { queue_name = q });
        // [{"ttl":60,"body":"xxx…"}] compact is exactly the limit; whitespace in the envelope does not count.
        var overhead = """[{"ttl":60,"body":""}]""".Length;
        var atLimit = new string('x', 262144 - overhead);
        client.CallRaw("message_post", $$"""{"queue_name":"{{q}}",  "messages": [ { "ttl" : 60 , "body" : "{{atLimit}}" } ] }""").Status().Should().Be(201);
        client.CallRaw("message_post", $$"""{"queue_name":"{{q}}","messages":[{"ttl":60,"body":"{{atLimit}}x"}]}""").ShouldBeError(400, "Invalid API request");
    }

    [Fact]
    public void ClientIdIsRequiredToPostAndToList()
    {
        using var client = factory.CreateReqClient();
        var onlyProject = new Dictionary<string, string> { ["X-Project-ID"] = client.Project };
        client.Call("message_post", new { queue_name = "q", messages = new[] { new { ttl = 60, body = 1 } } }, onlyProject)
            .ShouldBeError(400, "Missing header value");
        client.Call("message_list", new { queue_name = "q" }, onlyProject).ShouldBeError(400, "Missing header value");
        client.Call("message_get_many", new { queue_name = "q", message_ids = new[] { "a" } }, onlyProject).ShouldBeEmpty(204);
    }

    [Fact]
    public void ProjectsAreIsolatedAndTheDefaultNamespaceIsItsOwn()
    {
        using var client = factory.CreateReqClient();
        var q = NewQueue();
        client.Call("queue_create", new { queue_name = q }).Status().Should().Be(201);
        client.Call("queue_exists", new { queue_name = q }, new Dictionary<string, string>()).ShouldBeEmpty(404);
        client.Call("queue_exists", new { queue_name = q }, new Dictionary<string, string> { ["X-Project-ID"] = "other" }).ShouldBeEmpty(404);
    }

    [Fact]
    public void DealerClientsMayPipelineAndCorrelateRepliesByRequestId()
    {
        using var client = factory.CreateDealerClient();
        var q = NewQueue();
        client.Call("queue_create", new { queue_name = q }).Status().Should().Be(201);

        for (var i = 0; i < 20; i++)
        {
            var headers = new Dictionary<string, string> { ["X-Project-ID"] = client.Project, ["Client-ID"] = client.ClientId, ["X-Request-ID"] = $"r{i}" };
            client.Send(client.Request("message_post", new { queue_name = q, messages = new[] { new { ttl = 60, body = i } } }, headers));
        }

        var answered = Enumerable.Range(0, 20).Select(_ => client.Receive()).ToList();
        answered.Should().OnlyContain(r => r.Status() == 201);
        answered.Select(r => r.GetProperty("request").GetProperty("headers").GetProperty("X-Request-ID").GetString())
            .Should().BeEquivalentTo(Enumerable.Range(0, 20).Select(i => $"r{i}"));
    }

    [Fact]
    public void ADealerWithoutDelimiterGetsItsReplyWithoutOne()
    {
        using var client = factory.CreateDealerClient();
        client.SendFrames(Encoding.UTF8.GetBytes("""{"action":"ping_node"}"""));
        var frames = client.ReceiveFrames();
        frames.Should().ContainSingle();
        JsonDocument.Parse(frames[0]).RootElement.ShouldBeEmpty(204);
    }

    [Fact]
    public void AWrongFrameCountIsAnInvalidRequestAndTheSocketKeepsWorking()
    {
        using var client = factory.CreateDealerClient();
        client.SendFrames([], Encoding.UTF8.GetBytes("""{"action":"ping_node"}"""), Encoding.UTF8.GetBytes("extra"));
        client.Receive().ShouldBeError(400, "Invalid request");
        client.SendFrames([[]]); // one empty frame: an envelope with no payload
        client.Receive().ShouldBeError(400, "Invalid request");

        client.Call("ping_node").ShouldBeEmpty(204);
    }

    [Fact]
    public void AMalformedRequestAffectsNeitherItsClientNorOthers()
    {
        using var bad = factory.CreateReqClient();
        using var good = factory.CreateDealerClient();
        bad.Send("{{{{");
        good.Send("""{"action":"ping_node"}""");
        bad.Receive().ShouldBeError(400, "Invalid request");
        good.Receive().ShouldBeEmpty(204);
        bad.Call("ping_node").ShouldBeEmpty(204);
    }

    [Fact]
    public async Task ManyConcurrentClientsAreEachAnsweredAndNothingIsLost()
    {
        using var setup = factory.CreateReqClient();
        var q = NewQueue();
        setup.Call("queue_create", new { queue_name = q }).Status().Should().Be(201);

        var clients = Enumerable.Range(0, 16).Select(i => Task.Run(() =>
        {
            using var client = i % 2 == 0 ? factory.CreateReqClient() : factory.CreateDealerClient();
            client.Project = setup.Project;
            var ids = new List<string>();
            for (var n = 0; n < 25; n++)
            {
                var reply = client.Call("message_post", new { queue_name = q, messages = new[] { new { ttl = 600, body = new { i, n } } } });
                reply.Status().Should().Be(201);
                ids.Add(reply.Body().GetProperty("resources")[0].GetString()!);
            }

            return ids;
        })).ToList();
        var posted = (await Task.WhenAll(clients)).SelectMany(x => x).ToList();

        posted.Should().HaveCount(400).And.OnlyHaveUniqueItems();
        setup.Call("queue_get_stats", new { queue_name = q }).Body().GetProperty("messages").GetProperty("total").GetInt32().Should().Be(400);
    }

    [Fact]
    public async Task MessagesPostedOverZeroMqAreClaimedAndDeletedOverHttp()
    {
        using var zmq = factory.CreateReqClient();
        using var http = factory.CreateV1Client();
        zmq.Project = http.Project!;
        var q = NewQueue();
        zmq.Call("queue_create", new { queue_name = q }).Status().Should().Be(201);
        var posted = zmq.Call("message_post", new { queue_name = q, messages = new[] { new { ttl = 300, body = new { via = "zmq" } } } });
        var href = posted.Body().GetProperty("resources")[0].GetString()!;

        var claim = await http.PostAsync($"/v1/queues/{q}/claims", """{"ttl":60,"grace":60}""");
        var claimed = (await claim.ShouldBeJsonAsync(HttpStatusCode.Created)).EnumerateArray().Single();
        claimed.GetProperty("href").GetString().Should().StartWith(href + "?claim_id=");
        claimed.GetProperty("body").GetRawText().Should().Be("""{"via":"zmq"}""");

        (await http.DeleteAsync(claimed.GetProperty("href").GetString()!)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        zmq.Call("message_get", new { queue_name = q, message_id = href.Split('/')[^1] }).ShouldBeError(404, "Not found");
    }

    [Fact]
    public async Task MessagesPostedOverHttpAreClaimedAndDeletedOverZeroMq()
    {
        using var zmq = factory.CreateDealerClient();
        using var http = factory.CreateV1Client();
        zmq.Project = http.Project!;
        var q = await http.CreateQueueAsync();
        var ids = await http.PostMessagesAsync(q, """[{"ttl":300,"body":{"via":"http"}}]""");

        var claim = zmq.Call("claim_create", new { queue_name = q, ttl = 60, grace = 60 });
        claim.Status().Should().Be(201);
        var claimed = claim.Body().EnumerateArray().Single();
        var href = claimed.GetProperty("href").GetString()!;
        href.Should().StartWith($"/v1/queues/{q}/messages/{ids[0]}?claim_id=");
        var claimId = href.Split("claim_id=")[1];

        zmq.Call("message_delete", new { queue_name = q, message_id = ids[0], claim_id = claimId }).ShouldBeEmpty(204);
        (await http.GetAsync($"/v1/queues/{q}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
