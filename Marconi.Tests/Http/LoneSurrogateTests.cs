using System.Net;
using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Tests.Zaqar;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Http;

/// <summary>
/// A JSON string or member name escaping a lone UTF-16 surrogate (<c>"\ud800"</c>) has no text
/// value, so wherever the server reads one it answers 400 in the contract's error shape and
/// stores nothing; only a message's <c>body</c> value, which the server never reads, may carry one.
/// </summary>
public sealed class LoneSurrogateTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    private static readonly string[] Surrogates = [@"\ud800", @"\udc00"];

    /// <summary>
    /// Method, path and body for every route that reads a body, with <c>S</c> where the escape goes:
    /// in member names and in string values, at the top level and nested.
    /// </summary>
    private static readonly (string Method, string Path, string Body, string Title)[] Cases =
    [
        ("PUT", "/v1/queues/{q}/metadata", """{"S": 1}""", "Invalid request body"),
        ("PUT", "/v1/queues/{q}/metadata", """{"a": "S"}""", "Invalid request body"),
        ("PUT", "/v1/queues/{q}/metadata", """{"a": [{"S": "x"}]}""", "Invalid request body"),
        ("POST", "/v1/queues/{q}/messages", """[{"ttl": 60, "body": 1, "S": 1}]""", "Invalid request body"),
        ("POST", "/v1/queues/{q}/messages", """[{"ttl": 60, "body": 1, "x": "S"}]""", "Invalid request body"),
        ("POST", "/v1/queues/{q}/claims", """{"ttl": 60, "grace": 60, "S": 1}""", "Invalid request body"),
        ("POST", "/v1/queues/{q}/claims", """{"ttl": 60, "grace": 60, "x": "S"}""", "Invalid request body"),
        ("PATCH", "/v1/queues/{q}/claims/{c}", """{"ttl": 60, "S": 1}""", "Invalid request body"),
        ("PATCH", "/v1/queues/{q}/claims/{c}", """{"ttl": 60, "x": ["S"]}""", "Invalid request body"),

        .. Zaqar("v1.1"),
        .. Zaqar("v2"),

        ("PATCH", "/v2/queues/{q}", """[{"op": "add", "path": "/metadata/S", "value": 1}]""", "Invalid request body"),
        ("PATCH", "/v2/queues/{q}", """[{"op": "add", "path": "/metadata/a", "value": {"S": 1}}]""", "Invalid request body"),
        ("PATCH", "/v2/queues/{q}", """[{"op": "add", "path": "/metadata/a", "value": 1, "S": 1}]""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/purge", """{"resource_types": ["S"]}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/purge", """{"resource_types": ["messages"], "S": 1}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/share", """{"paths": ["messages"], "S": 1}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/share", """{"methods": ["S"]}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/share", """{"expires": "S"}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/subscriptions", """{"subscriber": "http://example.com/S"}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/subscriptions", """{"subscriber": "http://example.com/", "S": 1}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/subscriptions", """{"subscriber": "http://example.com/", "options": {"S": "x"}}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/subscriptions", """{"subscriber": "http://example.com/", "options": {"x": "S"}}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/subscriptions", """{"subscriber": "http://example.com/", "options": {"post_headers": {"S": "x"}}}""", "Invalid request body"),
        ("POST", "/v2/queues/{q}/subscriptions", """{"subscriber": "http://example.com/", "options": {"post_data": "S"}}""", "Invalid request body"),
        ("PATCH", "/v2/queues/{q}/subscriptions/{s}", """{"options": {"S": 1}}""", "Invalid request body"),
        ("PATCH", "/v2/queues/{q}/subscriptions/{s}", """{"ttl": 600, "S": 1}""", "Invalid request body"),
        ("PUT", "/v2/queues/{q}/subscriptions/{s}/confirm", """{"confirmed": true, "S": 1}""", "Invalid request body"),
        ("PUT", "/v2/queues/{q}/subscriptions/{s}/confirm", """{"confirmed": true, "x": "S"}""", "Invalid request body"),
    ];

    private static IEnumerable<(string, string, string, string)> Zaqar(string v) =>
    [
        ("PUT", $"/{v}/queues/{{q}}", """{"S": 1}""", "Invalid request body"),
        ("PUT", $"/{v}/queues/{{q}}", """{"a": {"b": ["S"]}}""", "Invalid request body"),
        ("PUT", $"/{v}/queues/{{q}}", """{"_flavor": "S"}""", "Invalid request body"),
        ("POST", $"/{v}/queues/{{q}}/messages", """{"messages": [{"body": 1, "S": 1}]}""", "Invalid request body"),
        ("POST", $"/{v}/queues/{{q}}/messages", """{"messages": [{"body": 1, "x": "S"}]}""", "Invalid request body"),
        ("POST", $"/{v}/queues/{{q}}/messages", """{"messages": [{"body": 1}], "S": 1}""", "Invalid request body"),
        ("POST", $"/{v}/queues/{{q}}/claims", """{"ttl": 60, "S": 1}""", "Invalid request body"),
        ("POST", $"/{v}/queues/{{q}}/claims", """{"ttl": 60, "grace": 60, "x": "S"}""", "Invalid request body"),
        ("PATCH", $"/{v}/queues/{{q}}/claims/{{c}}", """{"S": 1}""", "Invalid request body"),
        ("PATCH", $"/{v}/queues/{{q}}/claims/{{c}}", """{"ttl": 60, "x": "S"}""", "Invalid request body"),
    ];

    public static TheoryData<string, string, string, string> Requests()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var (method, path, body, title) in Cases)
        {
            foreach (var surrogate in Surrogates)
            {
                data.Add(method, path, body.Replace("S", surrogate, StringComparison.Ordinal), title);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task EveryBodyTheServerReadsRefusesALoneSurrogate(string method, string path, string body, string title)
    {
        using var client = factory.CreateV1Client();
        var version = path.Split('/')[1];
        var queue = await client.CreateQueueAsync();
        await (await client.PutAsync($"/{version}/queues/{queue}", version == "v1" ? null : "{}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);

        // Real claims and subscriptions, so that an update's body is what decides the answer.
        await client.PostNumberedAsync(queue, 1);
        var (claim, _) = await client.ClaimAsync(queue);
        var subscribed = await client.PostAsync($"/v2/queues/{queue}/subscriptions", """{"subscriber": "http://example.com/hook", "ttl": 3600}""");
        var subscription = (await subscribed.ShouldBeJsonAsync(HttpStatusCode.Created)).GetProperty("subscription_id").GetString()!;
        var before = await StateAsync(client, queue);

        var target = path.Replace("{q}", queue).Replace("{c}", claim).Replace("{s}", subscription);
        var contentType = method == "PATCH" && target.Count(c => c == '/') == 3 ? ZaqarClient.PatchType : V1Client.JsonType;
        var response = await client.SendAsync(client.Request(new HttpMethod(method), target, body, contentType));

        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
        (await StateAsync(client, queue)).Should().Be(before, "a refused request changes nothing");
    }

    /// <summary>
    /// Metadata stored before such input was refused (written here straight into the store) is
    /// still served, filtered, patched and used for its queue's settings; its escapes come back as stored.
    /// </summary>
    [Fact]
    public async Task MetadataStoredWithLoneSurrogatesIsStillServed()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        const string stored = """{"a": "\ud800", "\udc00": {"\ud800": ["\udbff"]}, "n": 1}""";
        await factory.Services.GetRequiredService<IDataDriver>().Queues.CreateAsync(
            new QueueRef(client.Project!, queue), factory.Clock.GetUtcNow(), default, stored);

        (await (await client.GetAsync($"/v1/queues/{queue}/metadata")).Content.ReadAsStringAsync()).Should().Be(stored);
        var v11 = await (await client.GetAsync($"/v1.1/queues/{queue}")).ShouldBeJsonAsync();
        v11.GetRawText().Should().Be(stored);
        var v2 = await (await client.GetAsync($"/v2/queues/{queue}")).ShouldBeJsonAsync();
        v2.GetRawText().Should().StartWith("""{"a":"\ud800","\udc00":{"\ud800":["\udbff"]},"n":1,"_max_messages_post_size":""");

        var listed = await (await client.GetAsync($"/v2/queues?detailed=true&n=1&limit=20")).ShouldBeJsonAsync();
        listed.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()).Should().Contain(queue);
        var unmatched = await client.GetAsync($"/v2/queues?detailed=true&a=x&limit=20");
        unmatched.StatusCode.Should().BeOneOf(HttpStatusCode.OK, HttpStatusCode.NoContent);

        await client.PostV2Async("v2", queue, """[{"body": 1}]""");
        var (_, claimed) = await client.ClaimV2Async("v2", queue);
        claimed.GetArrayLength().Should().Be(1);

        var patched = await client.PatchQueueAsync(queue, """[{"op": "add", "path": "/metadata/b", "value": 2}]""");
        (await patched.ShouldBeJsonAsync()).GetRawText().Should().StartWith("""{"a":"\ud800","\udc00":{"\ud800":["\udbff"]},"n":1,"b":2,""");
        (await (await client.GetAsync($"/v1/queues/{queue}/metadata")).Content.ReadAsStringAsync())
            .Should().Be("""{"a":"\ud800","\udc00":{"\ud800": ["\udbff"]},"n":1,"b":2}""");
    }

    /// <summary>What a request could have changed: metadata, messages, claims and subscriptions, as text.</summary>
    private static async Task<string> StateAsync(V1Client client, string queue)
    {
        var metadata = await (await client.GetAsync($"/v1/queues/{queue}/metadata")).Content.ReadAsStringAsync();
        var stats = (await (await client.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages");
        var claims = await (await client.GetAsync($"/v2/queues/{queue}/messages?include_claimed=true&echo=true")).Content.ReadAsStringAsync();
        var subscriptions = await (await client.GetAsync($"/v2/queues/{queue}/subscriptions")).Content.ReadAsStringAsync();
        return string.Join("\n", metadata, stats.GetProperty("total").GetInt64(), stats.GetProperty("claimed").GetInt64(), claims, subscriptions);
    }
}
