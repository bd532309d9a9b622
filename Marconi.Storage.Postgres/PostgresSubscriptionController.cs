using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Storage.Postgres;

internal sealed class PostgresSubscriptionController(PostgresDataDriver driver) : ISubscriptionController
{
    private readonly PostgresDataDriver _driver = driver;

    public Task<SubscriptionCreated> CreateAsync( QueueRef queue, string subscriber, long ttl, string options, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<Subscription?> GetAsync( QueueRef queue, string subscriptionId, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<IReadOnlyList<Subscription>> ListAsync( QueueRef queue, string? marker, int limit, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<IReadOnlyList<Subscription>> ListLiveAsync( QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<SubscriptionUpdateOutcome> UpdateAsync( QueueRef queue, string subscriptionId, SubscriptionUpdate update, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<bool> ConfirmAsync( QueueRef queue, string subscriptionId, bool confirmed, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task DeleteAsync(QueueRef queue, string subscriptionId, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task DeleteAllAsync(QueueRef queue, CancellationToken cancellationToken) => throw new NotImplementedException();

}
