using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zmq;

/// <summary>
/// A lone UTF-16 surrogate escape (<c>"\ud800"</c>) anywhere the server reads an envelope is 400
/// with the request echoed as received, over a real ROUTER socket; the socket serves on.
/// Message bodies, which the server never reads, carry them as posted.
/// </summary>
public sealed class ZmqLoneSurrogateTests(MarconiZmqFactory factory) : IClassFixture<MarconiZmqFactory>
{
    private const string Project = "zmq-surrogates";
    private const string Headers = $$"""{"X-Project-ID": "{{Project}}", "Client-ID": "3381af92-2b9e-11e3-b191-71861300734c"}""";
    private const string Queue = "fixed-queue";

    /// <summary>An envelope with <c>S</c> where the escape goes, the title of the answer, and the action it echoes.</summary>
    public static TheoryData<string, string> Envelopes()
    {
        (string Envelope, string Title)[] cases =
        [
            ($$$"""{"action": "S", "headers": {{{Headers}}}, "body": {}}""", "Invalid request"),
            ("""{"action": "queue_list", "headers": {"X-Project-ID": "p", "S": "x"}, "body": {}}""", "Invalid request"),
            ("""{"action": "queue_list", "headers": {"X-Project-ID": "p", "X-Request-ID": "S"}, "body": {}}""", "Invalid request"),
            ("""{"action": "queue_list", "headers": {"X-Project-ID": "S"}, "body": {}}""", "Invalid request"),
            ($$$"""{"action": "queue_list", "headers": {{{Headers}}}, "body": {}, "S": 1}""", "Invalid request"),
            ($$$"""{"action": "queue_list", "headers": {{{Headers}}}, "body": {}, "x": ["S"]}""", "Invalid request"),
            ($$$"""{"action": "queue_list", "headers": {{{Headers}}}, "body": {}, "api": "S"}""", "Invalid request"),
            ($$$"""{"action": "queue_list", "headers": {{{Headers}}}, "body": {"S": 1}}""", "Invalid request"),
            ($$$"""{"action": "queue_create", "headers": {{{Headers}}}, "body": {"queue_name": "S"}}""", "Invalid parameter"),
            ($$$"""{"action": "queue_list", "headers": {{{Headers}}}, "body": {"marker": "S"}}""", "Invalid parameter"),
            ($$$"""{"action": "queue_list", "headers": {{{Headers}}}, "body": {"limit": "S"}}""", "Invalid parameter"),
            ($$$"""{"action": "queue_list", "headers": {{{Headers}}}, "body": {"detailed": "S"}}""", "Invalid parameter"),
            ($$$"""{"action": "message_list", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "echo": "S"}}""", "Invalid parameter"),
            ($$$"""{"action": "message_get", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "message_id": "S"}}""", "Invalid parameter"),
            ($$$"""{"action": "message_get_many", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "message_ids": ["S"]}}""", "Invalid parameter"),
            ($$$"""{"action": "message_delete", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "message_id": "0000000000000001", "claim_id": "S"}}""", "Invalid parameter"),
            ($$$"""{"action": "claim_get", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "claim_id": "S"}}""", "Invalid parameter"),
            ($$$"""{"action": "claim_create", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "ttl": 60, "grace": 60, "limit": "S"}}""", "Invalid parameter"),
            ($$$"""{"action": "claim_create", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "ttl": "S", "grace": 60}}""", "Invalid request body"),
            ($$$$"""{"action": "queue_set_metadata", "headers": {{{{Headers}}}}, "body": {"queue_name": "{{{{Queue}}}}", "metadata": {"a": "S"}}}""", "Invalid request body"),
            ($$$$"""{"action": "queue_set_metadata", "headers": {{{{Headers}}}}, "body": {"queue_name": "{{{{Queue}}}}", "metadata": {"S": 1}}}""", "Invalid request body"),
            ($$$"""{"action": "message_post", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "messages": [{"ttl": 60, "body": 1, "S": 1}]}}""", "Invalid request body"),
            ($$$"""{"action": "message_post", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "messages": [{"ttl": 60, "body": 1, "x": "S"}]}}""", "Invalid request body"),
            ($$$$"""{"api": "v2", "action": "queue_create", "headers": {{{{Headers}}}}, "body": {"queue_name": "{{{{Queue}}}}", "metadata": {"_flavor": "S"}}}""", "Invalid request body"),
            ($$$"""{"api": "v2", "action": "message_post", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "messages": [{"body": 1, "S": 1}]}}""", "Invalid request body"),
            ($$$"""{"api": "v2", "action": "queue_list", "headers": {{{Headers}}}, "body": {"flavor": "S"}}""", "Invalid parameter"),
            ($$$"""{"api": "v2", "action": "subscription_create", "headers": {{{Headers}}}, "body": {"queue_name": "{{{Queue}}}", "subscriber": "http://example.com/S"}}""", "Invalid request body"),
            ($$$$"""{"api": "v2", "action": "subscription_create", "headers": {{{{Headers}}}}, "body": {"queue_name": "{{{{Queue}}}}", "subscriber": "http://example.com/", "options": {"S": 1}}}""", "Invalid request body"),
        ];

        var data = new TheoryData<string, string>();
        foreach (var (envelope, title) in cases)
        {
            foreach (var surrogate in new[] { @"\ud800", @"\udc00" })
            {
                data.Add(envelope.Replace("S", surrogate, StringComparison.Ordinal), title);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Envelopes))]
    public void ALoneSurrogateIs400WithTheRequestEchoedAndTheSocketServesOn(string envelope, string title)
    {
        using var client = factory.CreateDealerClient();
        client.Send(envelope);
        var reply = client.Receive();

        reply.ShouldBeError(400, title);
        using var sent = JsonDocument.Parse(envelope);
        var request = reply.GetProperty("request");
        request.ValueKind.Should().Be(JsonValueKind.Object, "the request was read as far as its action and headers");
        request.GetProperty("action").GetRawText().Should().Be(sent.RootElement.GetProperty("action").GetRawText());
        Compact(request.GetProperty("headers")).Should().Be(Compact(sent.RootElement.GetProperty("headers")));

        // The same socket and server answer the next request.
        client.Call("ping_node").ShouldBeEmpty(204);
    }

