using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zmq;

/// <summary>
/// For the same input, both transports give the same outcome: status, and a byte-identical body
/// (error title and description included), because they call the same core code.
/// </summary>
public sealed class TransportEquivalenceTests(MarconiZmqFactory factory) : IClassFixture<MarconiZmqFactory>
{
    public static TheoryData<string, string, string?, string, string> Cases => new()
    {
        // HTTP method, HTTP path ({q} = an existing queue), HTTP body, ZeroMQ action, ZeroMQ body (raw JSON)
        { "POST", "/v1/queues/missing-{q}/messages", """[{"ttl":60,"body":1}]""", "message_post", """{"queue_name":"missing-{q}","messages":[{"ttl":60,"body":1}]}""" },
        { "POST", "/v1/queues/{q}/messages", """[{"ttl":59,"body":1}]""", "message_post", """{"queue_name":"{q}","messages":[{"ttl":59,"body":1}]}""" },
        { "POST", "/v1/queues/{q}/messages", """[{"ttl":1209601,"body":1}]""", "message_post", """{"queue_name":"{q}","messages":[{"ttl":1209601,"body":1}]}""" },
        { "POST", "/v1/queues/{q}/messages", """[{"body":1}]""", "message_post", """{"queue_name":"{q}","messages":[{"body":1}]}""" },
        { "POST", "/v1/queues/{q}/messages", """[{"ttl":60}]""", "message_post", """{"queue_name":"{q}","messages":[{"ttl":60}]}""" },
        { "POST", "/v1/queues/{q}/messages", """[]""", "message_post", """{"queue_name":"{q}","messages":[]}""" },
        { "POST", "/v1/queues/{q}/messages", """{"ttl":60}""", "message_post", """{"queue_name":"{q}","messages":{"ttl":60}}""" },
        { "POST", "/v1/queues/bad%20name/messages", """[{"ttl":60,"body":1}]""", "message_post", """{"queue_name":"bad name","messages":[{"ttl":60,"body":1}]}""" },
        { "PUT", "/v1/queues/{q}/metadata", """{"_reserved":1}""", "queue_set_metadata", """{"queue_name":"{q}","metadata":{"_reserved":1}}""" },
        { "PUT", "/v1/queues/{q}/metadata", """[1]""", "queue_set_metadata", """{"queue_name":"{q}","metadata":[1]}""" },
        { "GET", "/v1/queues/missing-{q}/metadata", null, "queue_get", """{"queue_name":"missing-{q}"}""" },
        { "GET", "/v1/queues/missing-{q}/stats", null, "queue_get_stats", """{"queue_name":"missing-{q}"}""" },
        { "GET", "/v1/queues/{q}/stats", null, "queue_get_stats", """{"queue_name":"{q}"}""" },
        { "GET", "/v1/queues/{q}/metadata", null, "queue_get", """{"queue_name":"{q}"}""" },
        { "GET", "/v1/queues?limit=0", null, "queue_list", """{"limit":0}""" },
        { "GET", "/v1/queues?limit=abc", null, "queue_list", """{"limit":"abc"}""" },
        { "GET", "/v1/queues/{q}/messages?limit=21", null, "message_list", """{"queue_name":"{q}","limit":21}""" },
        { "GET", "/v1/queues/{q}/messages?echo=maybe", null, "message_list", """{"queue_name":"{q}","echo":"maybe"}""" },
        { "GET", "/v1/queues/{q}/messages/0000000000000001", null, "message_get", """{"queue_name":"{q}","message_id":"0000000000000001"}""" },
        { "GET", "/v1/queues/{q}/messages?ids=,,", null, "message_get_many", """{"queue_name":"{q}","message_ids":[]}""" },
        { "DELETE", "/v1/queues/{q}/messages?ids=a,b", null, "message_delete_many", """{"queue_name":"{q}","message_ids":["a","b"]}""" },
        { "POST", "/v1/queues/{q}/claims?limit=21", """{"ttl":60,"grace":60}""", "claim_create", """{"queue_name":"{q}","limit":21,"ttl":60,"grace":60}""" },
        { "POST", "/v1/queues/{q}/claims", """{"ttl":60,"grace":59}""", "claim_create", """{"queue_name":"{q}","ttl":60,"grace":59}""" },
        { "POST", "/v1/queues/{q}/claims", """{"ttl":60.0,"grace":60}""", "claim_create", """{"queue_name":"{q}","ttl":60.0,"grace":60}""" },
        { "POST", "/v1/queues/{q}/claims", """{"ttl":60,"grace":60}""", "claim_create", """{"queue_name":"{q}","ttl":60,"grace":60}""" },
        { "PATCH", "/v1/queues/{q}/claims/nope", """{"ttl":60}""", "claim_update", """{"queue_name":"{q}","claim_id":"nope","ttl":60}""" },
        { "PATCH", "/v1/queues/{q}/claims/nope", """{"ttl":43201}""", "claim_update", """{"queue_name":"{q}","claim_id":"nope","ttl":43201}""" },
        { "GET", "/v1/queues/{q}/claims/nope", null, "claim_get", """{"queue_name":"{q}","claim_id":"nope"}""" },
        { "DELETE", "/v1/queues/{q}/claims/nope", null, "claim_delete", """{"queue_name":"{q}","claim_id":"nope"}""" },
    };

