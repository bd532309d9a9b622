using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Storage.Postgres;

internal sealed class PostgresKeyController(PostgresDataDriver driver) : IKeyController
{
    private readonly PostgresDataDriver _driver = driver;

    public Task CreateAsync(Marconi.Core.Keys.StoredKey key, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<Marconi.Core.Keys.StoredKey?> GetAsync(string id, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<IReadOnlyList<Marconi.Core.Keys.ApiKey>> ListAsync(string? project, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<bool> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task<bool> ReplaceSecretAsync(string id, byte[] secretHash, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task TouchAsync(IReadOnlyList<(string Id, DateTimeOffset LastUsed)> uses, CancellationToken cancellationToken) => throw new NotImplementedException();

}
