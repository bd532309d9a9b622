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
/// </summary>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Channel<WriteWork> _queue = Channel.CreateUnbounded<WriteWork>(
        new UnboundedChannelOptions { SingleReader = true });
    /// <summary>Request transactions committed in a row before waiting background work gets one.</summary>
    private const int BusyTurnsPerBackgroundTurn = 16;

    private readonly int _maxBatch;
    private readonly ILogger _logger;
    private readonly Task _loop;

    public SqliteWriter(SqliteConnection connection, int maxBatch, ILogger logger)
    {
        _connection = connection;
        _maxBatch = maxBatch;
        _logger = logger;
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>True while the loop runs; false once it stopped.</summary>
    public bool IsRunning => !_loop.IsCompleted;

    /// <summary>Runs <paramref name="work"/> inside the writer's next transaction; completes after the commit.</summary>
    public Task<T> WriteAsync<T>(string operation, Func<SqliteConnection, SqliteTransaction, T> work) =>
        Enqueue(new WriteWork<T>(operation, work, background: false));

    /// <summary>Runs <paramref name="work"/> in a transaction of its own once no other write waits.</summary>
    public Task<T> WriteInBackgroundAsync<T>(string operation, Func<SqliteConnection, SqliteTransaction, T> work) =>
        Enqueue(new WriteWork<T>(operation, work, background: true));

    private Task<T> Enqueue<T>(WriteWork<T> item)
    {
        if (!_queue.Writer.TryWrite(item))
        {
            throw Errors.StorageUnavailable(item.Operation);
        }

        return item.Task;
    }

    public async ValueTask DisposeAsync()
    {
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

    private abstract class WriteWork(string operation, bool background)
    {
        public string Operation { get; } = operation;

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
