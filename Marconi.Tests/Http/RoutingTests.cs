using System.Net;
using System.Text.Json;

namespace Marconi.Tests.Http;

/// <summary>Contract 1.1 (routes, 404, 405, trailing slashes), 3.1 home document, 3.2 health, 3.20 versions.</summary>
public sealed class RoutingTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Theory]
    [InlineData("/v1/")]
    [InlineData("/v1")]
    public async Task HomeDocumentIsServedWithAndWithoutTrailingSlash(string path)
    {
        using var client = factory.CreateV1Client();
        var response = await client.GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json-home");
        response.Headers.CacheControl!.MaxAge.Should().Be(TimeSpan.FromSeconds(86400));
        var home = await response.JsonAsync();
        home.Members().Should().Equal("resources");
        home.GetProperty("resources").Members().Should().BeEquivalentTo(
            "rel/queues", "rel/queue", "rel/queue-metadata", "rel/queue-stats", "rel/messages", "rel/post-messages", "rel/claim");
        foreach (var resource in home.GetProperty("resources").EnumerateObject())
        {
            resource.Value.GetProperty("href-template").GetString().Should().StartWith("/v1/queues");
        }

        home.GetProperty("resources").GetProperty("rel/queue").GetProperty("hints").GetProperty("allow")
            .EnumerateArray().Select(m => m.GetString()).Should().Equal("GET", "HEAD", "PUT", "DELETE");
    }

    [Theory]
    [InlineData("application/json-home")]
    [InlineData("application/json-home, text/html;q=0.5")]
    [InlineData("application/json")]
    public async Task HomeDocumentAcceptsJsonHome(string accept)
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task JsonHomeIsNotAcceptableElsewhere()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/queues");
        request.Headers.TryAddWithoutValidation("Accept", "application/json-home");
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.NotAcceptable, "Not acceptable");
    }

    [Fact]
    public async Task HomeDocumentNeedsNoProjectButRejectsAnEmptyOne()
    {
        using var client = factory.CreateV1Client();
        client.Project = null;
        client.ClientId = null;
        (await client.GetAsync("/v1/")).StatusCode.Should().Be(HttpStatusCode.OK);

        client.Project = "";
        await (await client.GetAsync("/v1/")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Empty project header not allowed");
    }

    [Fact]
    public async Task HomeDocumentRejectsXmlOnlyClients()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/");
        request.Headers.TryAddWithoutValidation("Accept", "application/xml");
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
    }

    [Fact]
    public async Task VersionsDocumentIsServedAtTheRootWithStatus300()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Accept", "text/plain");
        request.Headers.TryAddWithoutValidation("Client-ID", "not-a-uuid");
        var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.MultipleChoices);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        var versions = await response.JsonAsync();
        // v2 contract 5.1 replaces v1 3.20: v1 is listed first, deprecated in favour of v2.
        var v1 = versions.GetProperty("versions").EnumerateArray().First();
        v1.GetProperty("id").GetString().Should().Be("1");
        v1.GetProperty("status").GetString().Should().Be("DEPRECATED");
        v1.GetProperty("links")[0].GetProperty("href").GetString().Should().Be("/v1/");
    }

    [Fact]
    public async Task HealthAnswers204WithoutBodyOnGetAndHead()
    {
        using var client = factory.CreateV1Client();
        client.Project = null;
        client.ClientId = null;
        await (await client.GetAsync("/v1/health")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.HeadAsync("/v1/health")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task HealthAppliesTheAcceptRule()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/health");
        request.Headers.TryAddWithoutValidation("Accept", "application/xml");
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.NotAcceptable, "Not acceptable");
    }

    [Theory]
    [InlineData("/v3")]
    [InlineData("/v1/nothing")]
    [InlineData("/v1/queues/q/unknown")]
    [InlineData("/v1/queues/q/messages/m/extra")]
    [InlineData("/V1/queues")]
    [InlineData("/v1/Queues/q")]
    [InlineData("/v1/queues/q/MESSAGES")]
    [InlineData("/V1")]
    [InlineData("/V1.1/queues/q/messages")]
    [InlineData("/v2/queues/q/Subscriptions/s/confirm")]
    [InlineData("/v2/queues/q/subscriptions/s/Confirm")]
    [InlineData("/v2/Admin/keys")]
    [InlineData("/v2/admin/Keys/k")]
    [InlineData("/v2/admin/keys/k/ROTATE")]
    [InlineData("/v1/health/")]
    [InlineData("/v1/queues/q/")]
    [InlineData("/v1/queues/q/messages/")]
    [InlineData("/v1/queues/q/metadata/")]
    [InlineData("/v1/queues//messages")]
    public async Task UnknownPathIs404WithJsonError(string path)
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync(path)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Fact]
    public async Task UnknownPathIs404EvenWithAnUnacceptableAcceptHeader()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/nowhere");
        request.Headers.TryAddWithoutValidation("Accept", "text/plain");
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Theory]
    [InlineData("PATCH", "/v1/queues/q", "PUT,GET,HEAD,DELETE")]
    [InlineData("POST", "/v1/queues/q", "PUT,GET,HEAD,DELETE")]
    [InlineData("POST", "/v1/health", "GET,HEAD")]
    [InlineData("PUT", "/v1/queues", "GET")]
    [InlineData("DELETE", "/v1/queues/q/metadata", "GET,PUT")]
    [InlineData("POST", "/v1/queues/q/stats", "GET")]
    [InlineData("PUT", "/v1/queues/q/messages", "POST,GET,DELETE")]
    [InlineData("PATCH", "/v1/queues/q/messages/m", "GET,DELETE")]
    [InlineData("GET", "/v1/queues/q/claims", "POST")]
    [InlineData("POST", "/v1/queues/q/claims/c", "GET,PATCH,DELETE")]
    [InlineData("PUT", "/v1/", "GET")]
    [InlineData("DELETE", "/", "GET")]
    [InlineData("FROB", "/v1/queues/q/messages", "POST,GET,DELETE")]
    [InlineData("POST", "/v1/queues/", "PUT,GET,HEAD,DELETE")]
    public async Task UnsupportedMethodIs405WithAllowAndJsonError(string method, string path, string allowed)
    {
        using var client = factory.CreateV1Client();
        var response = await client.SendAsync(new HttpMethod(method), path);

        await response.ShouldBeErrorAsync(HttpStatusCode.MethodNotAllowed, "Method not allowed");
        response.Content.Headers.Allow.Should().BeEquivalentTo(allowed.Split(','));
    }

    [Theory]
    [InlineData("/v1/queues/q/stats")]
    [InlineData("/v1/queues/q/messages")]
    [InlineData("/v1/queues/q/metadata")]
    [InlineData("/v1/queues")]
    [InlineData("/v1/")]
    public async Task HeadIsOnlySupportedWhereListed(string path)
    {
        using var client = factory.CreateV1Client();
        var response = await client.HeadAsync(path);

        await response.ShouldBeEmptyAsync(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.Should().NotContain("HEAD").And.Contain("GET");
    }

    [Fact]
    public async Task MethodIsCheckedBeforeContentTypeAndAccept()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Post, "/v1/queues/q/stats", "a=b", "application/x-www-form-urlencoded");
        request.Headers.TryAddWithoutValidation("Accept", "text/plain");
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task OptionsOnAKnownResourceListsTheAllowedMethods()
    {
        using var client = factory.CreateV1Client();
        var response = await client.SendAsync(HttpMethod.Options, "/v1/queues/q/claims/c");
        response.Content.Headers.Allow.Should().BeEquivalentTo("GET", "PATCH", "DELETE");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task QueuesPathWithTrailingSlashIsTheQueueWithAnEmptyName(string method)
    {
        using var client = factory.CreateV1Client();
        await (await client.SendAsync(new HttpMethod(method), "/v1/queues/"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
    }

    [Fact]
    public async Task QueuesPathWithTrailingSlashRunsTheHeaderChecksBeforeTheNameCheck()
    {
        using var client = factory.CreateV1Client();
        client.Project = "";
        await (await client.GetAsync("/v1/queues/"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Empty project header not allowed");
    }

    [Fact]
    public async Task HeadOnQueuesPathWithTrailingSlashIs400WithoutBody()
    {
        using var client = factory.CreateV1Client();
        await (await client.HeadAsync("/v1/queues/")).ShouldBeEmptyAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("my%20q")]
    [InlineData("caf%C3%A9")]
    [InlineData("a%2Cb")]
    public async Task PercentEncodedQueueNamesAreDecodedBeforeValidation(string encoded)
    {
        using var client = factory.CreateV1Client();
        await (await client.PutAsync($"/v1/queues/{encoded}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
    }

    [Fact]
    public async Task PercentEncodedValidCharactersNameTheDecodedQueue()
    {
        using var client = factory.CreateV1Client();
        var name = V1Client.NewQueueName();
        await client.CreateQueueAsync(name);
        var encoded = "%" + ((int)name[0]).ToString("X2") + name[1..];

        var response = await client.GetAsync($"/v1/queues/{encoded}");
        await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ErrorBodiesAreJsonWithTitleAndDescriptionOnly()
    {
        using var client = factory.CreateV1Client();
        var response = await client.GetAsync("/v1/queues?limit=abc");
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid parameter");
        var body = await response.JsonAsync();
        body.GetProperty("title").ValueKind.Should().Be(JsonValueKind.String);
        body.GetProperty("description").ValueKind.Should().Be(JsonValueKind.String);
    }
}
