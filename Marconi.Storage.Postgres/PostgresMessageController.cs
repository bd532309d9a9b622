using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Storage.Postgres;

internal sealed class PostgresMessageController(PostgresDataDriver driver) : IMessageController
{
    private readonly PostgresDataDriver _driver = driver;

    public Task<IReadOnlyList<string>?> PostAsync( QueueRef queue, IReadOnlyList<NewMessage> messages, Guid clientId, DateTimeOffset now, CancellationToken cancellationToken, bool createQueue = false) => throw new NotImplementedException();

    public Task<IReadOnlyList<StoredMessage>> ListAsync( QueueRef queue, MessageListQuery query, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<StoredMessage?> GetAsync(QueueRef queue, string messageId, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<IReadOnlyList<StoredMessage>> GetManyAsync( QueueRef queue, IReadOnlyList<string> messageIds, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<MessageDeleteOutcome> DeleteAsync( QueueRef queue, string messageId, string? claimId, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task DeleteManyAsync(QueueRef queue, IReadOnlyList<string> messageIds, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<IReadOnlyList<StoredMessage>> PopAsync( QueueRef queue, int limit, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<DateTimeOffset?> NextClaimableAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task PurgeAsync(QueueRef queue, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<MessageVolume> GetMessageVolumeAsync(DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

}
