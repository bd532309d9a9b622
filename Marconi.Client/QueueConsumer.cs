using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Marconi.Client;

/// <summary>
/// The loop behind <see cref="MarconiQueue.ConsumeAsync(Func{MarconiMessage, CancellationToken, Task}, ConsumeOptions?, CancellationToken)"/>:
/// long-polls claims sized to the free handler slots, runs a handler per message, renews each claim while any
/// of its messages is handled, deletes each message whose handler succeeded, and releases (or leaves to expire)
/// a claim once its messages are settled if one of them failed. A claim holds several messages and can only be
/// released whole, so a failed message waits for its claim-mates; by then those were deleted, and only the
/// failed ones come free.
/// </summary>
internal sealed class QueueConsumer
{
    private readonly MarconiQueue _queue;
    private readonly ConsumeOptions _options;
    private readonly bool _deleteOnSuccess;
    private readonly ILogger? _log;

    /// <param name="queue">The queue consumed.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="deleteOnSuccess">Whether a handler's success deletes the message; the <c>await foreach</c> form deletes in its own handler, to tell the caller.</param>
    public QueueConsumer(MarconiQueue queue, ConsumeOptions options, bool deleteOnSuccess = true)
    {
        _queue = queue;
        _options = options;
        _deleteOnSuccess = deleteOnSuccess;
        _log = options.Logger;
    }

    /// <summary>Runs until <paramref name="ct"/> is cancelled (returning normally), the queue is empty with <see cref="ConsumeOptions.StopWhenEmpty"/>, or a claim fails for good (throwing).</summary>
    public async Task RunAsync(Func<MarconiMessage, CancellationToken, Task> handler, CancellationToken ct)
    {
        var slots = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        var claims = new List<Task>();
        var failures = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await slots.WaitAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }

                var taken = 1;
                while (taken < _options.BatchSize && slots.Wait(0))
                {
                    taken++;
                }

                claims.RemoveAll(t => t.IsCompleted);
                var asked = Stopwatch.GetTimestamp();
                MarconiClaim? claim;
                try
                {
                    claim = await _queue.ClaimAsync(taken, _options.ClaimTtl, _options.ClaimGrace, _options.Wait, ct).ConfigureAwait(false);
                    failures = 0;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    slots.Release(taken);
                    break;
                }
                catch (MarconiException exception) when (IsTransient(exception))
                {
                    slots.Release(taken);
                    var pause = Backoff(++failures, exception.RetryAfter);
                    _log?.LogWarning("Claiming from queue {Queue} failed ({Status} {Title}); trying again in {Pause} ms",
                        _queue.Name, exception.Status, exception.Title, (long)pause.TotalMilliseconds);
                    if (!await PauseAsync(pause, ct).ConfigureAwait(false))
                    {
                        break;
                    }

                    continue;
                }
                catch
                {
                    slots.Release(taken);
                    throw;
                }

                if (claim is null || claim.Messages.Count == 0)
                {
                    slots.Release(taken);
                    if (_options.StopWhenEmpty)
                    {
                        break;
                    }

                    // Nothing, sooner than the wait: no long poll happened (wait 0, an older server, one shutting down).
                    if (Stopwatch.GetElapsedTime(asked) < TimeSpan.FromSeconds(_options.Wait) && !await PauseAsync(_options.IdlePause, ct).ConfigureAwait(false))
                    {
                        break;
                    }

                    continue;
                }

                if (claim.Messages.Count < taken)
                {
                    slots.Release(taken - claim.Messages.Count);
                }

