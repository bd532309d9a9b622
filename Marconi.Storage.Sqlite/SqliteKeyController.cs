using Dapper;
using Marconi.Core.Keys;
using Marconi.Core.Storage;

namespace Marconi.Storage.Sqlite;

internal sealed class SqliteKeyController(SqliteDataDriver driver) : IKeyController
{
    private const string Columns = """
        id AS Id, name AS Name, project AS Project, role AS Role, secret_hash AS SecretHash,
        created AS Created, expires AS Expires, last_used AS LastUsed, revoked AS Revoked
        """;

    public Task CreateAsync(StoredKey stored, CancellationToken cancellationToken)
    {
        var key = stored.Key;
        return driver.WriteAsync("Key creation", (c, t) => c.Execute(
            """
            INSERT INTO api_keys (id, name, project, role, secret_hash, created, expires)
            VALUES (@id, @name, @project, @role, @hash, @created, @expires)
            """,
            new
            {
                id = key.Id, name = key.Name, project = key.Project, role = KeyRow.RoleName(key.Role), hash = stored.SecretHash,
                created = key.Created.ToUnixTimeMilliseconds(), expires = key.Expires?.ToUnixTimeMilliseconds(),
            },
            t));
    }

    public Task<StoredKey?> GetAsync(string id, CancellationToken cancellationToken) =>
        driver.ReadAsync("Key lookup", c =>
            c.QueryFirstOrDefault<KeyRow>($"SELECT {Columns} FROM api_keys WHERE id = @id", new { id }) is { } row
                ? new StoredKey(row.ToKey(), row.SecretHash)
                : null);

    public Task<IReadOnlyList<ApiKey>> ListAsync(string? project, CancellationToken cancellationToken) =>
        driver.ReadAsync("Key listing", c => (IReadOnlyList<ApiKey>)c.Query<KeyRow>(
                project is null
                    ? $"SELECT {Columns} FROM api_keys ORDER BY created, id"
                    : $"SELECT {Columns} FROM api_keys WHERE project = @project ORDER BY created, id",
                new { project })
            .Select(r => r.ToKey())
            .ToList());

    public Task<bool> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        driver.WriteAsync("Key revocation", (c, t) => c.Execute(
            "UPDATE api_keys SET revoked = coalesce(revoked, @now) WHERE id = @id",
            new { id, now = now.ToUnixTimeMilliseconds() }, t) == 1);

    public Task<bool> ReplaceSecretAsync(string id, byte[] secretHash, CancellationToken cancellationToken) =>
        driver.WriteAsync("Key rotation", (c, t) => c.Execute(
            "UPDATE api_keys SET secret_hash = @secretHash WHERE id = @id AND revoked IS NULL",
            new { id, secretHash }, t) == 1);

    public Task TouchAsync(IReadOnlyList<(string Id, DateTimeOffset LastUsed)> uses, CancellationToken cancellationToken) =>
        driver.WriteAsync("Key use", (c, t) => c.Execute(
            "UPDATE api_keys SET last_used = max(coalesce(last_used, 0), @at) WHERE id = @id",
            uses.Select(u => new { id = u.Id, at = u.LastUsed.ToUnixTimeMilliseconds() }), t));
}