    [Fact]
    public void NothingIsStoredByARefusedRequest()
    {
        using var client = factory.CreateReqClient();
        var queue = V1Client.NewQueueName();
        client.Call("queue_create", new { queue_name = queue }).ShouldBeEmpty(201);

        client.CallRaw("queue_set_metadata", $$$"""{"queue_name": "{{{queue}}}", "metadata": {"a": "\ud800"}}""").ShouldBeError(400, "Invalid request body");
        client.CallRaw("message_post", $$$"""{"queue_name": "{{{queue}}}", "messages": [{"ttl": 60, "body": 1, "\udc00": 1}]}""").ShouldBeError(400, "Invalid request body");

        client.Call("queue_get", new { queue_name = queue }).Body().GetRawText().Should().Be("{}");
        client.Call("queue_get_stats", new { queue_name = queue }).Body().GetProperty("messages").GetProperty("total").GetInt32().Should().Be(0);
    }

    /// <summary>Message bodies are opaque: lone surrogates in them are stored and returned as posted, on both transports.</summary>
    [Theory]
    [InlineData(null)]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task MessageBodiesCarryLoneSurrogatesAsPosted(string? api)
    {
        using var client = factory.CreateReqClient();
        client.Api = api;
        var queue = V1Client.NewQueueName();
        client.Call("queue_create", new { queue_name = queue }).Status().Should().Be(201);

        var ttl = api is null ? "\"ttl\": 300, " : "";
        var posted = client.CallRaw("message_post",
            $$$"""{"queue_name": "{{{queue}}}", "messages": [{{{{ttl}}}"body": {"\udc00": ["\ud800", "x"]}}]}""");
        posted.Status().Should().Be(201, posted.ToString());

        var listed = client.CallRaw("message_list", $$$"""{"queue_name": "{{{queue}}}", "echo": true}""");
        listed.Status().Should().Be(200, listed.ToString());
        listed.Body().GetProperty("messages")[0].GetProperty("body").GetRawText().Should().Be("""{"\udc00":["\ud800","x"]}""");

        using var http = factory.CreateV1Client();
        http.Project = client.Project;
        var version = api ?? "v1";
        var overHttp = await (await http.GetAsync($"/{version}/queues/{queue}/messages?echo=true")).ShouldBeJsonAsync();
        overHttp.GetProperty("messages")[0].GetProperty("body").GetRawText()
            .Should().Be("""{"\udc00":["\ud800","x"]}""");
    }

    private static string Compact(JsonElement value) => string.Concat(value.GetRawText().Where(c => !char.IsWhiteSpace(c)));
}
