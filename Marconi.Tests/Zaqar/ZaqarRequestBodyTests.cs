using System.Net;
using System.Text;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>
/// v2 contract 2.5 for every endpoint that reads a body: no body at all, <c>Content-Length: 0</c>,
/// the wrong document type, unparsable text, and lone UTF-16 surrogate escapes (400, never 500).
/// </summary>
public sealed class ZaqarRequestBodyTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    /// <summary>Every endpoint that reads a body, as method and path (unknown ids: body checks come first).</summary>
    public static TheoryData<string, string> BodyEndpoints => new()
    {
        { "PUT", "/v1.1/queues/{q}" },
        { "PUT", "/v2/queues/{q}" },
        { "PATCH", "/v2/queues/{q}" },
        { "POST", "/v1.1/queues/{q}/messages" },
        { "POST", "/v2/queues/{q}/messages" },
        { "POST", "/v1.1/queues/{q}/claims" },
        { "POST", "/v2/queues/{q}/claims" },
        { "PATCH", "/v1.1/queues/{q}/claims/unknown" },
        { "PATCH", "/v2/queues/{q}/claims/unknown" },
        { "POST", "/v2/queues/{q}/purge" },
        { "POST", "/v2/queues/{q}/redrive" },
        { "POST", "/v2/queues/{q}/share" },
        { "POST", "/v2/queues/{q}/subscriptions" },
        { "PATCH", "/v2/queues/{q}/subscriptions/unknown" },
        { "PUT", "/v2/queues/{q}/subscriptions/unknown/confirm" },
    };

    private static HttpRequestMessage Request(V1Client client, string method, string path, string? body)
    {
        // Queue PATCH declares its media type so that the body, not the type, is what is judged.
        var contentType = method == "PATCH" && path.Count(c => c == '/') == 3 ? ZaqarClient.PatchType : V1Client.JsonType;
        return client.Request(new HttpMethod(method), path.Replace("{q}", V1Client.NewQueueName()), body, contentType);
    }

    /// <summary>(status, title) for a body that is absent or declared empty: "optional" endpoints go on, "required" ones refuse.</summary>
    private static (HttpStatusCode Status, string? Title) WithoutBody(string method, string path) => (method, path.Split('/')[^1]) switch
    {
        ("PUT", "{q}") => (HttpStatusCode.Created, null),
        ("POST", "claims") => (HttpStatusCode.NoContent, null),
        ("POST", "purge") => (HttpStatusCode.NoContent, null),
        ("POST", "redrive") => (HttpStatusCode.NotFound, "Not found"), // the queue is missing: the body was fine
        ("POST", "subscriptions") => (HttpStatusCode.BadRequest, "Invalid API request"),
        ("PATCH", "unknown") when path.Contains("/subscriptions/") => (HttpStatusCode.BadRequest, "Invalid API request"),
        ("PUT", "confirm") => (HttpStatusCode.BadRequest, "Invalid API request"),
        _ => (HttpStatusCode.BadRequest, "Invalid request body"),
    };

    private static async Task ShouldBeAsync(HttpResponseMessage response, (HttpStatusCode Status, string? Title) expected)
    {
        if (expected.Title is null)
        {
            await response.ShouldBeEmptyAsync(expected.Status);
        }
        else
        {
            await response.ShouldBeErrorAsync(expected.Status, expected.Title);
        }
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task ContentLengthZeroIsTreatedAsNoBody(string method, string path)
    {
        using var client = factory.CreateV1Client();
        var request = Request(client, method, path, "");
        request.Content!.Headers.ContentLength.Should().Be(0);
        await ShouldBeAsync(await client.SendAsync(request), WithoutBody(method, path));
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task NoBodyAtAllIsTreatedAsTheEndpointSays(string method, string path)
    {
        using var client = factory.CreateV1Client();
        var target = path.Replace("{q}", V1Client.NewQueueName());
        var contentType = method == "PATCH" && path.Count(c => c == '/') == 3 ? $"Content-Type: {ZaqarClient.PatchType}\r\n" : "";
        var raw = await factory.SendRawAsync(Encoding.ASCII.GetBytes(
            $"{method} {target} HTTP/1.1\r\nHost: test\r\nX-Project-Id: {client.Project}\r\nClient-ID: {client.ClientId}\r\n{contentType}Connection: close\r\n\r\n"),
            halfClose: false);
        var expected = WithoutBody(method, path);
        raw.Should().StartWith($"HTTP/1.1 {(int)expected.Status} ");
        if (expected.Title is not null)
        {
            raw.Should().Contain($"\"title\":\"{expected.Title}\"");
        }
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task UnparsableAndScalarBodiesAreInvalid(string method, string path)
    {
        using var client = factory.CreateV1Client();
        foreach (var body in new[] { "{", "not json", "\"text\"", "1", "null", "true", "{\"a\": 1} x" })
        {
            await (await client.SendAsync(Request(client, method, path, body)))
                .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
        }
    }

    [Theory]
    [InlineData("PUT", "/v1.1/queues/{q}", "[]", "Invalid request body")]
    [InlineData("PUT", "/v2/queues/{q}", "[{\"a\": 1}]", "Invalid request body")]
    [InlineData("PATCH", "/v2/queues/{q}", "{\"op\": \"add\"}", "Invalid request body")]
    [InlineData("POST", "/v1.1/queues/{q}/messages", "[{\"body\": 1}]", "Invalid API request")]
    [InlineData("POST", "/v2/queues/{q}/messages", "{\"messages\": \"m\"}", "Invalid request body")]
    [InlineData("POST", "/v2/queues/{q}/messages", "{\"messages\": [[]]}", "Invalid request body")]
    [InlineData("POST", "/v1.1/queues/{q}/claims", "[]", "Invalid request body")]
    [InlineData("POST", "/v2/queues/{q}/claims", "[{\"ttl\": 60}]", "Invalid request body")]
    [InlineData("PATCH", "/v1.1/queues/{q}/claims/unknown", "[]", "Invalid request body")]
    [InlineData("PATCH", "/v2/queues/{q}/claims/unknown", "[{}]", "Invalid request body")]
    [InlineData("POST", "/v2/queues/{q}/purge", "[\"messages\"]", "Invalid request body")]
    [InlineData("POST", "/v2/queues/{q}/redrive", "[10]", "Invalid request body")]
    [InlineData("POST", "/v2/queues/{q}/share", "[\"messages\"]", "Invalid request body")]
    [InlineData("POST", "/v2/queues/{q}/subscriptions", "[]", "Invalid request body")]
    [InlineData("PATCH", "/v2/queues/{q}/subscriptions/unknown", "[{\"ttl\": 60}]", "Invalid request body")]
    [InlineData("PUT", "/v2/queues/{q}/subscriptions/unknown/confirm", "[true]", "Invalid request body")]
    public async Task DocumentsOfTheWrongTypeAre400(string method, string path, string body, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.SendAsync(Request(client, method, path, body))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Theory]
    [InlineData("PUT", "/v1.1/queues/{q}", """{"color": "\ud800"}""")]
    [InlineData("PUT", "/v2/queues/{q}", """{"\udc00": 1}""")]
    [InlineData("PUT", "/v2/queues/{q}", """{"_dead_letter_queue": "\ud800"}""")]
    [InlineData("PATCH", "/v2/queues/{q}", """[{"op": "add", "path": "/metadata/\ud800", "value": 1}]""")]
    [InlineData("PATCH", "/v2/queues/{q}", """[{"op": "add", "path": "/metadata/a", "value": "\ud800"}]""")]
    [InlineData("PATCH", "/v2/queues/{q}", """[{"op": "\ud800", "path": "/metadata/a"}]""")]
    [InlineData("POST", "/v2/queues/{q}/claims", """{"\ud800": 1}""")]
    [InlineData("PATCH", "/v2/queues/{q}/claims/unknown", """{"\ud800": 1}""")]
    [InlineData("POST", "/v2/queues/{q}/purge", """{"resource_types": ["\ud800"]}""")]
    [InlineData("POST", "/v2/queues/{q}/redrive", """{"\ud800": 1}""")]
    [InlineData("POST", "/v2/queues/{q}/share", """{"paths": ["\ud800"]}""")]
    [InlineData("POST", "/v2/queues/{q}/share", """{"methods": ["\ud800"]}""")]
    [InlineData("POST", "/v2/queues/{q}/share", """{"\ud800": 1}""")]
    [InlineData("POST", "/v2/queues/{q}/share", """{"expires": "\ud800"}""")]
    [InlineData("POST", "/v2/queues/{q}/subscriptions", """{"subscriber": "http://example.com/\ud800"}""")]
    [InlineData("POST", "/v2/queues/{q}/subscriptions", """{"subscriber": "http://example.com/", "options": {"post_headers": {"X": "\ud800"}}}""")]
    [InlineData("POST", "/v2/queues/{q}/subscriptions", """{"subscriber": "http://example.com/", "options": {"\ud800": 1}}""")]
    [InlineData("PATCH", "/v2/queues/{q}/subscriptions/unknown", """{"\ud800": 1}""")]
    [InlineData("PATCH", "/v2/queues/{q}/subscriptions/unknown", """{"subscriber": "http://example.com/\udfff"}""")]
    [InlineData("PUT", "/v2/queues/{q}/subscriptions/unknown/confirm", """{"\ud800": true}""")]
    public async Task LoneSurrogateEscapesAre400(string method, string path, string body)
    {
        using var client = factory.CreateV1Client();
        await (await client.SendAsync(Request(client, method, path, body))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
    }

    /// <summary>
    /// Message bodies are opaque and round-trip as posted, lone surrogates included, as in v1; the
    /// rest of the post is read, so there they are refused (Http/LoneSurrogateTests).
    /// </summary>
    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task MessageBodiesWithLoneSurrogatesRoundTrip(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostV2Async(version, queue, """[{"body": "\ud800"}, {"body": {"\udbff": [1]}}]""");
        var listed = await (await client.GetAsync($"/{version}/queues/{queue}/messages?ids={string.Join(',', ids)}")).ShouldBeJsonAsync();
        listed.GetProperty("messages").Bodies().Should().Equal("\"\\ud800\"", """{"\udbff": [1]}""");
        var (_, claimed) = await client.ClaimV2Async(version, queue);
        claimed.Bodies().Should().Equal("\"\\ud800\"", """{"\udbff": [1]}""");
        var popped = await (await client.DeleteAsync($"/{version}/queues/{queue}/messages?pop=2")).ShouldBeJsonAsync();
        popped.GetProperty("messages").GetArrayLength().Should().Be(0);
    }
}
