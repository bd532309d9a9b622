using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Marconi.Storage.Sqlite;

/// <summary>
/// The hand-over between deletions and the sweeper: a deletion wakes it, and a caller can wait until
/// every queue deleted before its call has been swept.
/// </summary>
internal sealed class DeadQueueSweep
{
    // One pending wake-up is enough: a pass sweeps every dead queue, however many woke it.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _lock = new();
    private List<TaskCompletionSource> _waiters = [];

    public void Wake() => _wake.Writer.TryWrite(true);

    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _wake.Reader.ReadAsync(cancellationToken);

    /// <summary>Completes after a pass that began after this call found no deleted queue left.</summary>
    public Task WhenSweptAsync()
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _waiters.Add(waiter);
        }

        Wake();
        return waiter.Task;
    }

    /// <summary>The waiters a pass starting now answers; later ones wait for the next pass.</summary>
    public List<TaskCompletionSource> TakeWaiters()
    {
        lock (_lock)
        {
            var taken = _waiters;
            _waiters = [];
            return taken;
        }
    }

    /// <summary>Gives waiters of a failed pass back to the next one.</summary>
    public void Return(List<TaskCompletionSource> waiters)
    {
        lock (_lock)
        {
            _waiters.AddRange(waiters);
        }
    }
}

/// <summary>
/// Removes the messages and claims of deleted and purged queues in chunks of
/// <see cref="SqliteStorageOptions.CollectorChunk"/> rows, one writer transaction each, so other writes
/// run between the chunks. It starts with whatever an earlier run left in <c>dead_queues</c>.
/// </summary>
internal sealed partial class SqliteSweeper(SqliteDataDriver driver, ILogger<SqliteSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var waiters = driver.Sweep.TakeWaiters();
            try
            {
                await SweepAllAsync(stoppingToken);
                waiters.ForEach(w => w.TrySetResult());
                await driver.Sweep.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                driver.Sweep.Return(waiters);
                LogFailed(exception);
                try
                {
                    await Task.Delay(RetryAfter, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private async Task SweepAllAsync(CancellationToken stoppingToken)
    {
        long removed = 0;
        var started = Stopwatch.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested && await driver.SweepChunkAsync() is { } chunk)
        {
            removed += chunk.Removed;
            if (chunk.Finished)
            {
                LogSwept(chunk.QueueId, removed, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                removed = 0;
                started = Stopwatch.GetTimestamp();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Removed the {Rows} rows of deleted queue {QueueId} in {ElapsedMs} ms")]
    private partial void LogSwept(long queueId, long rows, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping deleted queues failed; it will be retried")]
    private partial void LogFailed(Exception exception);
}
