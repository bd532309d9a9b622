using System.Text.Json;
using Marconi.Core.Storage;
using Marconi.Core.Validation;
using Microsoft.Extensions.Options;

namespace Marconi.Core.Operations;

/// <summary>The ids of a successful post, in request order.</summary>
public sealed record PostResult(QueueRef Queue, IReadOnlyList<string> MessageIds)
{
    public string Location => $"{Queue.Href}/messages?ids={string.Join(',', MessageIds)}";
}

/// <summary>Messages read at <paramref name="Now"/> (for ages).</summary>
public sealed record MessagesResult(QueueRef Queue, IReadOnlyList<StoredMessage> Messages, DateTimeOffset Now);

/// <summary>A page of messages and the href of the next page.</summary>
public sealed record MessagePageResult(QueueRef Queue, IReadOnlyList<StoredMessage> Messages, string NextHref, DateTimeOffset Now);

/// <summary>Message operations of the v1 API, shared by every transport.</summary>
public sealed class MessageOperations(IDataDriver driver, IOptions<LimitsOptions> limits, TimeProvider clock)
{
    private readonly LimitsOptions _limits = limits.Value;
    private readonly MessageDocumentValidator _validator = new(limits.Value);

    /// <summary>Posts a batch of messages (contract 3.10): all or nothing, durable on return.</summary>
    public async Task<PostResult> PostAsync(
        RequestContext context, string? name, IRequestBody body, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        var clientId = context.RequireClientId();
        using var document = await JsonBody.ReadAsync(
            body, _limits.MaxMessagesPostSize,
            $"Message collection size is too large. Max size {_limits.MaxMessagesPostSize}.", cancellationToken);

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw Errors.InvalidBody("Expected a JSON array of messages.");
        }

        var parsed = new List<MessageDocument>(root.GetArrayLength());
        foreach (var element in root.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw Errors.InvalidBody("Each message must be a JSON object.");
            }

            var ttl = JsonBody.Integer(element, "ttl", required: true)!.Value;
            if (!JsonBody.TryGetMember(element, "body", out var messageBody))
            {
                throw Errors.InvalidBody("field \"body\" is required.");
            }

            parsed.Add(new MessageDocument(ttl, messageBody.GetRawText()));
        }

        if (parsed.Count == 0)
        {
            throw Errors.InvalidApiRequest("No messages were found in the request body.");
        }

        var messages = new List<NewMessage>(parsed.Count);
        foreach (var message in parsed)
        {
            _validator.Check(message);
            messages.Add(new NewMessage((int)message.Ttl, message.Body));
        }

        var ids = await driver.Messages.PostAsync(queue, messages, clientId, clock.GetUtcNow(), cancellationToken)
            ?? throw Errors.NotFound("Messages could not be posted because the queue does not exist.");
        return new PostResult(queue, ids);
    }

    /// <summary>Lists messages (contract 3.11); parameters are raw text.</summary>
    public async Task<MessagePageResult> ListAsync(
        RequestContext context, string? name, string? marker, string? limit, string? echo, string? includeClaimed,
        CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        var clientId = context.RequireClientId();
        var limitValue = QueryParameters.Integer("limit", limit);
        var echoValue = QueryParameters.Boolean("echo", echo);
        var includeClaimedValue = QueryParameters.Boolean("include_claimed", includeClaimed);
        var pageSize = QueryParameters.Limit(limitValue, _limits.DefaultMessagesPerPage, _limits.MaxMessagesPerPage);
        var markerValue = string.IsNullOrEmpty(marker) ? null : marker;

        var now = clock.GetUtcNow();
        var query = new MessageListQuery(markerValue, pageSize, echoValue ?? false, includeClaimedValue ?? false, clientId);
        var messages = await driver.Messages.ListAsync(queue, query, now, cancellationToken);

        var next = $"{queue.Href}/messages?marker={Uri.EscapeDataString(messages.Count > 0 ? messages[^1].Marker : markerValue ?? "")}";
        if (limitValue is { } l)
        {
            next += $"&limit={l}";
        }

        if (echoValue is { } e)
        {
            next += e ? "&echo=true" : "&echo=false";
        }

        if (includeClaimedValue is { } c)
        {
            next += c ? "&include_claimed=true" : "&include_claimed=false";
        }

        return new MessagePageResult(queue, messages, next, now);
    }

    /// <summary>Gets a set of messages by id (contract 3.12).</summary>
    public async Task<MessagesResult> GetManyAsync(
        RequestContext context, string? name, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        CheckIdCount(ids);
        var now = clock.GetUtcNow();
        return new MessagesResult(queue, await driver.Messages.GetManyAsync(queue, ids, now, cancellationToken), now);
    }

    /// <summary>Gets one message (contract 3.13).</summary>
    public async Task<MessagesResult> GetAsync(
        RequestContext context, string? name, string messageId, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        var now = clock.GetUtcNow();
        var message = await driver.Messages.GetAsync(queue, messageId, now, cancellationToken)
            ?? throw Errors.NotFound("The message does not exist.");
        return new MessagesResult(queue, [message], now);
    }

    /// <summary>Deletes one message, honouring claims (contract 3.14).</summary>
    public async Task DeleteAsync(
        RequestContext context, string? name, string messageId, string? claimId, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
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

    /// <summary>Deletes a set of messages regardless of claims (contract 3.15); null ids means absent.</summary>
    public async Task DeleteManyAsync(
        RequestContext context, string? name, IReadOnlyList<string>? ids, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        if (ids is null)
        {
            throw Errors.MissingParameter("ids");
        }

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
