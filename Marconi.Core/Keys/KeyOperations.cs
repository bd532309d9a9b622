using Marconi.Core.Storage;

namespace Marconi.Core.Keys;

/// <summary>What a new key is for: a project (or none, for the admin scope), a role and an optional expiry.</summary>
public sealed record KeyRequest(string Name, string? Project, KeyRole Role, DateTimeOffset? Expires);

/// <summary>Key management: create, list, get, revoke and rotate. Secrets exist only in what create and rotate return.</summary>
public sealed class KeyOperations(IDataDriver driver, TimeProvider clock)
{
    public const int MaxNameLength = 256;

    /// <summary>Raised after a revocation or rotation, so a cache of keys forgets the old state at once.</summary>
    public event Action<string>? Changed;

    public async Task<IssuedKey> CreateAsync(KeyRequest request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        Validate(request, now);
        var id = KeyTokens.NewId();
        var (token, hash) = KeyTokens.NewSecret(id);
        // Stored to the millisecond, as the store keeps it, so what create returns is what get reads.
        var created = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        var key = new ApiKey(id, request.Name, request.Project, request.Role, created,
            request.Expires is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e.ToUnixTimeMilliseconds()) : null, null, null);
        await driver.Keys.CreateAsync(new StoredKey(key, hash), cancellationToken);
        return new IssuedKey(key, token);
    }

    public Task<IReadOnlyList<ApiKey>> ListAsync(string? project, CancellationToken cancellationToken) =>
        driver.Keys.ListAsync(project, cancellationToken);

    public async Task<ApiKey> GetAsync(string id, CancellationToken cancellationToken) =>
        (await driver.Keys.GetAsync(id, cancellationToken))?.Key ?? throw KeyNotFound();

    /// <summary>Revokes the key at once; revoking a revoked key changes nothing.</summary>
    public async Task RevokeAsync(string id, CancellationToken cancellationToken)
    {
        if (!await driver.Keys.RevokeAsync(id, clock.GetUtcNow(), cancellationToken))
        {
            throw KeyNotFound();
        }

        Changed?.Invoke(id);
    }

    /// <summary>A new secret for the same key (id, name, scope, role, expiry); the old secret stops working at once.</summary>
    public async Task<IssuedKey> RotateAsync(string id, CancellationToken cancellationToken)
    {
        var stored = await driver.Keys.GetAsync(id, cancellationToken) ?? throw KeyNotFound();
        if (stored.Key.Revoked is not null)
        {
            throw Errors.Conflict("The key is revoked; create a new one.");
        }

        var (token, hash) = KeyTokens.NewSecret(id);
        if (!await driver.Keys.ReplaceSecretAsync(id, hash, cancellationToken))
        {
            throw Errors.Conflict("The key is revoked; create a new one.");
        }

        Changed?.Invoke(id);
        return new IssuedKey(stored.Key, token);
    }

    private static void Validate(KeyRequest request, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength || request.Name.Any(char.IsControl))
        {
            throw Errors.InvalidBody($"A key's name must be 1 to {MaxNameLength} printable characters.");
        }

        if (request.Project is { } project && (project.Length == 0 || project.Length > RequestContext.MaxProjectIdLength))
        {
            throw Errors.InvalidBody($"A key's project must be 1 to {RequestContext.MaxProjectIdLength} characters.");
        }

        if (request.Expires is { } expires && expires <= now)
        {
            throw Errors.InvalidBody("A key's expiry must be in the future.");
        }
    }

    private static MarconiException KeyNotFound() => Errors.NotFound("The key does not exist.");
}