                claims.Add(HoldAsync(claim, handler, slots, ct));
            }
        }
        finally
        {
            // Handlers see the cancellation; what they do not finish is released before this returns.
            await Task.WhenAll(claims).ConfigureAwait(false);
        }
    }

    /// <summary>One claim: its messages handled in parallel, the claim renewed meanwhile, then settled. Never throws.</summary>
    private async Task HoldAsync(MarconiClaim claim, Func<MarconiMessage, CancellationToken, Task> handler, SemaphoreSlim slots, CancellationToken ct)
    {
        using var held = CancellationTokenSource.CreateLinkedTokenSource(ct); // cancelled too when the claim is lost
        using var handled = new CancellationTokenSource();
        var heartbeat = RenewAsync(claim, held, handled.Token);
        var outcomes = await Task.WhenAll(claim.Messages.Select(m => HandleAsync(m, handler, slots, held.Token))).ConfigureAwait(false);
        await handled.CancelAsync().ConfigureAwait(false);
        await heartbeat.ConfigureAwait(false);

        if (outcomes.All(ok => ok) || held.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return; // all deleted, or the claim is gone already
        }

        if (_options.OnFailure == ConsumeFailure.Expire && !ct.IsCancellationRequested)
        {
            _log?.LogDebug("Claim {Claim} on queue {Queue} is left to expire with its failed messages", claim.Id, _queue.Name);
            return;
        }

        using var settle = new CancellationTokenSource(_options.SettleTimeout);
        try
        {
            await claim.ReleaseAsync(settle.Token).ConfigureAwait(false);
            _log?.LogDebug("Claim {Claim} on queue {Queue} released", claim.Id, _queue.Name);
        }
        catch (Exception exception) when (exception is MarconiException or OperationCanceledException)
        {
            _log?.LogWarning(exception, "Releasing claim {Claim} on queue {Queue} failed; its messages come back when it expires", claim.Id, _queue.Name);
        }
    }

    /// <summary>Runs the handler; on success deletes the message. True when the message is settled for good.</summary>
    private async Task<bool> HandleAsync(MarconiMessage message, Func<MarconiMessage, CancellationToken, Task> handler, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            try
            {
                await handler(message, ct).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                var stopping = exception is OperationCanceledException && ct.IsCancellationRequested;
                if (!stopping && exception is not ConsumedMessage.AbandonedException)
                {
                    _log?.LogWarning(exception, "Handling message {Message} of queue {Queue} failed", message.Id, _queue.Name);
                }

                return false;
            }

            if (!_deleteOnSuccess)
            {
                return true;
            }

            using var settle = new CancellationTokenSource(_options.SettleTimeout);
            try
            {
                await message.DeleteAsync(settle.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception exception) when (exception is MarconiException or OperationCanceledException)
            {
                // Most likely the claim was lost: the message comes back, and is handled again.
                _log?.LogWarning(exception, "Deleting handled message {Message} of queue {Queue} failed", message.Id, _queue.Name);
                return false;
            }
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>Renews the claim every heartbeat until <paramref name="done"/>; cancels <paramref name="held"/> when the claim is lost.</summary>
    private async Task RenewAsync(MarconiClaim claim, CancellationTokenSource held, CancellationToken done)
    {
        while (true)
        {
            try
            {
                await Task.Delay(_options.Heartbeat, done).ConfigureAwait(false);
                await claim.UpdateAsync(_options.ClaimTtl, _options.ClaimGrace, done).ConfigureAwait(false);
                _log?.LogDebug("Claim {Claim} on queue {Queue} renewed for {Ttl} s", claim.Id, _queue.Name, _options.ClaimTtl);
            }
            catch (OperationCanceledException) when (done.IsCancellationRequested)
            {
                return;
            }
            catch (ClaimNotFoundException)
            {
                _log?.LogWarning("Claim {Claim} on queue {Queue} was lost (expired or released) while its messages were handled", claim.Id, _queue.Name);
                await held.CancelAsync().ConfigureAwait(false);
                return;
            }
            catch (MarconiException exception)
            {
                // The next beat tries again; the TTL leaves room for two misses with the default interval.
                _log?.LogWarning("Renewing claim {Claim} on queue {Queue} failed ({Status} {Title})", claim.Id, _queue.Name, exception.Status, exception.Title);
            }
        }
    }

    /// <summary>The server cannot be reached, is overloaded or failing: worth asking again later. Anything else (a bad option, a refused key) is for the caller.</summary>
    internal static bool IsTransient(MarconiException exception) => exception.Status is 0 or 429 or >= 500;

    private TimeSpan Backoff(int failures, TimeSpan? retryAfter)
    {
        if (retryAfter is { } asked)
        {
            return asked < _options.MaxBackoff ? asked : _options.MaxBackoff;
        }

        var exponential = _options.MinBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        var capped = Math.Min(exponential, _options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    /// <summary>Waits; false when cancelled meanwhile.</summary>
    private static async Task<bool> PauseAsync(TimeSpan pause, CancellationToken ct)
    {
        try
        {
            await Task.Delay(pause, ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
