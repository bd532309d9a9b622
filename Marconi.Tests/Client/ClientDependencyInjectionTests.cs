using System.Collections.Concurrent;
using Marconi.Client;
using Marconi.Tests.EndToEnd;
using Marconi.Tests.Zmq;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Client;

/// <summary>
/// <c>services.AddMarconiClient(...)</c> against the real host: the client resolved from a service
/// provider posts and reads back, its HTTP requests go through the factory's named client (so a
/// handler added on the builder sees them), and a ZeroMQ endpoint needs no HTTP client.
/// </summary>
public sealed class ClientDependencyInjectionTests(MarconiZmqFactory factory) : IClassFixture<MarconiZmqFactory>
{
    [Fact]
    public async Task TheResolvedClientPostsAndReadsBackThroughTheBuildersHandlers()
    {
        var seen = new SeenRequests();
        var services = new ServiceCollection();
        services.AddSingleton(seen);
        services.AddTransient<RecordingHandler>();
        services.AddMarconiClient(_ => new MarconiClientOptions { Endpoint = factory.ServerAddress, ProjectId = "di-" + Guid.NewGuid().ToString("N") })
            .AddHttpMessageHandler<RecordingHandler>();

        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<IMarconiClient>();
            client.Should().BeSameAs(provider.GetRequiredService<MarconiClient>(), "one client is shared");
            var queue = await client.CreateQueueAsync("di-queue");
            var id = await queue.PostAsync(new { @event = "BackupStarted" }, ttl: 300);

            var message = await queue.GetMessageAsync(id);
            message.Body.GetProperty("event").GetString().Should().Be("BackupStarted");
            seen.Requests.Should().Contain($"PUT {factory.ServerAddress.GetLeftPart(UriPartial.Authority)}/v2/queues/di-queue")
                .And.Contain(r => r.StartsWith("POST ", StringComparison.Ordinal) && r.EndsWith("/v2/queues/di-queue/messages", StringComparison.Ordinal))
                .And.Contain(r => r.StartsWith("GET ", StringComparison.Ordinal) && r.EndsWith($"/v2/queues/di-queue/messages/{id}", StringComparison.Ordinal))
                .And.HaveCount(3);
        }
    }

    [Fact]
    public async Task TheReadmeSnippetRunsAgainstTheServer()
    {
        var endpoint = factory.ServerAddress.ToString().TrimEnd('/');

        // --- the README snippet, verbatim but for the endpoint ---
        var services = new ServiceCollection();
        services.AddMarconiClient(_ => new MarconiClientOptions { Endpoint = new Uri(endpoint), ProjectId = "demo-project" });
        await using var provider = services.BuildServiceProvider();
        var queue = await provider.GetRequiredService<IMarconiClient>().CreateQueueAsync("demo");
        await queue.PostAsync(new { @event = "BackupStarted" }, ttl: 300);
        // --- end of snippet ---

        (await queue.GetStatsAsync()).Total.Should().BeGreaterThanOrEqualTo(1);
        var code = Readme.Block("client-di", "csharp").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        code.Should().Equal(
            "using Marconi.Client;",
            "using Microsoft.Extensions.DependencyInjection;",
            "var services = new ServiceCollection();",
            "services.AddMarconiClient(_ => new MarconiClientOptions { Endpoint = new Uri(\"http://127.0.0.1:8888\"), ProjectId = \"demo-project\" });",
            "await using var provider = services.BuildServiceProvider();",
            "var queue = await provider.GetRequiredService<IMarconiClient>().CreateQueueAsync(\"demo\");",
            "await queue.PostAsync(new { @event = \"BackupStarted\" }, ttl: 300);");
    }

    [Fact]
    public async Task AZeroMqEndpointIsServedWithoutTheHttpClient()
    {
        var seen = new SeenRequests();
        var services = new ServiceCollection();
        services.AddSingleton(seen);
        services.AddTransient<RecordingHandler>();
        services.AddMarconiClient(new MarconiClientOptions { Endpoint = new Uri(factory.ZmqEndpoint), ProjectId = "di-" + Guid.NewGuid().ToString("N") })
            .AddHttpMessageHandler<RecordingHandler>();

        await using var provider = services.BuildServiceProvider();
        var queue = await provider.GetRequiredService<IMarconiClient>().CreateQueueAsync("di-zmq");
        var id = await queue.PostAsync(new { n = 1 });
        (await queue.GetMessageAsync(id)).Body.GetProperty("n").GetInt32().Should().Be(1);
        seen.Requests.Should().BeEmpty();
    }

    [Fact]
    public void AnHttpClientIsRefusedForAZeroMqEndpoint()
    {
        using var http = new HttpClient();
        var create = () => new MarconiClient(new MarconiClientOptions { Endpoint = new Uri("tcp://127.0.0.1:9999"), ProjectId = "p" }, http);
        create.Should().Throw<ArgumentException>().WithParameterName("httpClient");
    }

    public sealed class SeenRequests
    {
        public ConcurrentQueue<string> Requests { get; } = new();
    }

    private sealed class RecordingHandler(SeenRequests seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Requests.Enqueue($"{request.Method} {request.RequestUri}");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
