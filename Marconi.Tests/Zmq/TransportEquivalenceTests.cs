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

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BothTransportsGiveTheSameOutcome(string method, string path, string? body, string action, string zmqBody)
    {
        using var http = factory.CreateV1Client();
        using var zmq = factory.CreateReqClient();
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
