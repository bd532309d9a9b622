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
/// The channel is bounded: when as many writes are waiting as the limit allows, a new one is refused
/// at once (503, nothing written) rather than queued, so latency and memory stay bounded under a flood.
/// </summary>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Channel<WriteWork> _queue;
    private readonly int _maxBatch;
    private volatile bool _closed;
    private readonly ILogger _logger;
    private readonly Task _loop;

    public SqliteWriter(SqliteConnection connection, int maxBatch, int maxPending, ILogger logger)
    {
        _connection = connection;
        _maxBatch = maxBatch;
        MaxPending = maxPending;
        _queue = Channel.CreateBounded<WriteWork>(new BoundedChannelOptions(maxPending)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _logger = logger;
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Most writes waiting for a transaction; past it, writes are refused.</summary>
    public int MaxPending { get; }

    /// <summary>True while the loop runs; false once it stopped.</summary>
    public bool IsRunning => !_loop.IsCompleted;

    /// <summary>Runs <paramref name="work"/> inside the writer's next transaction; completes after the commit.</summary>
    public Task<T> WriteAsync<T>(string operation, Func<SqliteConnection, SqliteTransaction, T> work)
    {
        var item = new WriteWork<T>(operation, work);
        if (!_queue.Writer.TryWrite(item))
        {
            // Full (TryWrite never waits) unless the writer is closing.
            throw _closed ? Errors.StorageUnavailable(operation) : Errors.Overloaded($"{MaxPending} writes already waiting");
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
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            Commit(batch);
        }
    }

    private void Commit(List<WriteWork> batch)
    {
        SqliteTransaction? transaction = null;
        try
        {
            transaction = _connection.BeginTransaction(deferred: false);
            var done = new List<WriteWork>(batch.Count);
            foreach (var item in batch)
            {
                Execute(transaction, "SAVEPOINT work");
                try
                {
                    item.Execute(_connection, transaction);
                    Execute(transaction, "RELEASE work");
                    done.Add(item);
                }
                catch (Exception exception)
                {
                    Execute(transaction, "ROLLBACK TO work");
                    Execute(transaction, "RELEASE work");
                    item.Fail(Translate(item.Operation, exception));
                }
            }

            transaction.Commit();
            foreach (var item in done)
            {
                item.Complete();
            }
        }
        catch (Exception exception)
        {
            // The transaction did not commit: nothing of this batch is stored, and every caller hears so.
            LogCommitFailed(exception, batch.Count);
            try
            {
                transaction?.Rollback();
            }
            catch (Exception rollback)
            {
                LogCommitFailed(rollback, batch.Count);
            }

            foreach (var item in batch)
            {
                item.Fail(Errors.StorageUnavailable(item.Operation, exception));
            }
        }
        finally
        {
            transaction?.Dispose();
        }
    }

    private void Execute(SqliteTransaction transaction, string sql)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static Exception Translate(string operation, Exception exception) =>
        exception is MarconiException ? exception : Errors.StorageUnavailable(operation, exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "SQLite write transaction of {Count} requests failed")]
    private partial void LogCommitFailed(Exception exception, int count);

    private abstract class WriteWork(string operation)
    {
        public string Operation { get; } = operation;

        public abstract void Execute(SqliteConnection connection, SqliteTransaction transaction);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteWork<T>(string operation, Func<SqliteConnection, SqliteTransaction, T> work)
        : WriteWork(operation)
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
