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

/// <summary>What listing messages asks for; null values take the defaults.</summary>
public sealed record MessageListRequest(string? Marker, long? Limit, bool Echo, bool IncludeClaimed);

/// <summary>Message operations, shared by every API version and transport.</summary>
public sealed class MessageOperations(IDataDriver driver, IOptions<LimitsOptions> limits, TimeProvider clock)
{
    private readonly LimitsOptions _limits = limits.Value;
    private readonly MessageDocumentValidator _validator = new(limits.Value);

    /// <summary>Posts a batch of messages: all or nothing, durable on return.</summary>
    public async Task<PostResult> PostAsync(
        QueueRef queue, Guid clientId, IReadOnlyList<MessageDocument> documents, CancellationToken cancellationToken)
    {
        if (documents.Count == 0)
        {
            throw Errors.InvalidApiRequest("No messages were found in the request body.");
        }

        var messages = new List<NewMessage>(documents.Count);
        foreach (var message in documents)
        {
            _validator.Check(message);
            messages.Add(new NewMessage((int)message.Ttl, message.Body));
        }

        var ids = await driver.Messages.PostAsync(queue, messages, clientId, clock.GetUtcNow(), cancellationToken)
            ?? throw Errors.NotFound("Messages could not be posted because the queue does not exist.");
        return new PostResult(queue, ids);
    }

    /// <summary>Lists messages in FIFO order after the marker.</summary>
    public async Task<MessagePageResult> ListAsync(
        QueueRef queue, Guid clientId, MessageListRequest request, CancellationToken cancellationToken)
    {
        var pageSize = PageLimit.Resolve(request.Limit, _limits.DefaultMessagesPerPage, _limits.MaxMessagesPerPage);
        var marker = string.IsNullOrEmpty(request.Marker) ? null : request.Marker;
        var now = clock.GetUtcNow();
        var query = new MessageListQuery(marker, pageSize, request.Echo, request.IncludeClaimed, clientId);
        var messages = await driver.Messages.ListAsync(queue, query, now, cancellationToken);
        return new MessagePageResult(queue, messages, messages.Count > 0 ? messages[^1].Marker : marker ?? "", now);
    }

    /// <summary>Gets a set of messages by id.</summary>
    public async Task<MessagesResult> GetManyAsync(
        QueueRef queue, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        CheckIdCount(ids);
        var now = clock.GetUtcNow();
        return new MessagesResult(queue, await driver.Messages.GetManyAsync(queue, ids, now, cancellationToken), now);
    }

    /// <summary>Gets one message.</summary>
    public async Task<MessagesResult> GetAsync(QueueRef queue, string messageId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var message = await driver.Messages.GetAsync(queue, messageId, now, cancellationToken)
            ?? throw Errors.NotFound("The message does not exist.");
        return new MessagesResult(queue, [message], now);
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
        }
    }

    /// <summary>Deletes a set of messages regardless of claims.</summary>
    public async Task DeleteManyAsync(QueueRef queue, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        CheckIdCount(ids);
        await driver.Messages.DeleteManyAsync(queue, ids, cancellationToken);
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
