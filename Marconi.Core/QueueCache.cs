using System.Collections.Concurrent;
using System.Diagnostics;

namespace Marconi.Core;

/// <summary>
/// Something read from storage per queue, kept for a second. Changes made through this process
/// call <see cref="Forget"/> and are seen at once (a read in flight never stores a value older than
/// them); changes made by another host sharing the store are seen within the second.
/// </summary>
public sealed class QueueCache<T>
{
    private const int MaxEntries = 10_000;
    private static readonly long Freshness = Stopwatch.Frequency;

    private readonly ConcurrentDictionary<QueueRef, (T Value, long ReadAt)> _entries = new();
    private long _generation;

    public async Task<T> GetAsync(QueueRef queue, Func<Task<T>> read)
    {
        var now = Stopwatch.GetTimestamp();
        if (_entries.TryGetValue(queue, out var entry) && now - entry.ReadAt < Freshness)
        {
            return entry.Value;
        }

        // A change that lands while this read is in flight must not be hidden behind its result.
        var generation = Interlocked.Read(ref _generation);
        var value = await read();
        if (Interlocked.Read(ref _generation) == generation)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[queue] = (value, now);

            // Forgotten between the check and the store: the stored value may be stale, drop it.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _entries.TryRemove(queue, out _);
            }
        }

        return value;
    }

    /// <summary>The queue's value changed (or the queue went): read it again next time.</summary>
    public void Forget(QueueRef queue)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(queue, out _);
    }
}
