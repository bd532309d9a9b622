using Dapper;
using Marconi.Core.Keys;
using Marconi.Core.Storage;

namespace Marconi.Storage.Postgres;

internal sealed class PostgresKeyController(PostgresDataDriver driver) : IKeyController
{
    private const string Columns = """
        id AS Id, name AS Name, project AS Project, role AS Role, secret_hash AS SecretHash,
        created AS Created, expires AS Expires, last_used AS LastUsed, revoked AS Revoked
        """;

    private readonly PostgresDataDriver _driver = driver;

    private string S => _driver.S;

    public Task CreateAsync(StoredKey stored, CancellationToken cancellationToken)
    {
        var key = stored.Key;
        return _driver.RunAsync("Key creation", c => c.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO {S}.api_keys (id, name, project, role, secret_hash, created, expires)
            VALUES (@id, @name, @project, @role, @hash, @created, @expires)
            """,
            new
            {
                id = key.Id, name = key.Name, project = key.Project, role = KeyRow.RoleName(key.Role), hash = stored.SecretHash,
                created = key.Created.ToUnixTimeMilliseconds(), expires = key.Expires?.ToUnixTimeMilliseconds(),
            },
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task<StoredKey?> GetAsync(string id, CancellationToken cancellationToken) =>
        _driver.RunAsync("Key lookup", async c =>
            await c.QueryFirstOrDefaultAsync<KeyRow>(new CommandDefinition(
                $"SELECT {Columns} FROM {S}.api_keys WHERE id = @id", new { id }, cancellationToken: cancellationToken)) is { } row
                ? new StoredKey(row.ToKey(), row.SecretHash)
                : null, cancellationToken);

    public Task<IReadOnlyList<ApiKey>> ListAsync(string? project, CancellationToken cancellationToken) =>
        _driver.RunAsync<IReadOnlyList<ApiKey>>("Key listing", async c =>
            (await c.QueryAsync<KeyRow>(new CommandDefinition(
                project is null
                    ? $"SELECT {Columns} FROM {S}.api_keys ORDER BY created, id"
                    : $"SELECT {Columns} FROM {S}.api_keys WHERE project = @project ORDER BY created, id",
                new { project }, cancellationToken: cancellationToken)))
            .Select(r => r.ToKey())
            .ToList(), cancellationToken);

    public Task<bool> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        _driver.RunAsync("Key revocation", async c => await c.ExecuteAsync(new CommandDefinition(
            $"UPDATE {S}.api_keys SET revoked = coalesce(revoked, @now) WHERE id = @id",
            new { id, now = now.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)) == 1, cancellationToken);

    public Task<bool> ReplaceSecretAsync(string id, byte[] secretHash, CancellationToken cancellationToken) =>
        _driver.RunAsync("Key rotation", async c => await c.ExecuteAsync(new CommandDefinition(
            $"UPDATE {S}.api_keys SET secret_hash = @secretHash WHERE id = @id AND revoked IS NULL",
            new { id, secretHash }, cancellationToken: cancellationToken)) == 1, cancellationToken);

    public Task TouchAsync(IReadOnlyList<(string Id, DateTimeOffset LastUsed)> uses, CancellationToken cancellationToken)
    {
        if (uses.Count == 0)
        {
            return Task.CompletedTask;
        }

        var ids = uses.Select(u => u.Id).ToArray();
        var times = uses.Select(u => u.LastUsed.ToUnixTimeMilliseconds()).ToArray();
        // One statement for the batch. The key rows are locked in id order, so two hosts touching
        // the same keys at once queue behind each other instead of deadlocking.
        return _driver.RunAsync("Key use", c => c.ExecuteAsync(new CommandDefinition(
            $"""
            WITH used AS (
                SELECT u.id, max(u.at) AS at FROM unnest(@ids::text[], @times::bigint[]) AS u (id, at) GROUP BY u.id),
            locked AS (
                SELECT k.id FROM {S}.api_keys AS k WHERE k.id IN (SELECT id FROM used) ORDER BY k.id FOR UPDATE)
            UPDATE {S}.api_keys AS k SET last_used = greatest(k.last_used, used.at)
            FROM used JOIN locked ON locked.id = used.id
            WHERE k.id = used.id
            """,
            new { ids, times }, cancellationToken: cancellationToken)), cancellationToken);
    }
}
