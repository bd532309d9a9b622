using System.Collections.Concurrent;
using System.Diagnostics;
using Marconi.Core.Storage;

namespace Marconi.Core;

/// <summary>
/// The reserved settings of recently used queues. Every post and claim needs them (encryption,
/// dead letters, v2 defaults); reading the metadata each time costs a storage read per request,
/// a third of the server's throughput on two cores. Changes made through this process forget the
/// entry at once; changes made by another host sharing the store are seen within a second.
/// </summary>
public sealed class QueueSettingsCache(IDataDriver driver)
{
    private const int MaxEntries = 10_000;
    private static readonly long Freshness = Stopwatch.Frequency;

    private readonly ConcurrentDictionary<QueueRef, (QueueSettings Settings, long ReadAt)> _entries = new();
    private long _generation;

    public async Task<QueueSettings> GetAsync(QueueRef queue, CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        if (_entries.TryGetValue(queue, out var entry) && now - entry.ReadAt < Freshness)
        {
            return entry.Settings;
        }

        // A change that lands while this read is in flight must not be hidden behind its result.
        var generation = Interlocked.Read(ref _generation);
        var settings = await driver.Queues.GetMetadataAsync(queue, cancellationToken) is { } metadata
            ? ReservedMetadata.Read(metadata)
            : QueueSettings.None;
        if (Interlocked.Read(ref _generation) == generation)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[queue] = (settings, now);

            // Forgotten between the check and the store: the stored value may be stale, drop it.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _entries.TryRemove(queue, out _);
            }
        }

        return settings;
    }

    /// <summary>The queue's metadata changed (or the queue went): read it again next time.</summary>
    public void Forget(QueueRef queue)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(queue, out _);
    }
}
