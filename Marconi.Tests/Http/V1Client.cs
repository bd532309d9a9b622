using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Marconi.Tests.Http;

/// <summary>
/// An HTTP client for one test: it sends the test's own <c>X-Project-Id</c> and a
/// <c>Client-ID</c> unless told otherwise, and offers the few set-up steps most tests share.
/// </summary>
public sealed class V1Client(HttpClient http, string project) : IDisposable
{
    public const string JsonType = "application/json";

    public HttpClient Http { get; } = http;

    /// <summary>The project id sent with every request (null: the default namespace).</summary>
    public string? Project { get; set; } = project;

    /// <summary>The Client-ID sent with every request (null: none).</summary>
    public string? ClientId { get; set; } = Guid.NewGuid().ToString();

    /// <summary>The API key sent as <c>X-Auth-Token</c> (null: none).</summary>
    public string? Token { get; set; }

    public static string NewQueueName() => "q-" + Guid.NewGuid().ToString("N")[..12];

    public HttpRequestMessage Request(HttpMethod method, string uri, string? body = null, string? contentType = JsonType)
    {
        var request = new HttpRequestMessage(method, uri);
        if (Project is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Project-Id", Project);
        }

        if (ClientId is not null)
        {
            request.Headers.TryAddWithoutValidation("Client-ID", ClientId);
        }

        if (Token is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Auth-Token", Token);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }

        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => Http.SendAsync(request);

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string uri, string? body = null) =>
        Http.SendAsync(Request(method, uri, body));

    public Task<HttpResponseMessage> GetAsync(string uri) => SendAsync(HttpMethod.Get, uri);

    public Task<HttpResponseMessage> HeadAsync(string uri) => SendAsync(HttpMethod.Head, uri);

    public Task<HttpResponseMessage> PutAsync(string uri, string? body = null) => SendAsync(HttpMethod.Put, uri, body);

    public Task<HttpResponseMessage> PostAsync(string uri, string? body) => SendAsync(HttpMethod.Post, uri, body);

    public Task<HttpResponseMessage> PatchAsync(string uri, string? body) => SendAsync(HttpMethod.Patch, uri, body);

    public Task<HttpResponseMessage> DeleteAsync(string uri) => SendAsync(HttpMethod.Delete, uri);

    /// <summary>Creates a fresh queue and returns its name.</summary>
    public async Task<string> CreateQueueAsync(string? name = null)
    {
        name ??= NewQueueName();
        var response = await PutAsync($"/v1/queues/{name}");
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        return name;
    }

    /// <summary>Posts messages (a JSON array) and returns their ids in order.</summary>
    public async Task<List<string>> PostMessagesAsync(string queue, string messagesJson)
    {
        var response = await PostAsync($"/v1/queues/{queue}/messages", messagesJson);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await response.JsonAsync();
        return body.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!.Split('/')[^1]).ToList();
    }

    /// <summary>Posts <paramref name="count"/> messages with bodies 0, 1, 2, … and the given TTL.</summary>
    public Task<List<string>> PostNumberedAsync(string queue, int count, int ttl = 300) =>
        PostMessagesAsync(queue, "[" + string.Join(",", Enumerable.Range(0, count).Select(i => $$"""{"ttl":{{ttl}},"body":{{i}}}""")) + "]");

    /// <summary>Creates a claim and returns its id and the claimed message ids.</summary>
    public async Task<(string ClaimId, List<string> MessageIds)> ClaimAsync(string queue, int ttl = 60, int grace = 60, int? limit = null)
    {
        var uri = $"/v1/queues/{queue}/claims" + (limit is { } l ? $"?limit={l}" : "");
        var response = await PostAsync(uri, $$"""{"ttl":{{ttl}},"grace":{{grace}}}""");
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var claimId = response.Headers.Location!.OriginalString.Split('/')[^1];
        var messages = (await response.JsonAsync()).EnumerateArray()
            .Select(m => m.GetProperty("href").GetString()!.Split('/')[^1].Split('?')[0]).ToList();
        return (claimId, messages);
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>Assertions on v1 responses.</summary>
public static class V1Assertions
{
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 1000 });
        return document.RootElement.Clone();
    }

    /// <summary>The member names of an object, in order.</summary>
    public static List<string> Members(this JsonElement element) =>
        element.EnumerateObject().Select(p => p.Name).ToList();

    /// <summary>The status, the JSON content type and an error body with exactly title and description.</summary>
    public static async Task ShouldBeErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string title)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, text);
        response.Content.Headers.ContentType!.ToString().Should().Be("application/json; charset=utf-8");
        using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 1000 });
        var root = document.RootElement;
        root.Members().Should().BeEquivalentTo(["title", "description"]);
        root.GetProperty("title").GetString().Should().Be(title);
        root.GetProperty("description").GetString().Should().NotBeNullOrWhiteSpace();
    }

    /// <summary>The status and no body at all.</summary>
    public static async Task ShouldBeEmptyAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        response.StatusCode.Should().Be(status, System.Text.Encoding.UTF8.GetString(bytes));
        bytes.Should().BeEmpty();
    }

    /// <summary>200 with the v1 JSON content type; returns the body.</summary>
    public static async Task<JsonElement> ShouldBeJsonAsync(this HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, text);
        response.Content.Headers.ContentType!.ToString().Should().Be("application/json; charset=utf-8");
        using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 1000 });
        return document.RootElement.Clone();
    }

    public static string? ContentLocation(this HttpResponseMessage response) =>
        response.Content.Headers.ContentLocation?.OriginalString;

    public static string? Location(this HttpResponseMessage response) => response.Headers.Location?.OriginalString;
}
