using System.Diagnostics.Metrics;
using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Core;

/// <summary>Section <c>Marconi:Metrics</c>.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Marconi:Metrics";

    /// <summary>Serve the Prometheus scrape endpoint and collect the <c>Marconi</c> meter.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where the HTTP transport serves the scrape, outside every API version and its keys.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>Queues given depth gauges of their own, the deepest first; the rest count only in the totals.</summary>
    public int TopQueues { get; set; } = 20;

    /// <summary>Seconds a read of queue depths serves scrapes before the store is asked again; 0: every scrape.</summary>
    public int DepthRefreshSeconds { get; set; } = 5;
}

/// <summary>
/// Queue depths as observable gauges. Gauge callbacks cannot wait for the store, and thousands of
/// queues must not mean thousands of series or reads per scrape: the scrape first calls
/// <see cref="RefreshIfStaleAsync"/>, which reads the deepest <see cref="MetricsOptions.TopQueues"/>
/// queues and the totals at most once per <see cref="MetricsOptions.DepthRefreshSeconds"/>, and the
/// callbacks report that snapshot.
/// </summary>
public sealed class QueueDepthGauges
{
    private readonly IDataDriver _driver;
    private readonly MetricsOptions _options;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private Snapshot? _snapshot;

    public QueueDepthGauges(IMeterFactory meters, IDataDriver driver, IOptions<MetricsOptions> options, TimeProvider clock)
    {
        _driver = driver;
        _options = options.Value;
        _clock = clock;
        var meter = meters.Create(MarconiMetrics.MeterName);
        meter.CreateObservableGauge("marconi.queue.messages", ObserveQueues, "{message}",
            "Unexpired messages of each of the deepest queues (Marconi:Metrics:TopQueues), free or claimed.");
        meter.CreateObservableGauge("marconi.messages", ObserveTotals, "{message}",
            "Unexpired messages of every queue, free or claimed.");
    }

    /// <summary>Reads depths from the store unless the last read is recent enough.</summary>
    public async Task RefreshIfStaleAsync(CancellationToken cancellationToken)
    {
        if (IsFresh(_snapshot))
        {
            return;
        }

        // One read at a time: scrapes arriving together share it.
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            if (IsFresh(_snapshot))
            {
                return;
            }

            var now = _clock.GetUtcNow();
            var deepest = await _driver.Queues.ListDeepestAsync(_options.TopQueues, now, cancellationToken);
            var volume = await _driver.Messages.GetMessageVolumeAsync(now, cancellationToken);
            _snapshot = new Snapshot(deepest, volume, _clock.GetTimestamp());
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private bool IsFresh(Snapshot? snapshot) =>
        snapshot is not null && _options.DepthRefreshSeconds > 0
        && _clock.GetElapsedTime(snapshot.Taken) < TimeSpan.FromSeconds(_options.DepthRefreshSeconds);

    private IEnumerable<Measurement<long>> ObserveQueues()
    {
        if (_snapshot is not { } snapshot)
        {
            yield break;
        }

        foreach (var depth in snapshot.Deepest)
        {
            yield return new Measurement<long>(depth.Free, Tags(depth.Queue, "free"));
            yield return new Measurement<long>(depth.Claimed, Tags(depth.Queue, "claimed"));
        }
    }

    private IEnumerable<Measurement<long>> ObserveTotals()
    {
        if (_snapshot is not { } snapshot)
        {
            yield break;
        }

        yield return new Measurement<long>(snapshot.Volume.Free, new KeyValuePair<string, object?>("state", "free"));
        yield return new Measurement<long>(snapshot.Volume.Claimed, new KeyValuePair<string, object?>("state", "claimed"));
    }

    private static KeyValuePair<string, object?>[] Tags(QueueRef queue, string state) =>
        [new("project", queue.Project), new("queue", queue.Name), new("state", state)];

    private sealed record Snapshot(IReadOnlyList<QueueDepth> Deepest, MessageVolume Volume, long Taken);
}
