using System.Net;
using Marconi.Api.V2;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Hosting;

namespace Marconi.Tests.Zaqar;

/// <summary>The host with a configured signing key, so signatures can be checked against the contract's examples.</summary>
public sealed class SignedUrlFactory : MarconiHttpFactoryBase
{
    public const string Key = "my-secret";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:SignedUrl:SecretKey", Key);
    }
}

/// <summary>v2 contract 11: the share endpoint, Zaqar's exact signature, and requests made with a grant.</summary>
public sealed class SignedUrlTests(SignedUrlFactory factory) : IClassFixture<SignedUrlFactory>
{
    [Fact]
    public void SignaturesMatchTheContractsExamples()
    {
        var key = System.Text.Encoding.UTF8.GetBytes("my-secret");
        SignedUrls.Signature(key, ["/v2/queues/demoqueue/claims", "/v2/queues/demoqueue/messages"], ["GET", "POST"], "7e55e1a7e", "2030-01-01T00:00:00")
            .Should().Be("033c181a7e5068088c1bc0c5206d24b1e100a6879d0f197234de7e755a8671fb");
        SignedUrls.Signature(key, ["/v2/queues/demoqueue/messages"], ["GET"], "7e55e1a7e", "2030-01-01T00:00:00")
            .Should().Be("56851dbde569b488672ce4f5387d6badba1c376a3b317e92463a1c3ba30f455d");
    }

    [Fact]
    public async Task ShareAnswersTheGrantInZaqarsShape()
    {
        using var client = factory.CreateV1Client();
        client.Project = "7e55e1a7e";
        var response = await client.PostAsync("/v2/queues/demoqueue/share",
            """{"paths": ["messages", "claims"], "methods": ["POST", "GET"], "expires": "2030-01-01T00:00:00"}""");
        var grant = await response.ShouldBeJsonAsync();
        grant.Members().Should().Equal("paths", "methods", "project", "expires", "signature");
        grant.GetProperty("paths").EnumerateArray().Select(p => p.GetString()).Should().Equal("/v2/queues/demoqueue/claims", "/v2/queues/demoqueue/messages");
        grant.GetProperty("methods").EnumerateArray().Select(p => p.GetString()).Should().Equal("GET", "POST");
        grant.GetProperty("project").GetString().Should().Be("7e55e1a7e");
        grant.GetProperty("expires").GetString().Should().Be("2030-01-01T00:00:00");
        grant.GetProperty("signature").GetString().Should().Be("033c181a7e5068088c1bc0c5206d24b1e100a6879d0f197234de7e755a8671fb");

        var defaults = await (await client.PostAsync("/v2/queues/demoqueue/share", "{}")).ShouldBeJsonAsync();
        defaults.GetProperty("paths").EnumerateArray().Select(p => p.GetString()).Should().Equal("/v2/queues/demoqueue/messages");
        defaults.GetProperty("methods").EnumerateArray().Select(p => p.GetString()).Should().Equal("GET");
        defaults.GetProperty("expires").GetString().Should().Be(SignedUrls.FormatExpires(factory.Clock.GetUtcNow().AddDays(1)));

        var zoned = await (await client.PostAsync("/v2/queues/demoqueue/share", """{"expires": "2030-01-01T02:00:00.5+02:00"}""")).ShouldBeJsonAsync();
        zoned.GetProperty("expires").GetString().Should().Be("2030-01-01T00:00:00");
    }

    [Theory]
    [InlineData("""{"paths": ["queues"]}""", "Invalid API request")]
    [InlineData("""{"methods": "GET"}""", "Invalid API request")]
    [InlineData("""{"other": 1}""", "Invalid API request")]
    [InlineData("""{"expires": "1700000000"}""", "Invalid API request")]
    [InlineData("""{"expires": "2001-01-01T00:00:00"}""", "Invalid API request")]
    [InlineData("""{"expires": "soon"}""", "Invalid API request")]
    [InlineData("[]", "Invalid request body")]
    [InlineData(null, "Invalid request body")]
    public async Task BadShareRequestsAre400(string? body, string title)
    {
        using var client = factory.CreateV1Client();
        await (await client.PostAsync("/v2/queues/q/share", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task AGrantLetsItsHolderDoWhatItSaysAndNothingElse()
    {
        using var owner = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await owner.PostNumberedV2Async("v2", queue, 2);
        var grant = await (await owner.PostAsync($"/v2/queues/{queue}/share", """{"methods": ["GET"]}""")).ShouldBeJsonAsync();

        using var holder = factory.CreateV1Client();
        holder.Project = grant.GetProperty("project").GetString();
        HttpRequestMessage Signed(HttpMethod method, string path, string? signature = null, string? paths = null)
        {
            var request = holder.Request(method, path);
            request.Headers.TryAddWithoutValidation("URL-Signature", signature ?? grant.GetProperty("signature").GetString());
            request.Headers.TryAddWithoutValidation("URL-Methods", "GET");
            request.Headers.TryAddWithoutValidation("URL-Paths", paths ?? grant.GetProperty("paths")[0].GetString());
            request.Headers.TryAddWithoutValidation("URL-Expires", grant.GetProperty("expires").GetString());
            return request;
        }

        var listed = await (await holder.SendAsync(Signed(HttpMethod.Get, $"/v2/queues/{queue}/messages"))).ShouldBeJsonAsync();
        listed.GetProperty("messages").Ids().Should().Equal(ids);
        (await holder.SendAsync(Signed(HttpMethod.Get, $"/v2/queues/{queue}/messages/{ids[0]}"))).StatusCode.Should().Be(HttpStatusCode.OK);

        await (await holder.SendAsync(Signed(HttpMethod.Delete, $"/v2/queues/{queue}/messages/{ids[0]}"))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await holder.SendAsync(Signed(HttpMethod.Get, $"/v2/queues/{queue}/stats"))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await holder.SendAsync(Signed(HttpMethod.Get, $"/v2/queues/{queue}/messagesx"))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await holder.SendAsync(Signed(HttpMethod.Get, $"/v2/queues/{queue}/messages", signature: new string('0', 64)))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await holder.SendAsync(Signed(HttpMethod.Get, $"/v2/queues/other/messages", paths: "/v2/queues/other/messages"))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        holder.Project = "someone-else";
        await (await holder.SendAsync(Signed(HttpMethod.Get, $"/v2/queues/{queue}/messages"))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        // v1.1 ignores the headers altogether.
        (await holder.SendAsync(Signed(HttpMethod.Get, $"/v1.1/queues/{queue}/stats", signature: "bad"))).StatusCode.Should().Be(HttpStatusCode.OK);

        holder.Project = owner.Project;
        factory.Clock.Advance(TimeSpan.FromDays(1));
        await (await holder.SendAsync(Signed(HttpMethod.Get, $"/v2/queues/{queue}/messages"))).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }
}
