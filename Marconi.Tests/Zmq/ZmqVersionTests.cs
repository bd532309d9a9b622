using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zmq;

/// <summary>The envelope's <c>api</c> selects v1, v1.1 or v2; v1.1 and v2 keep their header rules and add their actions.</summary>
public sealed class ZmqVersionTests(MarconiZmqFactory factory) : IClassFixture<MarconiZmqFactory>
{
    [Theory]
    [InlineData("v3")]
    [InlineData("2")]
    [InlineData("V2")]
    public void AnUnknownApiIsAnInvalidRequest(string api)
    {
        using var client = factory.CreateReqClient();
        client.Api = api;
        var reply = client.Call("queue_list");
        reply.ShouldBeError(400, "Invalid request");
        reply.GetProperty("request").GetProperty("api").GetString().Should().Be("v1");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public void TheReplyEchoesTheApiAndTheVersionsHeaderRulesApply(string api)
    {
        using var client = factory.CreateReqClient();
        client.Api = api;
        var home = client.Call("get_home_doc", headers: []);
        home.Status().Should().Be(200);
        home.GetProperty("request").GetProperty("api").GetString().Should().Be(api);
        home.Body().GetProperty("resources").GetProperty("rel/ping").GetProperty("href-template").GetString().Should().Be($"/{api}/ping");
        client.Call("check_node_health", headers: []).ShouldBeEmpty(204);
        client.Call("get_node_health", headers: []).Body().GetProperty("storage_reachable").GetBoolean().Should().BeTrue();

        client.Call("queue_list", headers: new() { ["X-Project-ID"] = "p" }).ShouldBeError(400, "Missing header value");
        client.Call("queue_list", headers: new() { ["Client-ID"] = client.ClientId }).ShouldBeError(400, "Project-Id Missing");
        client.Call("queue_list", headers: new() { ["Client-ID"] = "nope", ["X-Project-ID"] = "p" }).ShouldBeError(400, "Wrong UUID value");
        client.Call("queue_exists", new { queue_name = "q" }).ShouldBeError(400, "Invalid action");
    }

    [Fact]
    public void AV2CycleOverZeroMq()
    {
        using var client = factory.CreateReqClient();
        client.Api = "v2";
        var q = V1Client.NewQueueName();

        var created = client.Call("queue_create", new { queue_name = q, metadata = new { color = "red" } });
        created.ShouldBeEmpty(201);
        created.Location().Should().Be($"/v2/queues/{q}");
        var patched = client.Call("queue_update", new
        {
            queue_name = q,
            patch = new object[] { new { op = "replace", path = "/metadata/_default_message_ttl", value = 120 } },
        });
        patched.Status().Should().Be(200);
        patched.Body().GetProperty("_default_message_ttl").GetInt32().Should().Be(120);
        patched.Body().GetProperty("color").GetString().Should().Be("red");

        var posted = client.Call("message_post", new { queue_name = q, messages = new object[] { new { body = 1 }, new { body = 2 }, new { body = 3 } } });
        posted.Status().Should().Be(201);
        posted.Location().Should().StartWith($"/v2/queues/{q}/messages?ids=");
        posted.Body().GetProperty("resources").GetArrayLength().Should().Be(3);

        var listed = client.Call("message_list", new { queue_name = q, echo = true });
        listed.Body().GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("ttl").GetInt32()).Should().Equal(120, 120, 120);

        var popped = client.Call("message_pop", new { queue_name = q, pop = 1 });
        popped.Body().GetProperty("messages")[0].GetProperty("body").GetInt32().Should().Be(1);

        var claim = client.Call("claim_create", new { queue_name = q, limit = 1 });
        claim.Status().Should().Be(201);
        var href = claim.Body().GetProperty("messages")[0].GetProperty("href").GetString()!;
        var claimId = href.Split('=')[^1];
        var messageId = href.Split('/')[^1].Split('?')[0];
        client.Call("message_delete", new { queue_name = q, message_id = messageId }).ShouldBeError(403, "Unable to delete");
        client.Call("message_delete", new { queue_name = q, message_id = messageId, claim_id = claimId }).ShouldBeEmpty(204);

        var subscribed = client.Call("subscription_create", new { queue_name = q, subscriber = "http://127.0.0.1:9/hook" });
        subscribed.Status().Should().Be(201);
        var subscriptionId = subscribed.Body().GetProperty("subscription_id").GetString();
        client.Call("subscription_list", new { queue_name = q }).Body().GetProperty("subscriptions")[0]
            .GetProperty("id").GetString().Should().Be(subscriptionId);

        var share = client.Call("queue_share", new { queue_name = q, methods = new[] { "GET" } });
        share.Body().GetProperty("paths")[0].GetString().Should().Be($"/v2/queues/{q}/messages");

        client.Call("queue_purge", new { queue_name = q }).ShouldBeEmpty(204);
        client.Call("queue_get_stats", new { queue_name = q }).Body().GetRawText()
            .Should().Be("""{"messages":{"claimed":0,"free":0,"total":0}}""");
        client.Call("subscription_list", new { queue_name = q }).Body().GetProperty("subscriptions").GetArrayLength().Should().Be(0);

        // The same queue and messages through v1: one store.
        client.Api = null;
        client.Call("queue_get", new { queue_name = q }).Body().GetProperty("_default_message_ttl").GetInt32().Should().Be(120);
    }
}
