using System.Collections.Concurrent;
using Marconi.Core;
using Marconi.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Storage.Sqlite;

/// <summary>
/// The SQLite driver: one writer connection (<see cref="SqliteWriter"/>) and pooled read
/// connections on the same WAL-mode file, so reads never wait for the writer.
/// </summary>
internal sealed class SqliteDataDriver : IDataDriver, IAsyncDisposable
{
    private readonly string _readConnectionString;
    private readonly MarconiMetrics? _metrics;

    public SqliteDataDriver(IOptions<SqliteStorageOptions> options, ILogger<SqliteDataDriver> logger, MarconiMetrics? metrics = null)
    {
        var settings = options.Value;
        var path = Path.GetFullPath(settings.Path);
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = true,
        }.ToString();

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            Statements.KeepCompiled(connection);
            // WAL lets readers run beside the writer; synchronous decides when a commit is durable.
            connection.Exec("PRAGMA journal_mode = WAL");
            connection.Exec($"PRAGMA synchronous = {Synchronous(settings.Synchronous)}");
            connection.Exec("PRAGMA busy_timeout = 5000");
            // Each write runs in a savepoint; its statement journal (the pages a savepoint would
            // restore) went to a temporary file, costing a post of ten messages more than its rows.
            // It is only needed while the transaction is open, so memory loses nothing on a crash.
            connection.Exec("PRAGMA temp_store = MEMORY");
            Schema.Migrate(connection);
        }
        catch (Exception exception)
        {
            connection.Dispose();
            throw new InvalidOperationException(
                $"{SqliteStorageOptions.SectionName}:Path '{settings.Path}' could not be opened as a SQLite database: {exception.Message}",
                exception);
        }

        Space = new SqliteDiskSpace(path, settings.MinFreeBytes, settings.ReserveBytes, logger);
        Space.EnsureReserve();
        Writer = new SqliteWriter(connection, settings.MaxWriteBatch, settings.PendingWriteLimit, Space, logger, metrics);
        _metrics = metrics;
        CollectorChunk = settings.CollectorChunk;
        Queues = new SqliteQueueController(this);
        Messages = new SqliteMessageController(this);
        Claims = new SqliteClaimController(this);
        Subscriptions = new SqliteSubscriptionController(this);
        Keys = new SqliteKeyController(this);
    }

    public IQueueController Queues { get; }

    public IMessageController Messages { get; }

    public IClaimController Claims { get; }

    public ISubscriptionController Subscriptions { get; }

    public IKeyController Keys { get; }

    internal SqliteWriter Writer { get; }

    internal int CollectorChunk { get; }

    internal SqliteDiskSpace Space { get; }

    /// <summary>A write probe is run at most this often while the last commit had failed.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _probing = new(1, 1);
    private long? _probedAt;
    private bool _probeSucceeded;

    /// <summary>Wakes the sweeper of deleted queues and tells who waits for it.</summary>
    internal DeadQueueSweep Sweep { get; } = new();

    public async Task<bool> IsAliveAsync(CancellationToken cancellationToken)
    {
        if (!Writer.IsRunning)
        {
            return false;
        }

        if (!await ReadAsync("Health check", c => c.Scalar<long>("SELECT 1") == 1))
        {
            return false;
        }

        // Alive means able to take a post: room on the disk, and the last commit went through (or,
        // when nothing has been written since it failed, a small write now does).
        return Space.HasRoomForGrowth(DatabaseFreeBytes) && (!Writer.LastCommitFailed || await ProbeWriteAsync(cancellationToken));
    }

    private async Task<bool> ProbeWriteAsync(CancellationToken cancellationToken)
    {
        await _probing.WaitAsync(cancellationToken);
        try
        {
            if (Environment.TickCount64 - _probedAt < ProbeInterval.TotalMilliseconds)
            {
                return _probeSucceeded;
            }

            try
            {
                await WriteAsync("Write probe", (c, t) => c.Exec(
                    "INSERT INTO settings (name, value) VALUES ('write-probe', @at) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    new { at = DateTimeOffset.UtcNow.ToString("O") }, t));
                _probeSucceeded = true;
            }
            catch (MarconiException exception) when (exception.Kind == MarconiErrorKind.Overloaded)
            {
                // The writer's queue is full: it is busy, which says nothing new about whether commits succeed.
                return _probeSucceeded;
            }
            catch (MarconiException)
            {
                _probeSucceeded = false;
            }

            _probedAt = Environment.TickCount64;
            return _probeSucceeded;
        }
        finally
        {
            _probing.Release();
        }
    }

    /// <summary>Bytes of the database's free pages, which new rows reuse before the file grows.</summary>
    private long DatabaseFreeBytes()
    {
        try
        {
            using var connection = new SqliteConnection(_readConnectionString);
            connection.Open();
            return connection.Scalar<long>("SELECT freelist_count * page_size FROM pragma_freelist_count(), pragma_page_size()");
        }
        catch (SqliteException)
        {
            return 0;
        }
    }

    /// <summary>
    /// A write that adds data: refused with 503 while the disk is nearly full, so space stays for
    /// the deletes that free it.
    /// </summary>
    internal Task<T> GrowAsync<T>(string operation, Func<SqliteConnection, SqliteTransaction, T> work) =>
        Space.HasRoomForGrowth(DatabaseFreeBytes)
            ? Writer.WriteAsync(operation, work)
            : Task.FromException<T>(Errors.StorageFull(operation));

    public async Task<long> CollectGarbageAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        // Expired messages, claims and subscriptions alike go in chunks, each its own background write,
        // so posts and claims interleave with a large collection (a burst of short claims can leave many).
        var messages = await CollectInChunksAsync((c, t) => Sql.CollectExpiredMessages(c, t, nowMs, CollectorChunk), cancellationToken);
        var claims = await CollectInChunksAsync((c, t) => c.Exec(
            "DELETE FROM claims WHERE id IN (SELECT id FROM claims INDEXED BY claims_expires WHERE expires <= @now LIMIT @chunk)",
            new { now = nowMs, chunk = CollectorChunk }, t), cancellationToken);
        _metrics?.Collected(messages, claims);
        var removed = messages + claims;
        removed += await CollectInChunksAsync((c, t) => c.Exec(
            """
            DELETE FROM subscriptions
            WHERE seq IN (SELECT seq FROM subscriptions INDEXED BY subscriptions_expires WHERE expires <= @now LIMIT @chunk)
            """,
            new { now = nowMs, chunk = CollectorChunk }, t), cancellationToken);
        removed += await CollectInChunksAsync((c, t) => c.Exec(
            """
            DELETE FROM message_dedup
            WHERE (queue_id, scope, dedup_id) IN (
                SELECT queue_id, scope, dedup_id FROM message_dedup INDEXED BY message_dedup_expires WHERE expires <= @now LIMIT @chunk)
            """,
            new { now = nowMs, chunk = CollectorChunk }, t), cancellationToken);
        return removed;
    }

    /// <summary>Removes up to one chunk of a deleted queue's rows in one write; null when none waits.</summary>
    internal Task<SweptChunk?> SweepChunkAsync() =>
        Writer.WriteInBackgroundAsync("Deleted queue sweep", (c, t) => Sql.SweepDeadQueue(c, t, CollectorChunk));

    /// <summary>Runs <paramref name="removeChunk"/> (which removes at most one chunk) until a chunk comes back short.</summary>
    private async Task<long> CollectInChunksAsync(Func<SqliteConnection, SqliteTransaction, int> removeChunk, CancellationToken cancellationToken)
    {
        long removed = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var count = await Writer.WriteInBackgroundAsync("Expiry collection", removeChunk);
            removed += count;
            if (count < CollectorChunk)
            {
                break;
            }
        }

        return removed;
    }

    public async Task<string> GetOrAddSettingAsync(string name, string valueIfAbsent, CancellationToken cancellationToken)
    {
        const string Read = "SELECT value FROM settings WHERE name = @name";
        // Settings are written once and read on every start: a read answers unless it is the first.
        if (await ReadAsync("Setting lookup", c => c.Scalar<string?>(Read, new { name })) is { } stored)
        {
            return stored;
        }

        return await WriteAsync("Setting creation", (c, t) =>
        {
            c.Exec("INSERT INTO settings (name, value) VALUES (@name, @valueIfAbsent) ON CONFLICT (name) DO NOTHING",
                new { name, valueIfAbsent }, t);
            return c.Scalar<string>(Read, new { name }, t)!;
        });
    }

    /// <summary>
    /// Runs a query on one of the driver's read connections; storage failures become 503s. The
    /// connections are kept open (as many as reads ran at once), so their prepared statements
    /// (<see cref="Statements"/>) are compiled once; one whose read failed is closed, not reused.
    /// </summary>
    internal async Task<T> ReadAsync<T>(string operation, Func<SqliteConnection, T> read)
    {
        SqliteConnection? connection = null;
        try
        {
            if (!_readers.TryTake(out connection))
            {
                connection = new SqliteConnection(_readConnectionString);
                connection.Open();
                Statements.KeepCompiled(connection);
            }

            var result = read(connection);
            _readers.Add(connection);
            connection = null;
            return result;
        }
        catch (SqliteException exception)
        {
            throw Errors.StorageUnavailable(operation, exception);
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private readonly ConcurrentBag<SqliteConnection> _readers = [];

    internal Task<T> WriteAsync<T>(string operation, Func<SqliteConnection, SqliteTransaction, T> work) =>
        Writer.WriteAsync(operation, work);

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync();
        while (_readers.TryTake(out var connection))
        {
            await connection.DisposeAsync();
        }
    }

    private static string Synchronous(string value) =>
        SqliteStorageOptions.SynchronousModes.FirstOrDefault(m => m.Equals(value, StringComparison.OrdinalIgnoreCase))?.ToUpperInvariant()
        ?? throw new InvalidOperationException($"{SqliteStorageOptions.SectionName}:Synchronous '{value}' is not one of Off, Normal, Full, Extra.");
}
