using System.Diagnostics;
using Marconi.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Marconi.Core.Operations;

/// <summary>One step of the health report: whether it worked and how long it took; <c>Ref</c> names a failure in the log.</summary>
public sealed record HealthStep(string Name, bool Succeeded, double Seconds, string? Ref);

/// <summary>The health report of v2 contract 5.4.</summary>
public sealed record HealthReport(bool StorageReachable, IReadOnlyList<HealthStep> Operations, MessageVolume? Volume);

/// <summary>Liveness of the node and its storage, and the health report.</summary>
public sealed partial class HealthOperations(IDataDriver driver, TimeProvider clock, ILogger<HealthOperations> logger)
{
    /// <summary>A report younger than this is served again rather than redone (5.4 allows it).</summary>
    private static readonly TimeSpan ReportLifetime = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _reporting = new(1, 1);
    private (HealthReport Report, DateTimeOffset At)? _last;

    /// <summary>Probes storage; raises 503 when it does not answer.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (!await IsAliveAsync(cancellationToken))
        {
            throw Errors.StorageUnavailable("The storage liveness probe");
        }
    }

    /// <summary>
    /// Runs each queue operation once against a scratch queue of a fresh random project, which is
    /// deleted afterwards whatever happened; a step after a failed one is left out.
    /// </summary>
    public async Task<HealthReport> ReportAsync(CancellationToken cancellationToken)
    {
        await _reporting.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } last && clock.GetUtcNow() - last.At < ReportLifetime)
            {
                return last.Report;
            }

            if (!await IsAliveAsync(cancellationToken))
            {
                throw Errors.StorageUnavailable("The storage liveness probe");
            }

            var steps = await RunStepsAsync(cancellationToken);
            var volume = await driver.Messages.GetMessageVolumeAsync(clock.GetUtcNow(), cancellationToken);
            var report = new HealthReport(true, steps, volume);
            _last = (report, clock.GetUtcNow());
            return report;
        }
        finally
        {
            _reporting.Release();
        }
    }

    private async Task<List<HealthStep>> RunStepsAsync(CancellationToken cancellationToken)
    {
        var queue = new QueueRef("marconi-health-" + Guid.NewGuid().ToString("N"), "health");
        var client = Guid.NewGuid();
        var steps = new List<HealthStep>();
        ClaimData? claim = null;
        IReadOnlyList<string> posted = [];

        async Task<bool> Step(string name, Func<Task> action)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                await action();
                steps.Add(new HealthStep(name, true, Stopwatch.GetElapsedTime(start).TotalSeconds, null));
                return true;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                var reference = Guid.NewGuid().ToString("N");
                LogStepFailed(exception, name, reference);
                steps.Add(new HealthStep(name, false, Stopwatch.GetElapsedTime(start).TotalSeconds, reference));
                return false;
            }
        }

        try
        {
            var messages = Enumerable.Range(0, 100).Select(i => new NewMessage(600, $"{{\"health\": {i}}}")).ToList();
            _ = await Step("create_queue", () => driver.Queues.CreateAsync(queue, clock.GetUtcNow(), cancellationToken))
                && await Step("post_messages", async () =>
                    posted = await driver.Messages.PostAsync(queue, messages, client, clock.GetUtcNow(), cancellationToken)
                        ?? throw new InvalidOperationException("The scratch queue vanished."))
                && await Step("claim_messages", async () =>
                    claim = await driver.Claims.CreateAsync(queue, 60, 300, 10, clock.GetUtcNow(), cancellationToken)
                        ?? throw new InvalidOperationException("Nothing could be claimed from the scratch queue."))
                && await Step("list_messages", () => driver.Messages.ListAsync(
                    queue, new MessageListQuery(null, 10, true, true, client), clock.GetUtcNow(), cancellationToken))
                && await Step("delete_messages", async () =>
                {
                    foreach (var message in claim!.Messages)
                    {
                        await driver.Messages.DeleteAsync(queue, message.Id, claim.Id, clock.GetUtcNow(), cancellationToken);
                    }
                })
                && await Step("delete_claim", () => driver.Claims.DeleteAsync(queue, claim!.Id, cancellationToken))
                && await Step("bulk_delete_messages", () => driver.Messages.DeleteManyAsync(queue, posted, cancellationToken))
                && await Step("delete_queue", () => driver.Queues.DeleteAsync(queue, cancellationToken));
        }
        finally
        {
            // The scratch project must never be left for clients to find.
            await driver.Queues.DeleteAsync(queue, CancellationToken.None);
        }

        return steps;
    }

    private async Task<bool> IsAliveAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await driver.IsAliveAsync(cancellationToken);
        }
        catch (MarconiException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Health report step {Step} failed (ref {Ref})")]
    private partial void LogStepFailed(Exception exception, string step, string @ref);
}
