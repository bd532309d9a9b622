using System.Net;

namespace Marconi.Tests.Http;

/// <summary>Request headers (contract 1.2) and the precedence of checks (1.7).</summary>
public sealed class HeaderChecksTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    private const string FormType = "application/x-www-form-urlencoded";

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("*/*")]
    [InlineData("application/*")]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("APPLICATION/JSON")]
    [InlineData("text/plain, application/json")]
    [InlineData("text/html;q=0.9, */*;q=0.1")]
    [InlineData("application/xml, application/json;q=0.5")]
    public async Task AcceptableAcceptHeadersAreServed(string? accept)
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/queues");
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("plain/text")]
    [InlineData("application/xml")]
    [InlineData("application/json;q=0")]
    [InlineData("application/json;q=0.0, text/plain")]
    [InlineData("*/*;q=0")]
    [InlineData("text/*")]
    public async Task UnacceptableAcceptHeadersAre406(string accept)
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/queues");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.NotAcceptable, "Not acceptable");
    }

    [Theory]
    [InlineData(FormType)]
    [InlineData("Application/X-WWW-Form-URLEncoded")]
    [InlineData("application/x-www-form-urlencoded; charset=utf-8")]
    public async Task FormUrlEncodedBodyIsRejected(string contentType)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var request = client.Request(HttpMethod.Post, $"/v1/queues/{queue}/messages", """[{"ttl":60,"body":1}]""", contentType);
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid Content-Type");
    }

    [Fact]
    public async Task FormUrlEncodedWithContentLengthZeroIsRejected()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Put, $"/v1/queues/{V1Client.NewQueueName()}", "", FormType);
        request.Content!.Headers.ContentLength.Should().Be(0);
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid Content-Type");
    }

    [Fact]
    public async Task FormUrlEncodedTypeWithoutBodyIsAccepted()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/queues");
        request.Headers.TryAddWithoutValidation("Content-Type", FormType);
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData(null)]
    public async Task BodiesAreParsedAsJsonWhateverTheContentType(string? contentType)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var request = client.Request(HttpMethod.Post, $"/v1/queues/{queue}/messages", """[{"ttl":60,"body":"x"}]""", contentType);
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task ContentTypeIsCheckedBeforeAccept()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Put, $"/v1/queues/{V1Client.NewQueueName()}", "a=b", FormType);
        request.Headers.TryAddWithoutValidation("Accept", "text/plain");
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid Content-Type");
    }

    [Fact]
    public async Task AcceptIsCheckedBeforeClientId()
    {
        using var client = factory.CreateV1Client();
        client.ClientId = "not-a-uuid";
        var request = client.Request(HttpMethod.Get, "/v1/queues");
        request.Headers.TryAddWithoutValidation("Accept", "text/plain");
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
    }

    [Theory]
    [InlineData("3381af92-2b9e-11e3-b191-71861300734c")]
    [InlineData("3381af922b9e11e3b19171861300734c")]
    [InlineData("{3381AF92-2B9E-11E3-B191-71861300734C}")]
    [InlineData("urn:uuid:3381af92-2b9e-11e3-b191-71861300734c")]
    public async Task ClientIdAcceptsTheContractsUuidForms(string clientId)
    {
        using var client = factory.CreateV1Client();
        client.ClientId = clientId;
        var queue = await client.CreateQueueAsync();
        (await client.GetAsync($"/v1/queues/{queue}/messages")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1234")]
    [InlineData("aa2-bb3")]
    [InlineData("0xdeadbeef")]
    [InlineData("3381af922b9e11e3b19171861300734")]
    [InlineData("3381af922b9e11e3b19171861300734cc")]
    [InlineData("3381af92-2b9e-11e3-b191-71861300734g")]
    public async Task MalformedClientIdIsRejectedOnAnyRequest(string clientId)
    {
        using var client = factory.CreateV1Client();
        client.ClientId = clientId;
        await (await client.GetAsync("/v1/queues")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Wrong UUID value");
        await (await client.GetAsync("/v1/health")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Wrong UUID value");
        await (await client.PutAsync($"/v1/queues/{V1Client.NewQueueName()}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Wrong UUID value");
    }

    [Fact]
    public async Task ClientIdIsCheckedBeforeTheEmptyProject()
    {
        using var client = factory.CreateV1Client();
        client.ClientId = "1234";
        client.Project = "";
        await (await client.GetAsync("/v1/queues")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Wrong UUID value");
    }

    [Fact]
    public async Task EmptyProjectIsRejected()
    {
        using var client = factory.CreateV1Client();
        client.Project = "";
        await (await client.GetAsync("/v1/queues")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Empty project header not allowed");
        await (await client.PutAsync($"/v1/queues/{V1Client.NewQueueName()}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Empty project header not allowed");
    }

    [Fact]
    public async Task EmptyProjectIsCheckedBeforeTheQueueName()
    {
        using var client = factory.CreateV1Client();
        client.Project = "";
        await (await client.PutAsync("/v1/queues/bad!name"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Empty project header not allowed");
    }

    [Fact]
    public async Task ProjectOf256CharactersIsAcceptedAnd257IsNotOnQueueRoutes()
    {
        using var client = factory.CreateV1Client();
        client.Project = new string('p', 256);
        var queue = V1Client.NewQueueName();
        (await client.PutAsync($"/v1/queues/{queue}")).StatusCode.Should().Be(HttpStatusCode.Created);

        client.Project = new string('p', 257);
        await (await client.PutAsync($"/v1/queues/{queue}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
        await (await client.GetAsync($"/v1/queues/{queue}/messages/x"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
    }

    [Fact]
    public async Task LongProjectIsAllowedWhereThereIsNoQueueName()
    {
        using var client = factory.CreateV1Client();
        client.Project = new string('p', 300);
        (await client.GetAsync("/v1/queues")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ProjectIdMayContainAnyCharacters()
    {
        using var client = factory.CreateV1Client();
        client.Project = "Tenant 42/Ops;=,{x}";
        var queue = await client.CreateQueueAsync();
        (await client.GetAsync($"/v1/queues/{queue}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task InvalidInputOnAMissingQueueIs400Not404()
    {
        using var client = factory.CreateV1Client();
        var missing = V1Client.NewQueueName();
        await (await client.PutAsync($"/v1/queues/{missing}/metadata", "[1]"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
        await (await client.PostAsync($"/v1/queues/{missing}/messages", "[]"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PatchAsync($"/v1/queues/{missing}/claims/c", """{"ttl":10}"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.GetAsync($"/v1/queues/{missing}/messages?limit=0"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task ProjectLengthIsCheckedBeforeTheQueueName()
    {
        using var client = factory.CreateV1Client();
        client.Project = new string('p', 257);
        var response = await client.GetAsync("/v1/queues/bad!name");
        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
        (await response.JsonAsync()).GetProperty("description").GetString().Should().Contain("256");
    }

    [Fact]
    public async Task QueueNameIsCheckedBeforeEndpointParameters()
    {
        using var client = factory.CreateV1Client();
        client.ClientId = null;
        await (await client.GetAsync("/v1/queues/bad!name/messages?limit=abc"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
    }

    [Fact]
    public async Task UnknownHeadersAreIgnored()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/queues");
        request.Headers.TryAddWithoutValidation("X-Auth-Token", "whatever");
        request.Headers.TryAddWithoutValidation("X-Openstack-Request-Id", "req-1");
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }
}
