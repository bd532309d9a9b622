using Marconi.Api;
using Marconi.Client;
using Marconi.Core;
using Marconi.Core.Keys;
using Marconi.Storage.Postgres;
using Marconi.Storage.Sqlite;
using Microsoft.Extensions.Options;
using CoreException = Marconi.Core.MarconiException;

namespace Marconi.Host.Cli;

/// <summary>What the <c>key</c> verbs do, whether through a server's admin API or on the store file itself.</summary>
internal interface IKeyManagement : IAsyncDisposable
{
    Task<IssuedApiKey> CreateAsync(string name, string? project, MarconiKeyRole role, DateTimeOffset? expires, CancellationToken cancellationToken);

    Task<IReadOnlyList<MarconiApiKey>> ListAsync(string? project, CancellationToken cancellationToken);

    Task<MarconiApiKey> GetAsync(string id, CancellationToken cancellationToken);

    Task RevokeAsync(string id, CancellationToken cancellationToken);

    Task<IssuedApiKey> RotateAsync(string id, CancellationToken cancellationToken);
}

/// <summary>Key management over the API (v2 admin routes or <c>key_*</c> actions), with the admin key the client carries.</summary>
internal sealed class ApiKeyManagement(MarconiClient client) : IKeyManagement
{
    public Task<IssuedApiKey> CreateAsync(string name, string? project, MarconiKeyRole role, DateTimeOffset? expires, CancellationToken cancellationToken) =>
        client.CreateKeyAsync(name, project, role, expires, cancellationToken);

    public Task<IReadOnlyList<MarconiApiKey>> ListAsync(string? project, CancellationToken cancellationToken) =>
        client.ListKeysAsync(project, cancellationToken);

    public Task<MarconiApiKey> GetAsync(string id, CancellationToken cancellationToken) => client.GetKeyAsync(id, cancellationToken);

    public Task RevokeAsync(string id, CancellationToken cancellationToken) => client.RevokeKeyAsync(id, cancellationToken);

    public Task<IssuedApiKey> RotateAsync(string id, CancellationToken cancellationToken) => client.RotateKeyAsync(id, cancellationToken);

    // The caller owns the client.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Key management on the store itself, with no server: a SQLite file (<c>--db</c>) or a PostgreSQL
/// database (<c>--postgres</c>). It is the bootstrap of a fresh install (no admin key can exist yet to
/// call the API with) and the way back in when every admin key is lost. It goes through the real
/// driver and <see cref="KeyOperations"/>, so what it writes is what a server writes; SQLite's WAL
/// mode and busy timeout, or PostgreSQL itself, let it run beside servers using the same store.
/// Nothing is logged: stdout carries the secret alone, and no log may ever hold it.
/// </summary>
internal sealed class StoreKeyManagement : IKeyManagement
{
    private readonly IHost _host;
    private readonly KeyOperations _keys;
    private readonly bool _sqlite;

    private StoreKeyManagement(IHost host, KeyOperations keys, bool sqlite)
    {
        _host = host;
        _keys = keys;
        _sqlite = sqlite;
    }

    /// <summary>Opens (and creates, when missing) the store at <paramref name="path"/>, migrating its schema.</summary>
    /// <exception cref="StoreUnavailableException">The file cannot be opened as a Marconi store.</exception>
    public static Task<StoreKeyManagement> OpenAsync(string path) => OpenAsync(
        [new($"{SqliteStorageOptions.SectionName}:Path", path)],
        builder => builder.AddSqliteStorage(),
        sqlite: true,
        message => $"--db '{path}': {message}");

    /// <summary>
    /// Opens the PostgreSQL database of <paramref name="connectionString"/>, creating and migrating
    /// <paramref name="schema"/> when missing, as a host's start does.
    /// </summary>
    /// <exception cref="StoreUnavailableException">The database cannot be reached, or the schema not migrated.</exception>
    public static Task<StoreKeyManagement> OpenPostgresAsync(string connectionString, string schema) => OpenAsync(
        [
            new($"{PostgresStorageOptions.SectionName}:ConnectionString", connectionString),
            new($"{PostgresStorageOptions.SectionName}:Schema", schema),
        ],
        builder => builder.AddPostgresStorage(),
        sqlite: false,
        // The driver's messages already leave the password out; this is the belt to those braces.
        message => $"--postgres: {WithoutPassword(message, connectionString)}");

