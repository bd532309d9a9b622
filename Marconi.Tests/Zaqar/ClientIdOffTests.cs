using System.Net;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Hosting;

namespace Marconi.Tests.Zaqar;

/// <summary>The host with <c>Marconi:Limits:ClientIdFormat=off</c> (v2 contract 2.2).</summary>
public sealed class ClientIdOffFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Limits:ClientIdFormat", "off");
    }
}

/// <summary>v2 contract 2.2: with <c>client_id_uuid_safe = off</c> any Client-ID of 10…36 characters, echo on exact strings.</summary>
public sealed class ClientIdOffTests(ClientIdOffFactory factory) : IClassFixture<ClientIdOffFactory>
{
    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task ClientIdsAreStringsOfTenToThirtySixCharacters(string version)
    {
        using var client = factory.CreateV1Client();
        foreach (var good in new[] { new string('a', 10), new string('b', 36), "not a uuid!", "aa2-bb3-cc4" })
        {
            client.ClientId = good;
            (await client.GetAsync($"/{version}/queues/q/messages")).StatusCode.Should().Be(HttpStatusCode.OK, good);
        }

        foreach (var bad in new[] { "", "1234", new string('a', 9), new string('a', 37), Guid.NewGuid() + "0" })
        {
            client.ClientId = bad;
            await (await client.GetAsync($"/{version}/queues/q/messages")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        }

        client.ClientId = null;
        await (await client.GetAsync($"/{version}/queues/q/messages")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing header value");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task EchoComparesExactStrings(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var uuid = Guid.NewGuid();
        var senders = new[] { uuid.ToString(), uuid.ToString().ToUpperInvariant(), uuid.ToString("N"), "client-one", "client-One" };
        foreach (var (sender, i) in senders.Select((s, i) => (s, i)))
        {
            client.ClientId = sender;
            await client.PostV2Async(version, queue, $$"""[{"body": {{i}}}]""");
        }

        foreach (var (reader, i) in senders.Select((s, i) => (s, i)))
        {
            client.ClientId = reader;
            var others = await (await client.GetAsync($"/{version}/queues/{queue}/messages")).ShouldBeJsonAsync();
            others.GetProperty("messages").Bodies().Should().Equal(
                Enumerable.Range(0, senders.Length).Where(j => j != i).Select(j => j.ToString()), reader);
            var all = await (await client.GetAsync($"/{version}/queues/{queue}/messages?echo=true")).ShouldBeJsonAsync();
            all.GetProperty("messages").GetArrayLength().Should().Be(senders.Length);
        }
    }

    [Fact]
    public async Task HomePingAndHealthStillCheckAClientIdTheyAreSent()
    {
        using var client = factory.CreateV1Client();
        client.Project = null;
        client.ClientId = "short";
        await (await client.GetAsync("/v2/ping")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        client.ClientId = "long-enough-client";
        await (await client.GetAsync("/v2/ping")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }
}

