using Marconi.Core;
using Marconi.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marconi.Storage.Postgres;

/// <summary>
/// The PostgreSQL driver: any number of hosts share one database. Every operation is one statement
/// or one short transaction on a pooled connection; nothing lives in the session (no session locks,
/// no LISTEN, no SET), so PgBouncer in transaction mode works. Exclusivity of claims comes from row
/// locks (SKIP LOCKED), FIFO across hosts from the queue row lock every post takes before it draws
/// its markers (see <see cref="PostgresMessageController"/>).
/// </summary>
internal sealed class PostgresDataDriver : IDataDriver, IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly ILogger _logger;

    public PostgresDataDriver(IOptions<PostgresStorageOptions> options, ILogger<PostgresDataDriver> logger, MarconiMetrics? metrics = null)
    {
        var settings = options.Value;
        _logger = logger;
        Metrics = metrics;
        Schema = settings.Schema;
        S = PostgresSchema.Quote(settings.Schema);
        CollectorChunk = settings.CollectorChunk;
        MaxPendingPosts = settings.MaxPendingPosts;

        NpgsqlConnectionStringBuilder connection;
        try
        {
            connection = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        }
        catch (ArgumentException exception)
        {
            throw new InvalidOperationException(
                $"{PostgresStorageOptions.SectionName}:ConnectionString is not a valid Npgsql connection string: {exception.Message}", exception);
        }

        connection.CommandTimeout = settings.CommandTimeoutSeconds;
        // Prepared statements (kept per physical connection) measured about 15 % faster on a post; a
        // connection string that sets Max Auto Prepare (0 behind a PgBouncer older than 1.21) decides.
        if (!Sets(settings.ConnectionString, "MaxAutoPrepare"))
        {
            connection.MaxAutoPrepare = 32;
        }

        connection.ApplicationName ??= "marconi";
        _source = NpgsqlDataSource.Create(connection);

        try
        {
            using var open = _source.OpenConnection();
            var synchronousCommit = CheckDurability(open, settings);
            Description = new StoreDescription(
                $"postgresql://{open.Host}:{open.Port}/{open.Database} (schema {settings.Schema})", $"synchronous_commit={synchronousCommit}");
            PostgresSchema.MigrateAsync(open, settings.Schema, PostgresSchema.Latest, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (DurabilityRefused)
        {
            _source.Dispose();
            throw;
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            _source.Dispose();
            throw new InvalidOperationException(
                $"{PostgresStorageOptions.SectionName}:ConnectionString: the database could not be opened and migrated ({Redacted(connection)}): {exception.Message}",
                exception);
        }

        Queues = new PostgresQueueController(this);
        Messages = new PostgresMessageController(this);
        Claims = new PostgresClaimController(this);
        Subscriptions = new PostgresSubscriptionController(this);
        Keys = new PostgresKeyController(this);
    }

    public IQueueController Queues { get; }

    public IMessageController Messages { get; }

    public IClaimController Claims { get; }

    public ISubscriptionController Subscriptions { get; }

    public IKeyController Keys { get; }

    /// <summary>The server and schema, and its <c>synchronous_commit</c>, for the start-up line.</summary>
    internal StoreDescription Description { get; } = null!;

    /// <summary>The configured schema, unquoted.</summary>
    internal string Schema { get; }

    /// <summary>The schema as a quoted identifier, to prefix table names in statements: <c>{S}.messages</c>.</summary>
    internal string S { get; }

    internal int CollectorChunk { get; }

    internal int MaxPendingPosts { get; }

    internal MarconiMetrics? Metrics { get; }

    internal NpgsqlDataSource Source => _source;

    /// <summary>
    /// A 201 must mean the post is durable: refuse a server that acknowledges commits before they are
    /// flushed, unless the operator said that is acceptable.
    /// </summary>
    private static string CheckDurability(NpgsqlConnection connection, PostgresStorageOptions settings)
    {
        using var command = new NpgsqlCommand("SHOW synchronous_commit", connection);
        var mode = (string)command.ExecuteScalar()!;
        if (mode.Equals("off", StringComparison.OrdinalIgnoreCase) && !settings.AllowAsyncCommit)
        {
            throw new DurabilityRefused(
                $"{PostgresStorageOptions.SectionName}:AllowAsyncCommit is false, and the server's synchronous_commit is off, so an acknowledged post could be lost; turn synchronous_commit on, or set AllowAsyncCommit=true to accept that");
        }

        return mode;
    }

    /// <summary>
    /// Whether the connection string itself names the setting (in any spelling Npgsql takes: spaces and
    /// case aside), where Npgsql's own builder answers true for every setting it knows.
    /// </summary>
    private static bool Sets(string connectionString, string setting) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals(setting, StringComparison.OrdinalIgnoreCase));

    /// <summary>The connection string without its password, for messages.</summary>
    private static string Redacted(NpgsqlConnectionStringBuilder connection) =>
        $"Host={connection.Host}; Port={connection.Port}; Database={connection.Database}; Username={connection.Username}";

    public async Task<bool> IsAliveAsync(CancellationToken cancellationToken)
    {
        try
        {
            // A host still connected to a demoted primary is not alive: it could not take a post.
            return !await RunAsync("Health check", async c =>
            {
                await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", c);
                return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
            }, cancellationToken);
        }
        catch (MarconiException)
        {
            return false;
        }
    }

    public async Task<string> GetOrAddSettingAsync(string name, string valueIfAbsent, CancellationToken cancellationToken) =>
        await RunAsync("Setting lookup", async c =>
        {
            // Two statements: the read must see a value a concurrent first call committed while this
            // insert waited on it, which the insert's own snapshot would not.
            await using (var insert = new NpgsqlCommand(
                $"INSERT INTO {S}.settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", c))
            {
                insert.Parameters.Add(new() { Value = name });
                insert.Parameters.Add(new() { Value = valueIfAbsent });
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var read = new NpgsqlCommand($"SELECT value FROM {S}.settings WHERE name = $1", c);
            read.Parameters.Add(new() { Value = name });
            return (string)(await read.ExecuteScalarAsync(cancellationToken))!;
        }, cancellationToken);

    public Task<long> CollectGarbageAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        PostgresCollector.CollectAsync(this, now, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled connection. A deadlock or serialization failure is
    /// retried once; any other database failure becomes a 503 (<see cref="Errors.StorageUnavailable"/>).
    /// Cancellation by the caller stays a cancellation.
    /// </summary>
    internal async Task<T> RunAsync<T>(string operation, Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = await _source.OpenConnectionAsync(cancellationToken);
                return await work(connection);
            }
            catch (PostgresException exception) when (attempt == 0 && exception.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                _logger.LogDebug(exception, "{Operation} met {SqlState}; retrying once", operation, exception.SqlState);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
            {
                throw Errors.StorageUnavailable(operation, exception);
            }
        }
    }

    /// <summary>As <see cref="RunAsync{T}"/>, inside one transaction (READ COMMITTED) that commits when <paramref name="work"/> returns.</summary>
    internal Task<T> TransactAsync<T>(
        string operation, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(operation, async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }, cancellationToken);

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    /// <summary>The server would acknowledge posts before they are durable; its own message, not a connection failure's.</summary>
    private sealed class DurabilityRefused(string message) : InvalidOperationException(message);
}