    private static async Task<StoreKeyManagement> OpenAsync(
        KeyValuePair<string, string?>[] settings, Action<HostApplicationBuilder> addStorage, bool sqlite, Func<string, string> describe)
    {
        // An empty builder: no appsettings, no environment, no logging providers, no hosted service started.
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddMarconiCore();
        addStorage(builder);
        var host = builder.Build();
        try
        {
            // Resolving the operations opens the driver, which creates the store and applies migrations.
            return new StoreKeyManagement(host, host.Services.GetRequiredService<KeyOperations>(), sqlite);
        }
        catch (Exception exception) when (exception is InvalidOperationException or OptionsValidationException)
        {
            await DisposeHostAsync(host);
            throw new StoreUnavailableException(describe(exception.Message), exception);
        }
    }

    private static string WithoutPassword(string message, string connectionString)
    {
        try
        {
            return new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Password is { Length: > 0 } password
                ? message.Replace(password, "***", StringComparison.Ordinal)
                : message;
        }
        catch (ArgumentException)
        {
            // Not a connection string at all: the driver's message says so, without quoting it.
            return message;
        }
    }

    public Task<IssuedApiKey> CreateAsync(string name, string? project, MarconiKeyRole role, DateTimeOffset? expires, CancellationToken cancellationToken) =>
        Translate(async () => Issued(await _keys.CreateAsync(new KeyRequest(name, project, ToCore(role), expires), cancellationToken)));

    public Task<IReadOnlyList<MarconiApiKey>> ListAsync(string? project, CancellationToken cancellationToken) =>
        Translate(async () => (IReadOnlyList<MarconiApiKey>)(await _keys.ListAsync(project, cancellationToken)).Select(ToClient).ToList());

    public Task<MarconiApiKey> GetAsync(string id, CancellationToken cancellationToken) =>
        Translate(async () => ToClient(await _keys.GetAsync(id, cancellationToken)));

    public Task RevokeAsync(string id, CancellationToken cancellationToken) =>
        Translate(async () =>
        {
            await _keys.RevokeAsync(id, cancellationToken);
            return true;
        });

    public Task<IssuedApiKey> RotateAsync(string id, CancellationToken cancellationToken) =>
        Translate(async () => Issued(await _keys.RotateAsync(id, cancellationToken)));

    /// <summary>Closes the store; the driver's writer finishes what it was given first.</summary>
    public ValueTask DisposeAsync()
    {
        if (_sqlite)
        {
            // Pooled read connections close first, so the writer's connection is the last one and SQLite
            // folds the WAL back into the file: the new key is then in the one file that gets copied around.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }

        return DisposeHostAsync(_host);
    }

    private static async ValueTask DisposeHostAsync(IHost host)
    {
        if (host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }

    /// <summary>The core's errors as the client's, so both ways of managing keys fail alike (same status, title and words).</summary>
    private static async Task<T> Translate<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (CoreException exception)
        {
            var status = ApiErrors.StatusOf(exception.Kind);
            throw status == 404
                ? new ApiKeyNotFoundException(status, exception.Title, exception.Description, exception)
                : new Marconi.Client.MarconiException(status, exception.Title, exception.Description, exception);
        }
    }

    private static IssuedApiKey Issued(IssuedKey issued) => new(ToClient(issued.Key), issued.Token);

    private static MarconiApiKey ToClient(ApiKey key) => new(
        key.Id, key.Name, key.Project, key.Role switch
        {
            KeyRole.Produce => MarconiKeyRole.Produce,
            KeyRole.Consume => MarconiKeyRole.Consume,
            _ => MarconiKeyRole.Full,
        },
        key.Created, key.Expires, key.LastUsed, key.Revoked);

    private static KeyRole ToCore(MarconiKeyRole role) => role switch
    {
        MarconiKeyRole.Produce => KeyRole.Produce,
        MarconiKeyRole.Consume => KeyRole.Consume,
        _ => KeyRole.Full,
    };
}

/// <summary>The store named by <c>--db</c> or <c>--postgres</c> could not be opened.</summary>
internal sealed class StoreUnavailableException(string message, Exception innerException) : Exception(message, innerException);
