using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Storage.Postgres;

internal sealed class PostgresClaimController(PostgresDataDriver driver) : IClaimController
{
    private readonly PostgresDataDriver _driver = driver;

    public Task<ClaimData?> CreateAsync( QueueRef queue, int ttl, int grace, int limit, DateTimeOffset now, CancellationToken cancellationToken, DeadLetterPolicy? deadLetter = null) => throw new NotImplementedException();

    public Task<ClaimData?> GetAsync(QueueRef queue, string claimId, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<bool> UpdateAsync( QueueRef queue, string claimId, int ttl, int grace, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task DeleteAsync(QueueRef queue, string claimId, CancellationToken cancellationToken) => throw new NotImplementedException();

}
