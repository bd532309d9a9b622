using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Marconi.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Core;

/// <summary>
/// Claims and pops that wait for a message (long-polling). The waiters of a queue form a line in
/// arrival order and hold no thread: each is a task that an event completes. A committed post wakes
/// as many waiters from the front as its messages can serve; a released claim, a moved dead letter,
/// or a timer set for the queue's next delay end or claim expiry (read from the store, not polled)
/// wakes the first. A woken waiter that takes a full batch wakes the next, as more may be left.
/// Hosts that share a database see each other's posts only in the store, so there a waiter also
/// looks again every <see cref="LimitsOptions.ClaimWaitRecheckSeconds"/>.
/// </summary>
public sealed partial class ClaimWaiters : IDisposable
{
    private readonly ConcurrentDictionary<QueueRef, Line> _lines = new();
    private readonly IDataDriver _driver;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _recheck;
    private readonly ILogger<ClaimWaiters> _logger;
    private readonly CancellationTokenRegistration _stopping;
    private long _arrivals;
    // Waiters over every queue: an event on a queue when nobody waits costs one read of this.
    private int _waiting;
    private volatile bool _closed;

    public ClaimWaiters(
        IDataDriver driver, TimeProvider clock, IOptions<LimitsOptions> limits, IHostApplicationLifetime lifetime,
        IMeterFactory meters, ILogger<ClaimWaiters> logger)
    {
        meters.Create(MarconiMetrics.MeterName).CreateObservableUpDownCounter(
            "marconi.claims.waiting", () => Count, "{request}", "Claims and pops waiting for a message (long-polling).");
        _driver = driver;
        _clock = clock;
        _recheck = TimeSpan.FromSeconds(limits.Value.ClaimWaitRecheckSeconds);
        _logger = logger;
        // Before the server stops taking requests and waits for those in flight: answer the waiters now.
        _stopping = lifetime.ApplicationStopping.Register(Close);
    }

    /// <summary>Requests waiting now, over every queue.</summary>
    public int Count => Volatile.Read(ref _waiting);

    /// <summary>Requests of one queue waiting now for a wake-up or the end of their wait (not looking at the store).</summary>
    public int SleepingOn(QueueRef queue)
    {
        if (!_lines.TryGetValue(queue, out var line))
        {
            return 0;
        }

        lock (line)
        {
            return line.Sleeping;
        }
    }

