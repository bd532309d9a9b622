using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Storage.Postgres;

internal sealed class PostgresQueueController(PostgresDataDriver driver) : IQueueController
{
    private readonly PostgresDataDriver _driver = driver;

    public Task<bool> CreateAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken, string? metadata = null) => throw new NotImplementedException();

    public Task<bool> ExistsAsync(QueueRef queue, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task DeleteAsync(QueueRef queue, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<IReadOnlyList<QueueListItem>> ListAsync( string project, string? marker, int limit, bool detailed, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<string?> GetMetadataAsync(QueueRef queue, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<bool> SetMetadataAsync(QueueRef queue, string metadata, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<MetadataReplaceOutcome> ReplaceMetadataAsync( QueueRef queue, string expected, string updated, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<long> CountAsync(string project, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<QueueStats?> GetStatsAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<IReadOnlyList<QueueDepth>> ListDeepestAsync(int count, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    internal Task PurgeMessagesAsync(QueueRef queue, CancellationToken cancellationToken) => throw new NotImplementedException();

}
