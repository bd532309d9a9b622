using System.Collections.Concurrent;
using Marconi.Client;
using Marconi.Tests.Zmq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marconi.Tests.Client;

/// <summary>
/// <c>services.AddMarconiConsumer&lt;THandler&gt;(…)</c> in a real generic host against the real server: the handler is
/// resolved from a scope per message, every message is handled and deleted, and stopping the host releases what a
/// handler still held.
/// </summary>
public sealed class ClientHostedConsumerTests(MarconiZmqFactory factory) : IClassFixture<MarconiZmqFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _project = "hosted-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task TheHostedConsumerHandlesEachMessageInItsOwnScope()
    {
        await using var producer = new MarconiClient(factory.ServerAddress.ToString(), projectId: _project);
        var queue = await producer.CreateQueueAsync("jobs");
        var ids = await queue.PostAsync(Enumerable.Range(0, 12).Select(i => new OutgoingMessage(new { i }, 3600)));

        var journal = new Journal(ids.Count);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(journal);
        builder.Services.AddScoped<PerMessage>();
        builder.Services.AddMarconiClient(_ => new MarconiClientOptions { Endpoint = factory.ServerAddress, ProjectId = _project });
        builder.Services.AddMarconiConsumer<RecordingHandler>("jobs", new ConsumeOptions { MaxConcurrency = 3, Wait = 1 });
        using var host = builder.Build();

        await host.StartAsync();
        await journal.All.Task.WaitAsync(Patience);
        await host.StopAsync();

        journal.Handled.Keys.Should().BeEquivalentTo(ids);
        journal.Handled.Values.Should().OnlyContain(n => n == 1);
        journal.Scopes.Should().HaveCount(ids.Count, "each message got a scope of its own");
        (await queue.GetStatsAsync()).Total.Should().Be(0);
    }

    [Fact]
    public async Task StoppingTheHostReleasesWhatAHandlerHeld()
    {
        await using var producer = new MarconiClient(factory.ServerAddress.ToString(), projectId: _project);
        var queue = await producer.CreateQueueAsync("stuck");
        var id = await queue.PostAsync(new { job = "never finishes" }, ttl: 3600);

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        var started = new StartedSignal();
        builder.Services.AddSingleton(started);
        builder.Services.AddMarconiClient(_ => new MarconiClientOptions { Endpoint = factory.ServerAddress, ProjectId = _project });
        builder.Services.AddMarconiConsumer<BlockingHandler>("stuck", new ConsumeOptions { Wait = 1 });
        using var host = builder.Build();

        await host.StartAsync();
        await started.Started.Task.WaitAsync(Patience);
        await host.StopAsync();

        var again = await queue.ClaimAsync(limit: 10, ttl: 60);
        again.Should().NotBeNull("the handler was cancelled and its claim released when the host stopped");
        again!.Messages.Select(m => m.Id).Should().Equal(id);
    }

    private sealed class Journal(int expected)
    {
        public ConcurrentDictionary<string, int> Handled { get; } = new();

        public ConcurrentDictionary<PerMessage, byte> Scopes { get; } = new();

        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Record(string id, PerMessage scope)
        {
            Handled.AddOrUpdate(id, 1, (_, n) => n + 1);
            Scopes.TryAdd(scope, 0);
            if (Handled.Count == expected)
            {
                All.TrySetResult();
            }
        }
    }

    /// <summary>A scoped service: one instance per message shows one scope per message.</summary>
    private sealed class PerMessage;

    private sealed class RecordingHandler(Journal journal, PerMessage scope) : IMarconiMessageHandler
    {
        public Task HandleAsync(MarconiMessage message, CancellationToken ct)
        {
            journal.Record(message.Id, scope);
            return Task.CompletedTask;
        }
    }

    private sealed class StartedSignal
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class BlockingHandler(StartedSignal signal) : IMarconiMessageHandler
    {
        public async Task HandleAsync(MarconiMessage message, CancellationToken ct)
        {
            signal.Started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }
    }
}
