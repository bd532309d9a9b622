using System.Net;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>
/// v2 contract 2.3 on every route with <c>{queue_name}</c>, and 1.3/2.1: known paths answer 405
/// with <c>Allow</c> for other methods. Invalid input on a queue that does not exist is 400, never 404.
/// </summary>
public sealed class ZaqarCheckOrderTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    /// <summary>Every route with a queue name, as method and path with <c>{q}</c> for the name.</summary>
    public static TheoryData<string, string> QueueRoutes()
    {
        var data = new TheoryData<string, string>();
        foreach (var version in new[] { "v1.1", "v2" })
        {
            data.Add("GET", $"/{version}/queues/{{q}}");
            data.Add("PUT", $"/{version}/queues/{{q}}");
            data.Add("DELETE", $"/{version}/queues/{{q}}");
            data.Add("GET", $"/{version}/queues/{{q}}/stats");
            data.Add("POST", $"/{version}/queues/{{q}}/messages");
            data.Add("GET", $"/{version}/queues/{{q}}/messages");
            data.Add("GET", $"/{version}/queues/{{q}}/messages?ids=a");
            data.Add("DELETE", $"/{version}/queues/{{q}}/messages?ids=a");
            data.Add("DELETE", $"/{version}/queues/{{q}}/messages?pop=1");
            data.Add("GET", $"/{version}/queues/{{q}}/messages/m");
            data.Add("DELETE", $"/{version}/queues/{{q}}/messages/m");
            data.Add("POST", $"/{version}/queues/{{q}}/claims");
            data.Add("GET", $"/{version}/queues/{{q}}/claims/c");
            data.Add("PATCH", $"/{version}/queues/{{q}}/claims/c");
            data.Add("DELETE", $"/{version}/queues/{{q}}/claims/c");
        }

        data.Add("PATCH", "/v2/queues/{q}");
        data.Add("POST", "/v2/queues/{q}/purge");
        data.Add("POST", "/v2/queues/{q}/redrive");
        data.Add("POST", "/v2/queues/{q}/share");
        data.Add("POST", "/v2/queues/{q}/subscriptions");
        data.Add("GET", "/v2/queues/{q}/subscriptions");
        data.Add("GET", "/v2/queues/{q}/subscriptions/s");
        data.Add("PATCH", "/v2/queues/{q}/subscriptions/s");
        data.Add("DELETE", "/v2/queues/{q}/subscriptions/s");
        data.Add("PUT", "/v2/queues/{q}/subscriptions/s/confirm");
        return data;
    }

    private static HttpRequestMessage Request(V1Client client, string method, string path, string queue, string? body = "{}", string contentType = V1Client.JsonType)
    {
        var request = client.Request(new HttpMethod(method), path.Replace("{q}", queue), body, contentType);
        return request;
    }

    [Theory]
    [MemberData(nameof(QueueRoutes))]
    public async Task EachCheckComesBeforeTheNext(string method, string path)
    {
        using var client = factory.CreateV1Client();
        const string badName = "bad%20name";

        // Step 3 before 4: a form-urlencoded body with an unacceptable Accept and no headers at all.
        client.ClientId = null;
        client.Project = null;
        var form = Request(client, method, path, badName, "a=b", "application/x-www-form-urlencoded");
        form.Headers.TryAddWithoutValidation("Accept", "text/plain");
        await (await client.SendAsync(form)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid Content-Type");

        // Step 4 before 5.
        var plain = Request(client, method, path, badName);
        plain.Headers.TryAddWithoutValidation("Accept", "text/plain");
        await (await client.SendAsync(plain)).ShouldBeErrorAsync(HttpStatusCode.NotAcceptable, "Not acceptable");

        // Step 5 (absent, then malformed) before 6.
        await (await client.SendAsync(Request(client, method, path, badName))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing header value");
        client.ClientId = "not-a-uuid";
        await (await client.SendAsync(Request(client, method, path, badName))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Wrong UUID value");
        client.ClientId = Guid.NewGuid().ToString();

        // Step 6 (absent, then empty) before 7.
        await (await client.SendAsync(Request(client, method, path, badName))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Project-Id Missing");
        client.Project = "";
        await (await client.SendAsync(Request(client, method, path, badName))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Empty project header not allowed");

        // Step 7: project length, then the name; both before the endpoint's own steps (the body "x" is unparsable).
        client.Project = new string('p', 257);
        await (await client.SendAsync(Request(client, method, path, "q", "x"))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
        client.Project = "project-" + Guid.NewGuid().ToString("N");
        foreach (var name in new[] { badName, new string('q', 65), "caf%C3%A9", "a%2Fb" })
        {
            await (await client.SendAsync(Request(client, method, path, name, "x"))).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
        }
    }

    [Theory]
    [MemberData(nameof(QueueRoutes))]
    public async Task BoundaryNamesAndProjectsPassStep7(string method, string path)
    {
        using var client = factory.CreateV1Client();
        client.Project = new string('p', 255) + Guid.NewGuid().ToString("N")[..1];
        var response = await client.SendAsync(Request(client, method, path, new string('q', 63) + "_"));
        ((int)response.StatusCode).Should().BeLessThan(500);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            (await response.JsonAsync()).GetProperty("title").GetString().Should().NotBe("Invalid queue identification");
        }
    }

    [Theory]
    [InlineData("/v2/queues/{q}/messages")]
    [InlineData("/v2/queues/{q}/claims")]
    [InlineData("/v2/queues/{q}/subscriptions")]
    public async Task ABadSignatureIsHiddenBeforeEveryOtherCheck(string path)
    {
        using var client = factory.CreateV1Client();
        client.ClientId = null;
        client.Project = null;
        var request = Request(client, "POST", path, "bad%20name", "a=b", "application/x-www-form-urlencoded");
        request.Headers.TryAddWithoutValidation("Accept", "text/plain");
        request.Headers.TryAddWithoutValidation("URL-Signature", "00");
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Theory]
    [InlineData("POST", "/v1.1/queues/{q}/messages")]
    [InlineData("GET", "/v1.1/queues/{q}/messages")]
    public async Task SignaturesAreIgnoredOnV1_1(string method, string path)
    {
        using var client = factory.CreateV1Client();
        var request = Request(client, method, path, V1Client.NewQueueName(), method == "POST" ? """{"messages": [{"body": 1}]}""" : null);
        request.Headers.TryAddWithoutValidation("URL-Signature", "00");
        ((int)(await client.SendAsync(request)).StatusCode).Should().BeOneOf(200, 201);
    }

    [Theory]
    [InlineData("POST", "/v1.1/queues", "GET")]
    [InlineData("DELETE", "/v2/queues", "GET")]
    [InlineData("PATCH", "/v1.1/queues/q", "GET,PUT,DELETE")]
    [InlineData("POST", "/v2/queues/q", "GET,PUT,PATCH,DELETE")]
    [InlineData("HEAD", "/v2/queues/q", "GET,PUT,PATCH,DELETE")]
    [InlineData("PUT", "/v2/queues/q/stats", "GET")]
    [InlineData("GET", "/v2/queues/q/purge", "POST")]
    [InlineData("DELETE", "/v2/queues/q/share", "POST")]
    [InlineData("PUT", "/v1.1/queues/q/messages", "GET,POST,DELETE")]
    [InlineData("POST", "/v2/queues/q/messages/m", "GET,DELETE")]
    [InlineData("GET", "/v1.1/queues/q/claims", "POST")]
    [InlineData("POST", "/v2/queues/q/claims/c", "GET,PATCH,DELETE")]
    [InlineData("DELETE", "/v2/queues/q/subscriptions", "GET,POST")]
    [InlineData("PUT", "/v2/queues/q/subscriptions/s", "GET,PATCH,DELETE")]
    [InlineData("GET", "/v2/queues/q/subscriptions/s/confirm", "PUT")]
    [InlineData("POST", "/v2/ping", "GET,HEAD")]
    [InlineData("POST", "/v1.1/health", "GET")]
    [InlineData("DELETE", "/v2/", "GET")]
    public async Task OtherMethodsOnKnownPathsAre405WithAllow(string method, string path, string allowed)
    {
        using var client = factory.CreateV1Client();
        var response = await client.SendAsync(client.Request(new HttpMethod(method), path));
        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.Should().BeEquivalentTo(allowed.Split(','));
        if (method != "HEAD")
        {
            await response.ShouldBeErrorAsync(HttpStatusCode.MethodNotAllowed, "Method not allowed");
        }
    }

    [Fact]
    public async Task ALongProjectIsAllowedWhereThereIsNoQueueName()
    {
        using var client = factory.CreateV1Client();
        client.Project = new string('p', 300);
        (await (await client.GetAsync("/v2/queues")).ShouldBeJsonAsync()).GetProperty("queues").GetArrayLength().Should().Be(0);
    }
}
