using System.Threading.Channels;
using Marconi.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Marconi.Storage.Sqlite;

/// <summary>
/// The one connection that writes. Requests hand it work through a channel; it drains whatever is
/// waiting into one transaction (group commit), so one fsync acknowledges many writes. Each piece of
/// work runs in its own savepoint: a failing one is undone alone, the others still commit.
/// Claims are writes too, which is why two claims can never take the same message.
/// Background work (removing expired rows and the rows of deleted queues, a chunk at a time) runs
/// alone in its own transaction and only while no request's write waits, so a request waits for at
/// most the one chunk already running.
/// The channel is bounded: when as many writes are waiting as the limit allows, a request's write is
/// refused at once (503, nothing written) rather than queued, so latency and memory stay bounded under
/// a flood; background work, from a few producers one chunk at a time, waits for room instead.
/// </summary>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Channel<WriteWork> _queue;
    /// <summary>Request transactions committed in a row before waiting background work gets one.</summary>
    private const int BusyTurnsPerBackgroundTurn = 16;

    private readonly int _maxBatch;
    private volatile bool _closed;
    private readonly SqliteDiskSpace? _space;
    private readonly ILogger _logger;
    private readonly MarconiMetrics? _metrics;
    private readonly Task _loop;

    public SqliteWriter(
        SqliteConnection connection, int maxBatch, int maxPending, SqliteDiskSpace? space, ILogger logger, MarconiMetrics? metrics = null)
    {
        _connection = connection;
        _space = space;
        _maxBatch = maxBatch;
        MaxPending = maxPending;
        _queue = Channel.CreateBounded<WriteWork>(new BoundedChannelOptions(maxPending)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _logger = logger;
        _metrics = metrics;
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Most writes waiting for a transaction; past it, a request's write is refused.</summary>
    public int MaxPending { get; }

    /// <summary>True while the loop runs; false once it stopped.</summary>
    public bool IsRunning => !_loop.IsCompleted;

    /// <summary>Changes to queues' message counts by the items of the transaction being built that succeeded.</summary>
    private readonly Dictionary<long, long> _countChanges = [];

    /// <summary>Changes to queues' message counts by the item running now; kept only if it succeeds.</summary>
    private readonly Dictionary<long, long> _itemCountChanges = [];

    /// <summary>
    /// Adds <paramref name="change"/> to queue <paramref name="queueId"/>'s message count when the
    /// transaction commits; only work running on the writer may call it. The changes of a batch are
    /// written as one update per queue just before the commit, in the same transaction, rather than
    /// one update per post or delete; a work item that fails takes its changes with it.
    /// </summary>
    public void CountMessages(long queueId, long change) =>
        _itemCountChanges[queueId] = _itemCountChanges.GetValueOrDefault(queueId) + change;

    /// <summary>True when the last transaction did not commit: until one does, the store cannot be said to accept writes.</summary>
    public bool LastCommitFailed { get; private set; }

    /// <summary>Runs <paramref name="work"/> inside the writer's next transaction; completes after the commit.</summary>
    public Task<T> WriteAsync<T>(string operation, Func<SqliteConnection, SqliteTransaction, T> work) =>
        Enqueue(new WriteWork<T>(operation, work, background: false));

    /// <summary>Runs <paramref name="work"/> in a transaction of its own once no other write waits.</summary>
    public async Task<T> WriteInBackgroundAsync<T>(string operation, Func<SqliteConnection, SqliteTransaction, T> work)
    {
        var item = new WriteWork<T>(operation, work, background: true);
        try
        {
            await _queue.Writer.WriteAsync(item);
        }
        catch (ChannelClosedException)
        {
            throw Errors.StorageUnavailable(operation);
        }

        return await item.Task;
    }

    private Task<T> Enqueue<T>(WriteWork<T> item)
    {
        if (!_queue.Writer.TryWrite(item))
        {
            // Full (TryWrite never waits) unless the writer is closing.
            throw _closed ? Errors.StorageUnavailable(item.Operation) : Errors.Overloaded($"{MaxPending} writes already waiting");
        }

        return item.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _closed = true;
        _queue.Writer.TryComplete();
        await _loop;
        _connection.Dispose();
    }

    private void Run()
    {
        var batch = new List<WriteWork>(_maxBatch);
        var background = new Queue<WriteWork>();
        var busyTurns = 0;
        var reader = _queue.Reader;
        // Waits only when nothing at all is left to do; background work keeps the loop turning.
        while (background.Count > 0 || reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var item))
            {
                if (item.Background)
                {
                    background.Enqueue(item);
                }
                else
                {
                    batch.Add(item);
                }
            }

            if (batch.Count > 0)
            {
                Commit(batch);
                busyTurns = background.Count > 0 ? busyTurns + 1 : 0;
            }

            // Under a load that never lets the queue empty, background work still gets every so many turns.
            if (background.Count > 0 && (batch.Count == 0 || busyTurns >= BusyTurnsPerBackgroundTurn))
            {
                batch.Clear();
                batch.Add(background.Dequeue());
                Commit(batch);
                busyTurns = 0;
            }
        }
    }

    private void Commit(List<WriteWork> batch)
    {
        var outcome = TryCommit(batch, out var failure);
        if (outcome == CommitOutcome.DiskFull && _space?.ReleaseReserve() == true)
        {
            // The reserve is given up so that this batch (deletes and purges above all) can finish.
            outcome = TryCommit(batch, out failure);
        }

        LastCommitFailed = outcome != CommitOutcome.Committed;
        if (outcome == CommitOutcome.Committed)
        {
            return;
        }

        // The transaction did not commit: nothing of this batch is stored, and every caller hears so.
        LogCommitFailed(failure!, batch.Count);
        foreach (var item in batch)
        {
            item.Fail(outcome == CommitOutcome.DiskFull
                ? Errors.StorageFull(item.Operation, failure)
                : Errors.StorageUnavailable(item.Operation, failure));
        }
    }

    /// <summary>
    /// One transaction over the batch, each item in its own savepoint. Callers hear their outcome
    /// only after the commit, so a batch that is retried never answers one caller twice.
    /// </summary>
    private CommitOutcome TryCommit(List<WriteWork> batch, out Exception? failure)
    {
        failure = null;
        SqliteTransaction? transaction = null;
        _countChanges.Clear();
        try
        {
            transaction = _connection.BeginTransaction(deferred: false);
            foreach (var item in batch)
            {
                item.Error = null;
                _itemCountChanges.Clear();
                Execute(transaction, "SAVEPOINT work");
                try
                {
                    item.Execute(_connection, transaction);
                    Execute(transaction, "RELEASE work");
                    foreach (var (queueId, change) in _itemCountChanges)
                    {
                        _countChanges[queueId] = _countChanges.GetValueOrDefault(queueId) + change;
                    }
                }
                catch (Exception exception) when (!SqliteDiskSpace.IsDiskFull(exception))
                {
                    Execute(transaction, "ROLLBACK TO work");
                    Execute(transaction, "RELEASE work");
                    item.Error = Translate(item.Operation, exception);
                }
            }

            // A queue deleted or purged in this batch has no row under its old id: its update changes nothing.
            foreach (var (queueId, change) in _countChanges)
            {
                if (change != 0)
                {
                    _connection.Exec("UPDATE queues SET message_count = message_count + @change WHERE id = @queueId",
                        new { change, queueId }, transaction);
                }
            }

            var committing = System.Diagnostics.Stopwatch.GetTimestamp();
            transaction.Commit();
            _metrics?.Commit(batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(committing));
        }
        catch (Exception exception)
        {
            failure = exception;
            try
            {
                transaction?.Rollback();
            }
            catch (Exception rollback)
            {
                LogCommitFailed(rollback, batch.Count);
            }

            return SqliteDiskSpace.IsDiskFull(exception) ? CommitOutcome.DiskFull : CommitOutcome.Failed;
        }
        finally
        {
            transaction?.Dispose();
        }

        foreach (var item in batch)
        {
            if (item.Error is { } error)
            {
                item.Fail(error);
            }
            else
            {
                item.Complete();
            }
        }

        return CommitOutcome.Committed;
    }

    private enum CommitOutcome
    {
        Committed,
        Failed,
        DiskFull,
    }

    private void Execute(SqliteTransaction transaction, string sql) => _connection.Exec(sql, null, transaction);

    private static Exception Translate(string operation, Exception exception) =>
        exception is MarconiException ? exception : Errors.StorageUnavailable(operation, exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "SQLite write transaction of {Count} requests failed")]
    private partial void LogCommitFailed(Exception exception, int count);

    private abstract class WriteWork(string operation, bool background)
    {
        public string Operation { get; } = operation;

        /// <summary>This item's own failure in the current attempt, told to its caller once the batch commits.</summary>
        public Exception? Error { get; set; }

        public bool Background { get; } = background;

        public abstract void Execute(SqliteConnection connection, SqliteTransaction transaction);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteWork<T>(string operation, Func<SqliteConnection, SqliteTransaction, T> work, bool background)
        : WriteWork(operation, background)
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _completion.Task;

        public override void Execute(SqliteConnection connection, SqliteTransaction transaction) =>
            _result = work(connection, transaction);

        public override void Complete() => _completion.TrySetResult(_result!);

        public override void Fail(Exception exception) => _completion.TrySetException(exception);
    }
}
