using System.Net;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Hosting;

namespace Marconi.Tests.Zaqar;

/// <summary>The host serving only v1 and v2 (<c>Marconi:Api:Versions</c>, v2 contract 1.3 and 13.1).</summary>
public sealed class WithoutV1_1Factory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Api:Versions:0", "1");
        builder.UseSetting("Marconi:Api:Versions:1", "2");
    }
}

/// <summary>v2 contract 1.3: a version disabled by configuration answers 404 and is absent from <c>GET /</c>.</summary>
public sealed class DisabledVersionTests(WithoutV1_1Factory factory) : IClassFixture<WithoutV1_1Factory>
{
    [Fact]
    public async Task TheVersionsDocumentListsOnlyTheServedVersions()
    {
        using var client = factory.CreateV1Client();
        var response = await client.GetAsync("/");
        response.StatusCode.Should().Be(HttpStatusCode.MultipleChoices);
        var versions = (await response.JsonAsync()).GetProperty("versions");
        versions.EnumerateArray().Select(v => v.GetProperty("id").GetString()).Should().Equal("1", "2");
        versions.EnumerateArray().Select(v => v.GetProperty("links")[0].GetProperty("href").GetString()).Should().Equal("/v1/", "/v2/");
    }

    [Theory]
    [InlineData("GET", "/v1.1/")]
    [InlineData("GET", "/v1.1")]
    [InlineData("GET", "/v1.1/ping")]
    [InlineData("HEAD", "/v1.1/ping")]
    [InlineData("GET", "/v1.1/health")]
    [InlineData("GET", "/v1.1/queues")]
    [InlineData("PUT", "/v1.1/queues/q")]
    [InlineData("HEAD", "/v1.1/queues/q")]
    [InlineData("POST", "/v1.1/queues/q/messages")]
    [InlineData("POST", "/v1.1/queues/q/claims")]
    public async Task ItsRoutesAre404(string method, string path)
    {
        using var client = factory.CreateV1Client();
        var response = await client.SendAsync(new HttpMethod(method), path, method is "PUT" or "POST" ? "{}" : null);
        if (method == "HEAD")
        {
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }
        else
        {
            await response.ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        }
    }

    [Fact]
    public async Task TheOtherVersionsAreServed()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        (await client.PutAsync($"/v2/queues/{queue}")).StatusCode.Should().Be(HttpStatusCode.Created);
        (await client.GetAsync($"/v1/queues/{queue}/stats")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/v2/")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