    /// <summary>The same through v2 (and v1.1 where noted): the envelope's <c>api</c> picks the catalogue HTTP's path picks.</summary>
    public static TheoryData<string, string, string?, string, string> V2Cases => new()
    {
        { "POST", "/v2/queues/{q}/messages", """{"messages":[]}""", "message_post", """{"queue_name":"{q}","messages":[]}""" },
        { "POST", "/v2/queues/{q}/messages", """{}""", "message_post", """{"queue_name":"{q}"}""" },
        { "POST", "/v2/queues/{q}/messages", """{"messages":[{"ttl":59,"body":1}]}""", "message_post", """{"queue_name":"{q}","messages":[{"ttl":59,"body":1}]}""" },
        { "POST", "/v2/queues/{q}/messages", """{"messages":{}}""", "message_post", """{"queue_name":"{q}","messages":{}}""" },
        { "PUT", "/v2/queues/{q}", """{"_max_claim_count":-1}""", "queue_create", """{"queue_name":"{q}","metadata":{"_max_claim_count":-1}}""" },
        { "PUT", "/v2/queues/{q}", null, "queue_create", """{"queue_name":"{q}"}""" },
        { "GET", "/v2/queues/{q}", null, "queue_get", """{"queue_name":"{q}"}""" },
        { "GET", "/v2/queues/missing-{q}", null, "queue_get", """{"queue_name":"missing-{q}"}""" },
        { "GET", "/v2/queues/missing-{q}/stats", null, "queue_get_stats", """{"queue_name":"missing-{q}"}""" },
        { "GET", "/v2/queues/missing-{q}/stats?include_delayed=true", null, "queue_get_stats", """{"queue_name":"missing-{q}","include_delayed":true}""" },
        { "GET", "/v2/queues/missing-{q}/stats?include_delayed=maybe", null, "queue_get_stats", """{"queue_name":"missing-{q}","include_delayed":"maybe"}""" },
        { "GET", "/v2/queues?limit=0", null, "queue_list", """{"limit":0}""" },
        { "GET", "/v2/queues?with_count=true&shared=true", null, "queue_list", """{"with_count":true,"shared":"true"}""" },
        { "GET", "/v2/queues/{q}/messages", null, "message_list", """{"queue_name":"{q}"}""" },
        { "GET", "/v2/queues/{q}/messages?include_delayed=maybe", null, "message_list", """{"queue_name":"{q}","include_delayed":"maybe"}""" },
        { "GET", "/v2/queues/{q}/messages?ids=unknown", null, "message_get_many", """{"queue_name":"{q}","message_ids":["unknown"]}""" },
        { "DELETE", "/v2/queues/{q}/messages?pop=0", null, "message_pop", """{"queue_name":"{q}","pop":0}""" },
        { "DELETE", "/v2/queues/{q}/messages?pop=1", null, "message_pop", """{"queue_name":"{q}","pop":1}""" },
        { "POST", "/v2/queues/{q}/claims?limit=21", null, "claim_create", """{"queue_name":"{q}","limit":21}""" },
        { "POST", "/v2/queues/{q}/claims", null, "claim_create", """{"queue_name":"{q}"}""" },
        { "POST", "/v2/queues/{q}/claims", """{"ttl":"60"}""", "claim_create", """{"queue_name":"{q}","ttl":"60"}""" },
        { "PATCH", "/v2/queues/{q}/claims/nope", """{}""", "claim_update", """{"queue_name":"{q}","claim_id":"nope"}""" },
        { "POST", "/v2/queues/{q}/purge", """{"resource_types":["queues"]}""", "queue_purge", """{"queue_name":"{q}","resource_types":["queues"]}""" },
        { "POST", "/v2/queues/{q}/purge", null, "queue_purge", """{"queue_name":"{q}"}""" },
        { "POST", "/v2/queues/{q}/redrive", null, "queue_redrive", """{"queue_name":"{q}"}""" },
        { "POST", "/v2/queues/{q}/redrive", """{"limit":0}""", "queue_redrive", """{"queue_name":"{q}","limit":0}""" },
        { "POST", "/v2/queues/{q}/redrive", """{"limit":"5"}""", "queue_redrive", """{"queue_name":"{q}","limit":"5"}""" },
        { "POST", "/v2/queues/missing-{q}/redrive", """{"limit":5}""", "queue_redrive", """{"queue_name":"missing-{q}","limit":5}""" },
        { "POST", "/v2/queues/{q}/share", """{"paths":["queues"]}""", "queue_share", """{"queue_name":"{q}","paths":["queues"]}""" },
        { "POST", "/v2/queues/{q}/subscriptions", """{}""", "subscription_create", """{"queue_name":"{q}"}""" },
        { "POST", "/v2/queues/{q}/subscriptions", """{"subscriber":"ftp://x"}""", "subscription_create", """{"queue_name":"{q}","subscriber":"ftp://x"}""" },
        { "GET", "/v2/queues/{q}/subscriptions", null, "subscription_list", """{"queue_name":"{q}"}""" },
        { "GET", "/v2/queues/{q}/subscriptions/nope", null, "subscription_get", """{"queue_name":"{q}","subscription_id":"nope"}""" },
        { "PATCH", "/v2/queues/{q}/subscriptions/nope", """{"ttl":60}""", "subscription_update", """{"queue_name":"{q}","subscription_id":"nope","ttl":60}""" },
        { "PUT", "/v2/queues/{q}/subscriptions/nope/confirm", """{"confirmed":true}""", "subscription_confirm", """{"queue_name":"{q}","subscription_id":"nope","confirmed":true}""" },
        { "GET", "/v1.1/queues/{q}", null, "queue_get", """{"queue_name":"{q}"}""" },
        { "GET", "/v1.1/queues/{q}/messages?ids=,,", null, "message_get_many", """{"queue_name":"{q}","message_ids":[]}""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public Task BothTransportsGiveTheSameOutcome(string method, string path, string? body, string action, string zmqBody) =>
        CompareAsync(method, path, body, action, zmqBody);

    [Theory]
    [MemberData(nameof(V2Cases))]
    public Task BothTransportsGiveTheSameOutcomeInV1_1AndV2(string method, string path, string? body, string action, string zmqBody) =>
        CompareAsync(method, path, body, action, zmqBody, api: path.Split('/')[1]);

    private async Task CompareAsync(string method, string path, string? body, string action, string zmqBody, string? api = null)
    {
        using var http = factory.CreateV1Client();
        using var zmq = factory.CreateReqClient();
        zmq.Api = api;
        zmq.Project = http.Project!;
        zmq.ClientId = http.ClientId!;
        var q = await http.CreateQueueAsync();
        await http.PutAsync($"/v1/queues/{q}/metadata", """{"shared":true}""");

        using var response = await http.SendAsync(new HttpMethod(method), path.Replace("{q}", q), body);
        var httpBody = await response.Content.ReadAsStringAsync();
        var reply = zmq.CallRaw(action, zmqBody.Replace("{q}", q));

        reply.Status().Should().Be((int)response.StatusCode, $"HTTP answered {httpBody}");
        if (httpBody.Length == 0)
        {
            reply.Body().ValueKind.Should().Be(JsonValueKind.Null);
        }
        else
        {
            reply.Body().GetRawText().Should().Be(httpBody);
        }

        reply.Location().Should().Be(response.Headers.Location?.OriginalString);
    }
}
