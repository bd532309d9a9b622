using Marconi.Core.Storage;
using Marconi.Core.Validation;
using Microsoft.Extensions.Options;

namespace Marconi.Core.Operations;

/// <summary>The ids of a successful post, in request order.</summary>
public sealed record PostResult(QueueRef Queue, IReadOnlyList<string> MessageIds);

/// <summary>Messages read at <paramref name="Now"/> (for ages).</summary>
public sealed record MessagesResult(QueueRef Queue, IReadOnlyList<StoredMessage> Messages, DateTimeOffset Now);

/// <summary>
/// A page of messages and the marker of the next page: the last message's marker, or the marker
/// the page was asked for when it is empty.
/// </summary>
public sealed record MessagePageResult(QueueRef Queue, IReadOnlyList<StoredMessage> Messages, string NextMarker, DateTimeOffset Now);

/// <summary>
/// What a redrive did: <paramref name="Moved"/> messages went back to the queue, and
/// <paramref name="Remaining"/> free ones were left in its dead-letter queue when it was done.
/// </summary>
public sealed record RedriveResult(QueueRef Queue, int Moved, long Remaining);

/// <summary>What listing messages asks for; null values take the defaults.</summary>
public sealed record MessageListRequest(string? Marker, long? Limit, bool Echo, bool IncludeClaimed, bool IncludeDelayed = false);