    /// <summary>The queues on which some request is waiting now for a wake-up (not looking at the store).</summary>
    public IReadOnlyList<QueueRef> SleepingQueues()
    {
        var queues = new List<QueueRef>();
        foreach (var (queue, line) in _lines)
        {
            lock (line)
            {
                if (line.Sleeping > 0)
                {
                    queues.Add(queue);
                }
            }
        }

        return queues;
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> (a claim or pop of up to <paramref name="limit"/> messages)
    /// once at once without a <paramref name="wait"/>; with one, whenever the store has a message
    /// claimable, until an attempt takes one, the wait has passed or the host stops. Returns the
    /// last attempt's result, or <paramref name="nothing"/>. Cancellation leaves the line at once;
    /// an attempt already running completes, so the caller undoes what it took.
    /// </summary>
    public async Task<T> WaitAsync<T>(
        QueueRef queue, int limit, TimeSpan wait, Func<CancellationToken, Task<T>> attempt, Func<T, int> taken, T nothing,
        CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero || _closed)
        {
            return await attempt(cancellationToken);
        }

        var start = _clock.GetTimestamp();
        var result = nothing;
        var waiter = new Waiter(Interlocked.Increment(ref _arrivals), limit);
        var line = Join(queue);
        try
        {
            while (true)
            {
                // In line before looking, so a post committed after this look still wakes it.
                line.Park(waiter, _closed);
                // A read first: only a message claimable now is worth an attempt, which is a write.
                var now = _clock.GetUtcNow();
                var next = await _driver.Messages.NextClaimableAsync(queue, now, cancellationToken);
                if (next <= now)
                {
                    result = await attempt(cancellationToken);
                    var count = taken(result);
                    if (count > 0)
                    {
                        line.Leave(waiter, passOn: count >= limit);
                        return result;
                    }
                }
                else if (next is { } at)
                {
                    Due(line, at);
                }

                var remaining = wait - _clock.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero || _closed)
                {
                    return result;
                }

                var timeout = _recheck > TimeSpan.Zero && _recheck < remaining ? _recheck : remaining;
                var woken = waiter.Woken.WaitAsync(timeout, _clock, cancellationToken);
                line.Sleep(+1);
                try
                {
                    await woken;
                }
                catch (TimeoutException) when (timeout < remaining)
                {
                    // Time to look again (hosts sharing the store), still in line.
                }
                catch (TimeoutException)
                {
                    return result;
                }
                finally
                {
                    line.Sleep(-1);
                }

                if (_closed)
                {
                    return result;
                }
            }
        }
        finally
        {
            line.Leave(waiter, passOn: false);
            Quit(line);
        }
    }

    /// <summary>
    /// After the commit of a post: <paramref name="visible"/> messages are claimable now, and the
    /// first delayed one (if any) becomes claimable after <paramref name="firstDelay"/>.
    /// </summary>
    public void Posted(QueueRef queue, int visible, TimeSpan? firstDelay)
    {
        if (!TryGetWaitedOn(queue, out var line))
        {
            return;
        }

        if (visible > 0)
        {
            line.Wake(visible);
        }

        if (firstDelay is { } delay)
        {
            Due(line, _clock.GetUtcNow() + delay);
        }
    }

    /// <summary>Messages of the queue may be claimable now (a claim released, dead letters moved in).</summary>
    public void Freed(QueueRef queue)
    {
        if (TryGetWaitedOn(queue, out var line))
        {
            line.Wake(1);
        }
    }

    /// <summary>A claim of the queue that ends at <paramref name="expires"/> was made: its messages come back then.</summary>
    public void Claimed(QueueRef queue, DateTimeOffset expires)
    {
        if (TryGetWaitedOn(queue, out var line))
        {
            Due(line, expires);
        }
    }

    /// <summary>The line of a queue someone waits on; with no waiter anywhere, one read and no lookup.</summary>
    private bool TryGetWaitedOn(QueueRef queue, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Line? line)
    {
        line = null;
        return Volatile.Read(ref _waiting) > 0 && _lines.TryGetValue(queue, out line);
    }

    /// <summary>Answers every waiter now (with what it has: nothing) and every later one at once.</summary>
    public void Close()
    {
        _closed = true;
        foreach (var line in _lines.Values)
        {
            line.Wake(int.MaxValue);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        Close();
        foreach (var line in _lines.Values)
        {
            line.StopTimer();
        }
    }

    private Line Join(QueueRef queue)
    {
        while (true)
        {
            var line = _lines.GetOrAdd(queue, static queue => new Line(queue));
            lock (line)
            {
                if (line.Retired)
                {
                    continue;
                }

                line.Members++;
                Interlocked.Increment(ref _waiting);

                return line;
            }
        }
    }

    private void Quit(Line line)
    {
        Interlocked.Decrement(ref _waiting);
        lock (line)
        {
            if (--line.Members > 0)
            {
                return;
            }

            line.Retired = true;
            line.StopTimer();
        }

        _lines.TryRemove(new KeyValuePair<QueueRef, Line>(line.Queue, line));
    }

    /// <summary>
    /// After a timer's wake-up: sets the line's timer for the next time the store says a message
    /// becomes claimable (a delay ends, a claim expires), for the waiters the woken one leaves in
    /// line. When the store fails, they still wake on posts and answer when their wait ends.
    /// </summary>
    private async Task LookAheadAsync(Line line)
    {
        try
        {
            var now = _clock.GetUtcNow();
            if (await _driver.Messages.NextClaimableAsync(line.Queue, now, CancellationToken.None) is { } next && next > now)
            {
                Due(line, next);
            }
        }
        catch (Exception exception)
        {
            LogLookAheadFailed(exception, line.Queue.Name);
        }
    }

    private void Due(Line line, DateTimeOffset at)
    {
        lock (line)
        {
            if (line.Retired || (line.DueAt is { } current && current <= at))
            {
                return;
            }

            line.DueAt = at;
            // Claimable from that instant on; a timer that fires a little early wakes a waiter that
            // finds nothing and looks ahead again, to the same instant.
            var delay = at - _clock.GetUtcNow();
            line.Timer ??= _clock.CreateTimer(
                static state =>
                {
                    var (waiters, line) = ((ClaimWaiters, Line))state!;
                    waiters.OnDue(line);
                },
                (this, line), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            line.Timer.Change(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnDue(Line line)
    {
        lock (line)
        {
            if (line.Retired)
            {
                return;
            }

            line.DueAt = null;
        }

        line.Wake(1);
        _ = LookAheadAsync(line);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Long-poll: could not read when messages of queue {Queue} become claimable; its waiters wake on posts and at the end of their wait")]
    private partial void LogLookAheadFailed(Exception exception, string queue);

    /// <summary>One waiting request. <see cref="Woken"/> completes when it is its turn to look.</summary>
    private sealed class Waiter(long arrival, int limit)
    {
        public long Arrival { get; } = arrival;

        public int Limit { get; } = limit;

        public LinkedListNode<Waiter>? Node { get; set; }

        /// <summary>Woken since it last looked: a wake-up it has not used, to pass on if it leaves.</summary>
        public bool Signalled { get; set; }

        public bool Left { get; set; }

        public TaskCompletionSource Signal { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Woken => Signal.Task;
    }

    /// <summary>The waiters of one queue, oldest first, and its timer. Locked by itself.</summary>
    private sealed class Line(QueueRef queue)
    {
        private readonly LinkedList<Waiter> _parked = new();

        public QueueRef Queue { get; } = queue;

        public int Members { get; set; }

        public int Sleeping { get; private set; }

        public bool Retired { get; set; }

        public DateTimeOffset? DueAt { get; set; }

        public ITimer? Timer { get; set; }

        /// <summary>Puts the waiter in line by arrival (a waiter woken for nothing keeps its place).</summary>
        public void Park(Waiter waiter, bool closed)
        {
            lock (this)
            {
                waiter.Signalled = false;
                if (waiter.Signal.Task.IsCompleted)
                {
                    waiter.Signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                if (closed)
                {
                    waiter.Signal.TrySetResult();
                    return;
                }

                if (waiter.Node is not null)
                {
                    return;
                }

                var after = _parked.Last;
                while (after is not null && after.Value.Arrival > waiter.Arrival)
                {
                    after = after.Previous;
                }

                waiter.Node = after is null ? _parked.AddFirst(waiter) : _parked.AddAfter(after, waiter);
            }
        }

        /// <summary>Wakes waiters from the front until their batches cover <paramref name="messages"/>.</summary>
        public void Wake(int messages)
        {
            lock (this)
            {
                while (messages > 0 && _parked.First is { } first)
                {
                    var waiter = first.Value;
                    _parked.Remove(first);
                    waiter.Node = null;
                    waiter.Signalled = true;
                    waiter.Signal.TrySetResult();
                    messages -= waiter.Limit;
                }
            }
        }

        /// <summary>
        /// Takes the waiter out of line, once. A wake-up it did not use goes to the next waiter, and
        /// so does one more when it asks (<paramref name="passOn"/>: it took a full batch).
        /// </summary>
        public void Leave(Waiter waiter, bool passOn)
        {
            lock (this)
            {
                if (waiter.Left)
                {
                    return;
                }

                waiter.Left = true;
                if (waiter.Node is not null)
                {
                    _parked.Remove(waiter.Node);
                    waiter.Node = null;
                }

                if (passOn || waiter.Signalled)
                {
                    Wake(1);
                }
            }
        }

        public void Sleep(int change)
        {
            lock (this)
            {
                Sleeping += change;
            }
        }

        public void StopTimer()
        {
            lock (this)
            {
                Timer?.Dispose();
                Timer = null;
                DueAt = null;
            }
        }
    }
}
