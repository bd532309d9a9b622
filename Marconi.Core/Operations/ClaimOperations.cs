using Marconi.Core.Storage;
using Marconi.Core.Validation;
using Microsoft.Extensions.Options;

namespace Marconi.Core.Operations;

/// <summary>A claim read or created at <paramref name="Now"/>.</summary>
public sealed record ClaimResult(QueueRef Queue, ClaimData Claim, DateTimeOffset Now);

/// <summary>Claim operations, shared by every API version and transport.</summary>
public sealed class ClaimOperations(
    IDataDriver driver, QueueOperations queues, MessageCipher cipher, ClaimWaiters waiters, IOptions<LimitsOptions> limits,
    TimeProvider clock, MarconiMetrics metrics)
{
    private readonly LimitsOptions _limits = limits.Value;
    private readonly ClaimCreateValidator _createValidator = new(limits.Value);
    private readonly ClaimUpdateValidator _updateValidator = new(limits.Value);

    /// <summary>
    /// Claims up to <paramref name="limit"/> free messages (the default when null); null when
    /// nothing was claimed (missing queue or no free message), which is not an error. A queue with
    /// <c>_max_claim_count</c> and <c>_dead_letter_queue</c> moves messages claimed that often to
    /// its dead-letter queue instead (v2 9.5), in every API version. With <paramref name="wait"/>
    /// seconds, an empty claim waits until a message is claimable or the wait ends (long-polling);
    /// a claim made for a caller that went away meanwhile is released.
    /// </summary>
    public async Task<ClaimResult?> CreateAsync(
        QueueRef queue, long ttl, long grace, long? limit, CancellationToken cancellationToken, long? wait = null)
    {
        var limitValue = limit ?? _limits.DefaultMessagesPerClaim;
        _createValidator.Check(new ClaimRequest(ttl, grace, limitValue));
        return await ClaimAsync(queue, ttl, grace, limitValue, CheckWait(wait, _limits), cancellationToken);
    }

    private async Task<ClaimResult?> ClaimAsync(
        QueueRef queue, long ttl, long grace, long limitValue, TimeSpan waitFor, CancellationToken cancellationToken) =>
        (await ClaimManyAsync(queue, (int)ttl, (int)grace, (int)limitValue, each: false, waitFor, cancellationToken)) is [var claim] ? claim : null;

    /// <summary>
    /// One claim of up to <paramref name="limit"/> messages, or with <paramref name="each"/> up to that
    /// many claims of one message each, in one step of the store; waits as <see cref="CreateAsync"/> does.
    /// </summary>
    private async Task<IReadOnlyList<ClaimResult>> ClaimManyAsync(
        QueueRef queue, int ttl, int grace, int limit, bool each, TimeSpan waitFor, CancellationToken cancellationToken)
    {
        var settings = await queues.GetSettingsAsync(queue, cancellationToken);
        var deadLetter = settings.DeadLetters
            // A count beyond any message's claims means "never": clamp rather than wrap.
            ? new DeadLetterPolicy(
                (int)Math.Min(settings.MaxClaimCount!.Value, int.MaxValue), settings.DeadLetterQueue!,
                (int?)settings.DeadLetterQueueMessagesTtl)
            : null;
        var (claims, now) = await waiters.WaitAsync(
            queue, limit, waitFor,
            async t =>
            {
                var now = clock.GetUtcNow();
                IReadOnlyList<ClaimData> claims = each
                    ? await driver.Claims.CreateEachAsync(queue, ttl, grace, limit, now, t, deadLetter)
                    : await driver.Claims.CreateAsync(queue, ttl, grace, limit, now, t, deadLetter) is { } claim ? [claim] : [];
                if (deadLetter is not null)
                {
                    // Messages may have moved to the dead-letter queue, where someone may be waiting.
                    waiters.Freed(queue with { Name = deadLetter.DeadLetterQueue });
                }

                return (claims, now);
            },
            static attempt => attempt.claims.Sum(c => c.Messages.Count),
            ([], clock.GetUtcNow()),
            cancellationToken);
        if (claims.Count == 0)
        {
            return [];
        }

        metrics.MessagesClaimed(claims.Sum(c => c.Messages.Count));
        waiters.Claimed(queue, now.AddSeconds(ttl));
        if (waitFor > TimeSpan.Zero && cancellationToken.IsCancellationRequested)
        {
            // The caller left while the claim was being made: nobody will process these messages.
            foreach (var claim in claims)
            {
                await DeleteAsync(queue, claim.Id, CancellationToken.None);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        var results = new ClaimResult[claims.Count];
        for (var i = 0; i < claims.Count; i++)
        {
            results[i] = new ClaimResult(queue, await DecryptAsync(claims[i], cancellationToken), now);
        }

        return results;
    }

    /// <summary>
    /// SQS's receive: up to <paramref name="count"/> messages, each under a claim of its own, so that
    /// each has its own visibility (its receipt handle names its claim), taken in one step of the store
    /// (<see cref="IClaimController.CreateEachAsync"/>) and waited for as <see cref="CreateAsync"/> does.
    /// Visibility may be 0 to <see cref="LimitsOptions.MaxClaimTtl"/> seconds and there is no grace: a
    /// message keeps its retention, as in SQS. Results in FIFO order.
    /// </summary>
    public async Task<IReadOnlyList<ClaimResult>> ClaimEachAsync(
        QueueRef queue, int visibility, int count, long? wait, CancellationToken cancellationToken)
    {
        CheckVisibility(visibility);
        if (count < 1 || count > _limits.MaxMessagesPerClaimOrPop)
        {
            throw Errors.InvalidApiRequest(
                $"The number of messages must be at least 1 and may not be greater than {_limits.MaxMessagesPerClaimOrPop}.");
        }

        // A claim ending the moment it is made would leave its message free for the receive's next
        // claim, which would take it again: a visibility of 0 holds the message for one second.
        return await ClaimManyAsync(queue, Math.Max(visibility, 1), 0, count, each: true, CheckWait(wait, _limits), cancellationToken);
    }

    /// <summary>
    /// SQS's visibility change of one received message (its own claim): 0 releases it at once, more
    /// renews the claim for that many seconds from now, without grace. 404 when the claim has ended.
    /// </summary>
    public async Task SetVisibilityAsync(QueueRef queue, string claimId, int visibility, CancellationToken cancellationToken)
    {
        CheckVisibility(visibility);
        var now = clock.GetUtcNow();
        // A release of an ended claim would be a no-op, so it is read first to tell the caller.
        var live = visibility == 0
            ? await driver.Claims.GetAsync(queue, claimId, now, cancellationToken) is not null
            : await driver.Claims.UpdateAsync(queue, claimId, visibility, 0, now, cancellationToken);
        if (!live)
        {
            throw Errors.NotFound("The claim does not exist or has expired.");
        }

        if (visibility == 0)
        {
            await DeleteAsync(queue, claimId, cancellationToken);
        }
    }

    private void CheckVisibility(int visibility)
    {
        if (visibility < 0 || visibility > _limits.MaxClaimTtl)
        {
            throw Errors.InvalidApiRequest($"The visibility timeout must be at least 0 and may not be greater than {_limits.MaxClaimTtl} seconds.");
        }
    }

    /// <summary>
    /// A claim's or pop's <c>wait</c> in seconds: 0 (the default) to answer at once, at most
    /// <see cref="LimitsOptions.MaxClaimWaitSeconds"/>.
    /// </summary>
    internal static TimeSpan CheckWait(long? wait, LimitsOptions limits)
    {
        if (wait is not { } seconds)
        {
            return TimeSpan.Zero;
        }

        if (seconds < 0 || seconds > limits.MaxClaimWaitSeconds)
        {
            throw Errors.InvalidApiRequest(
                $"The wait must be at least 0 and may not be greater than {limits.MaxClaimWaitSeconds} seconds.");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Reads a live claim with its messages.</summary>
    public async Task<ClaimResult> GetAsync(QueueRef queue, string claimId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var claim = await driver.Claims.GetAsync(queue, claimId, now, cancellationToken)
            ?? throw Errors.NotFound("The claim does not exist or has expired.");
        return new ClaimResult(queue, await DecryptAsync(claim, cancellationToken), now);
    }

    /// <summary>Renews a live claim.</summary>
    public async Task UpdateAsync(QueueRef queue, string claimId, long ttl, long grace, CancellationToken cancellationToken)
    {
        _updateValidator.Check(new ClaimRequest(ttl, grace, 1));
        if (!await driver.Claims.UpdateAsync(queue, claimId, (int)ttl, (int)grace, clock.GetUtcNow(), cancellationToken))
        {
            throw Errors.NotFound("The claim does not exist or has expired.");
        }
    }

    private async Task<ClaimData> DecryptAsync(ClaimData claim, CancellationToken cancellationToken) =>
        claim with { Messages = await cipher.DecryptAsync(claim.Messages, cancellationToken) };

    /// <summary>Releases a claim; always succeeds for valid input.</summary>
    public async Task DeleteAsync(QueueRef queue, string claimId, CancellationToken cancellationToken)
    {
        await driver.Claims.DeleteAsync(queue, claimId, cancellationToken);
        waiters.Freed(queue);
    }
}