/// <summary>Message operations, shared by every API version and transport.</summary>
public sealed class MessageOperations(
    IDataDriver driver, QueueOperations queues, MessageCipher cipher, IEnumerable<IPostObserver> observers, ClaimWaiters waiters,
    IOptions<LimitsOptions> limits, TimeProvider clock, MarconiMetrics metrics)
{
    private readonly IPostObserver[] _observers = observers.ToArray();
    private readonly LimitsOptions _limits = limits.Value;
    private readonly MessageDocumentValidator _validator = new(limits.Value);

    /// <summary>
    /// Posts a batch of messages: all or nothing, durable on return. Bodies are encrypted at rest
    /// when the queue's settings ask for it (read here after validation when the caller has not read
    /// them). With <paramref name="createQueue"/> a missing queue is created in the same atomic step
    /// (v1.1/v2); without it, it is 404 (v1).
    /// </summary>
    public async Task<PostResult> PostAsync(
        QueueRef queue, Guid clientId, IReadOnlyList<MessageDocument> documents, QueueSettings? settings, bool createQueue,
        CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            throw Errors.InvalidApiRequest("No messages were found in the request body.");
        }

        var messages = new List<NewMessage>(documents.Count);
        foreach (var message in documents)
        {
            _validator.Check(message);
        }

        settings ??= await queues.GetSettingsAsync(queue, cancellationToken);
        foreach (var message in documents)
        {
            var stored = settings.EncryptMessages
                ? new NewMessage((int)message.Ttl, await cipher.EncryptAsync(message.Body, cancellationToken), (int)message.Delay, Encrypted: true)
                : new NewMessage((int)message.Ttl, message.Body, (int)message.Delay);
            messages.Add(message.Group is null && message.DeduplicationId is null
                ? stored
                : stored with { Group = message.Group, DeduplicationId = message.DeduplicationId, DeduplicateByGroup = message.DeduplicateByGroup });
        }

        var ids = await driver.Messages.PostAsync(queue, messages, clientId, clock.GetUtcNow(), cancellationToken, createQueue)
            ?? throw Errors.NotFound("Messages could not be posted because the queue does not exist.");
        metrics.MessagesPosted(ids.Count);
        if (waiters.Count > 0)
        {
            WakeWaiters(queue, documents);
        }

        if (_observers.Length > 0)
        {
            var posted = new PostedMessage[ids.Count];
            for (var i = 0; i < ids.Count; i++)
            {
                posted[i] = new PostedMessage(ids[i], (int)documents[i].Ttl, documents[i].Body, (int)documents[i].Delay);
            }

            foreach (var observer in _observers)
            {
                observer.Posted(queue, posted);
            }
        }

        return new PostResult(queue, ids);
    }

    private void WakeWaiters(QueueRef queue, IReadOnlyList<MessageDocument> documents)
    {
        var visible = 0;
        long? firstDelay = null;
        foreach (var message in documents)
        {
            if (message.Delay <= 0)
            {
                visible++;
            }
            else if (firstDelay is null || message.Delay < firstDelay)
            {
                firstDelay = message.Delay;
            }
        }

        waiters.Posted(queue, visible, firstDelay is { } delay ? TimeSpan.FromSeconds(delay) : null);
    }

    /// <summary>Lists messages in FIFO order after the marker.</summary>
    public async Task<MessagePageResult> ListAsync(
        QueueRef queue, Guid clientId, MessageListRequest request, CancellationToken cancellationToken)
    {
        var pageSize = PageLimit.Resolve(request.Limit, _limits.DefaultMessagesPerPage, _limits.MaxMessagesPerPage);
        var marker = string.IsNullOrEmpty(request.Marker) ? null : request.Marker;
        var now = clock.GetUtcNow();
        var query = new MessageListQuery(marker, pageSize, request.Echo, request.IncludeClaimed, clientId)
        {
            IncludeDelayed = request.IncludeDelayed,
        };
        var messages = await cipher.DecryptAsync(await driver.Messages.ListAsync(queue, query, now, cancellationToken), cancellationToken);
        return new MessagePageResult(queue, messages, messages.Count > 0 ? messages[^1].Marker : marker ?? "", now);
    }

    /// <summary>Gets a set of messages by id.</summary>
    public async Task<MessagesResult> GetManyAsync(
        QueueRef queue, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        CheckIdCount(ids);
        var now = clock.GetUtcNow();
        var messages = await driver.Messages.GetManyAsync(queue, ids, now, cancellationToken);
        return new MessagesResult(queue, await cipher.DecryptAsync(messages, cancellationToken), now);
    }

    /// <summary>Gets one message.</summary>
    public async Task<MessagesResult> GetAsync(QueueRef queue, string messageId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var message = await driver.Messages.GetAsync(queue, messageId, now, cancellationToken)
            ?? throw Errors.NotFound("The message does not exist.");
        return new MessagesResult(queue, [await cipher.DecryptAsync(message, cancellationToken)], now);
    }

    /// <summary>Deletes one message, honouring claims (v1 contract 3.14).</summary>
    public async Task DeleteAsync(QueueRef queue, string messageId, string? claimId, CancellationToken cancellationToken)
    {
        var outcome = await driver.Messages.DeleteAsync(
            queue, messageId, string.IsNullOrEmpty(claimId) ? null : claimId, clock.GetUtcNow(), cancellationToken);
        switch (outcome)
        {
            case MessageDeleteOutcome.HeldByClaim:
                throw Errors.HeldByClaim();
            case MessageDeleteOutcome.NotHeldByClaim:
                throw Errors.NotHeldByClaim();
            case MessageDeleteOutcome.NoSuchLiveClaim:
                throw Errors.NoSuchLiveClaim();
            case MessageDeleteOutcome.Done:
                // The store does not tell a delete from a message already gone: both count.
                metrics.MessagesDeleted(1);
                break;
        }
    }

    /// <summary>
    /// Deletes each message with its claim (SQS's batch delete): true for each deleted (or already
    /// gone), false where the claim no longer holds the message.
    /// </summary>
    public async Task<IReadOnlyList<bool>> DeleteEachAsync(
        QueueRef queue, IReadOnlyList<(string MessageId, string ClaimId)> deletes, CancellationToken cancellationToken)
    {
        var outcomes = await driver.Messages.DeleteEachAsync(queue, deletes, clock.GetUtcNow(), cancellationToken);
        var done = outcomes.Select(o => o == MessageDeleteOutcome.Done).ToList();
        metrics.MessagesDeleted(done.Count(d => d));
        return done;
    }

    /// <summary>Deletes a set of messages regardless of claims.</summary>
    public Task DeleteManyAsync(QueueRef queue, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        DeleteManyAsync(queue, ids, claimIds: null, cancellationToken);

    /// <summary>
    /// Deletes a set of messages regardless of claims; with <paramref name="claimIds"/> (v2 7.6,
    /// <c>MessageDeleteWithClaimId</c>) each named claim must hold one of the messages, else nothing is deleted.
    /// </summary>
    public async Task DeleteManyAsync(
        QueueRef queue, IReadOnlyList<string> ids, IReadOnlyList<string>? claimIds, CancellationToken cancellationToken)
    {
        CheckIdCount(ids);
        if (claimIds is not null)
        {
            if (claimIds.Count == 0)
            {
                throw Errors.InvalidApiRequest("\"claim_ids\" must name the claims that hold the messages.");
            }

            var held = await driver.Messages.GetManyAsync(queue, ids, clock.GetUtcNow(), cancellationToken);
            if (claimIds.FirstOrDefault(c => !held.Any(m => m.ClaimId == c)) is { } stray)
            {
                throw Errors.UnableToDelete($"The claim {stray} holds none of the messages.");
            }
        }

        await driver.Messages.DeleteManyAsync(queue, ids, cancellationToken);
        // The store does not say how many of the ids it found: the ids named count.
        metrics.MessagesDeleted(ids.Count);
    }

    /// <summary>
    /// Removes and returns up to <paramref name="count"/> of the oldest claimable messages (free,
    /// unexpired, delay elapsed), whoever posted them (v2 7.6); with <paramref name="wait"/> seconds,
    /// waits for one as a claim does.
    /// </summary>
    public async Task<MessagesResult> PopAsync(QueueRef queue, long count, CancellationToken cancellationToken, long? wait = null)
    {
        if (count < 1 || count > _limits.MaxMessagesPerClaimOrPop)
        {
            throw Errors.InvalidApiRequest(
                $"The number of messages to pop must be at least 1 and may not be greater than {_limits.MaxMessagesPerClaimOrPop}.");
        }

        var waitFor = ClaimOperations.CheckWait(wait, _limits);
        var (popped, now) = await waiters.WaitAsync(
            queue, (int)count, waitFor,
            async t =>
            {
                var now = clock.GetUtcNow();
                return (await driver.Messages.PopAsync(queue, (int)count, now, t), now);
            },
            static attempt => attempt.Item1.Count,
            ([], clock.GetUtcNow()),
            cancellationToken);
        metrics.MessagesDeleted(popped.Count);
        return new MessagesResult(queue, await cipher.DecryptAsync(popped, cancellationToken), now);
    }

    /// <summary>Most messages one redrive moves, and how many it moves when the request names no limit.</summary>
    public const int MaxMessagesPerRedrive = 1000;

    /// <summary>
    /// Moves up to <paramref name="limit"/> (<see cref="MaxMessagesPerRedrive"/> when null) of the oldest
    /// free messages of the queue's dead-letter queue (<c>_dead_letter_queue</c>) back to the queue's
    /// tail, in order, with their claim counts starting again (<see cref="IMessageController.MoveAsync"/>).
    /// Every free message of the dead-letter queue goes, whichever queue dead-lettered it. 404 for a
    /// missing queue; 409 when its metadata names no dead-letter queue. A missing dead-letter queue
    /// has nothing to move, and neither has the queue itself (metadata may not name it; the store
    /// would move nothing).
    /// </summary>
    public async Task<RedriveResult> RedriveAsync(QueueRef queue, long? limit, CancellationToken cancellationToken)
    {
        var count = PageLimit.Resolve(limit, MaxMessagesPerRedrive, MaxMessagesPerRedrive);
        // The stored metadata, not the settings cache: a redrive follows the dead-letter queue named now.
        var metadata = await driver.Queues.GetMetadataAsync(queue, cancellationToken)
            ?? throw Errors.NotFound("The queue does not exist.");
        var deadLetterQueue = ReservedMetadata.Read(metadata).DeadLetterQueue;
        if (string.IsNullOrEmpty(deadLetterQueue))
        {
            throw Errors.Conflict($"The queue has no dead-letter queue ({ReservedMetadata.DeadLetterQueue} is not set): there is nothing to redrive.");
        }

        var source = queue with { Name = deadLetterQueue };
        var now = clock.GetUtcNow();
        var moved = await driver.Messages.MoveAsync(source, queue.Name, count, now, cancellationToken)
            ?? throw Errors.NotFound("The queue does not exist.");
        if (moved > 0)
        {
            // Messages came back to the queue, where someone may be waiting.
            waiters.Freed(queue);
        }

        var left = await driver.Queues.GetStatsAsync(source, now, cancellationToken);
        return new RedriveResult(queue, moved, left is null ? 0 : left.Total - left.Claimed);
    }

    private void CheckIdCount(IReadOnlyList<string> ids)
    {
        if (ids.Count < 1 || ids.Count > _limits.MaxMessagesPerPage)
        {
            throw Errors.InvalidApiRequest(
                $"The number of message ids must be at least 1 and may not be greater than {_limits.MaxMessagesPerPage}.");
        }
    }
}
