using Marconi.Core.Storage;

namespace Marconi.Core;

/// <summary>
/// The reserved settings of recently used queues. Every post and claim needs them (encryption,
/// dead letters, v2 defaults); reading the metadata each time costs a storage read per request,
/// a third of the server's throughput on two cores.
/// </summary>
public sealed class QueueSettingsCache(IDataDriver driver)
{
    private readonly QueueCache<QueueSettings> _cache = new();

    public Task<QueueSettings> GetAsync(QueueRef queue, CancellationToken cancellationToken) =>
        _cache.GetAsync(queue, async () =>
            await driver.Queues.GetMetadataAsync(queue, cancellationToken) is { } metadata
                ? ReservedMetadata.Read(metadata)
                : QueueSettings.None);

    /// <summary>The queue's metadata changed (or the queue went): read it again next time.</summary>
    public void Forget(QueueRef queue) => _cache.Forget(queue);
}
