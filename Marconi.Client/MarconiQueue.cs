using System.Runtime.CompilerServices;
using System.Text.Json;
using Marconi.Client.Transport;

namespace Marconi.Client;

/// <summary>A queue of the client's project: its metadata, statistics, messages and claims.</summary>
public sealed class MarconiQueue
{
    private readonly MarconiClient _client;

    internal MarconiQueue(MarconiClient client, string name, JsonElement? metadata)
    {
        _client = client;
        Name = name;
        Metadata = metadata;
    }

    /// <summary>The queue name.</summary>
    public string Name { get; }

    /// <summary>The queue's metadata when this handle came from a detailed listing; otherwise <see langword="null"/>.</summary>
    public JsonElement? Metadata { get; }

    internal MarconiClient Client => _client;

    /// <summary>Whether the queue exists (<c>HEAD /v1/queues/{name}</c>, <c>queue_exists</c>).</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns><see langword="true"/> on 204, <see langword="false"/> on 404.</returns>
    public async Task<bool> ExistsAsync(CancellationToken ct = default) =>
        (await _client.SendAsync(Request("queue_exists") with { AnswerStatus = 404 }, ct)).Status != 404;

    /// <summary>Deletes the queue with its metadata, messages and claims; nothing happens if it does not exist.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    public Task DeleteAsync(CancellationToken ct = default) => _client.SendAsync(Request("queue_delete"), ct);

    /// <summary>The queue's metadata document (<c>{}</c> when never set).</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The document as stored.</returns>
    /// <exception cref="QueueNotFoundException">The queue does not exist.</exception>
    public async Task<JsonElement> GetMetadataAsync(CancellationToken ct = default) =>
        (await _client.SendAsync(Request("queue_get"), ct)).Body ?? throw MarconiClient.UnexpectedAnswer("queue_get");

    /// <summary>Replaces the queue's metadata document.</summary>
    /// <param name="metadata">A JSON object: a <see cref="JsonElement"/>, or any value serialised with <see cref="JsonSerializer"/>. Top-level keys must not start with <c>_</c>.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="QueueNotFoundException">The queue does not exist.</exception>
    /// <exception cref="MarconiValidationException">The document is not an object, too large, or uses a reserved key.</exception>
    public Task SetMetadataAsync(object metadata, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return _client.SendAsync(Request("queue_set_metadata", ("metadata", JsonWriting.ToElement(metadata, _client.SerializerOptions))), ct);
    }

    /// <summary>Message counts and the oldest and newest messages.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The statistics, with the server's JSON in <see cref="QueueStats.Raw"/>.</returns>
    /// <exception cref="QueueNotFoundException">The queue does not exist.</exception>
    public async Task<QueueStats> GetStatsAsync(CancellationToken ct = default)
    {
        var raw = (await _client.SendAsync(Request("queue_get_stats"), ct)).Body ?? throw MarconiClient.UnexpectedAnswer("queue_get_stats");
        var messages = raw.GetProperty("messages");
        return new QueueStats(
            messages.GetProperty("claimed").GetInt64(),
            messages.GetProperty("free").GetInt64(),
            messages.GetProperty("total").GetInt64(),
            Stamp(messages, "oldest"),
            Stamp(messages, "newest"),
            raw);
    }

    /// <summary>
    /// Posts one message. Posting is not idempotent, so it is retried only when the connection was
    /// refused (the request never left); after a timeout or a dropped connection it may have been
    /// stored, and the call fails with <see cref="MarconiConnectionException"/> instead of risking a duplicate.
    /// </summary>
    /// <param name="body">Any JSON value: a <see cref="JsonElement"/>, or any value serialised with <see cref="JsonSerializer"/>.</param>
    /// <param name="ttl">Seconds the message lives, 60 to the server's maximum (1209600 by default).</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The new message's id.</returns>
    /// <exception cref="QueueNotFoundException">The queue does not exist.</exception>
    /// <exception cref="MarconiValidationException">The TTL is out of range or the message too large.</exception>
    public async Task<string> PostAsync(object body, int ttl, CancellationToken ct = default) =>
        (await PostAsync([new OutgoingMessage(body, ttl)], ct))[0];

    /// <summary>
    /// Posts messages all at once, in order (all are stored or none). Retried only when the
    /// connection was refused, as <see cref="PostAsync(object, int, CancellationToken)"/>.
    /// </summary>
    /// <param name="messages">One or more messages.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The new messages' ids, in the order given.</returns>
    /// <exception cref="QueueNotFoundException">The queue does not exist.</exception>
    /// <exception cref="MarconiValidationException">The list is empty, a TTL is out of range or the post too large.</exception>
    public async Task<IReadOnlyList<string>> PostAsync(IEnumerable<OutgoingMessage> messages, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var options = _client.SerializerOptions;
        var array = JsonWriting.Build(w =>
        {
            w.WriteStartArray();
            foreach (var message in messages)
            {
                w.WriteStartObject();
                w.WriteNumber("ttl", message.Ttl);
                w.WritePropertyName("body");
                JsonWriting.ToElement(message.Body, options).WriteTo(w);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        var response = await _client.SendAsync(Request("message_post", ("messages", array)) with { Idempotent = false }, ct);
        var body = response.Body ?? throw MarconiClient.UnexpectedAnswer("message_post");
        return body.GetProperty("resources").EnumerateArray().Select(r => MarconiMessage.IdOf(r.GetString()!)).ToList();
    }

    /// <summary>
    /// The queue's messages in FIFO order, page after page (the server's next link is followed until
    /// it answers 204). By default this client's own messages and claimed ones are left out.
    /// </summary>
    /// <param name="echo">Include messages this client posted.</param>
    /// <param name="includeClaimed">Include messages held by live claims.</param>
    /// <param name="pageSize">Messages per request (1 to the server's maximum, 20 by default); the server's default when <see langword="null"/>.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>The messages, lazily; none when the queue does not exist.</returns>
    public async IAsyncEnumerable<MarconiMessage> GetMessagesAsync(bool echo = false, bool includeClaimed = false, int? pageSize = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var request = Request("message_list", ("limit", pageSize), ("echo", echo ? true : null), ("include_claimed", includeClaimed ? true : null));
        await foreach (var item in _client.PagesAsync(request, "messages", ct))
        {
            yield return new MarconiMessage(this, item);
        }
    }

    /// <summary>One message, claimed or not.</summary>
    /// <param name="messageId">The message id.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The message (its <see cref="MarconiMessage.ClaimId"/> is <see langword="null"/>).</returns>
    /// <exception cref="MessageNotFoundException">No such message: unknown, expired or deleted (or the queue does not exist).</exception>
    public async Task<MarconiMessage> GetMessageAsync(string messageId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        var response = await _client.SendAsync(Request("message_get", ("message_id", messageId)), ct);
        return new MarconiMessage(this, response.Body ?? throw MarconiClient.UnexpectedAnswer("message_get"));
    }

    /// <summary>The listed messages that exist, claimed or not, in FIFO order; unknown ids are skipped.</summary>
    /// <param name="messageIds">1 to the server's maximum (20 by default) ids.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The messages found (possibly none).</returns>
    /// <exception cref="ArgumentException">No id was given.</exception>
    /// <exception cref="MarconiValidationException">Too many ids.</exception>
    public async Task<IReadOnlyList<MarconiMessage>> GetMessagesAsync(IEnumerable<string> messageIds, CancellationToken ct = default)
    {
        var ids = Ids(messageIds);
        var response = await _client.SendAsync(Request("message_get_many", ("message_ids", ids)), ct);
        return response.Body is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Select(m => new MarconiMessage(this, m)).ToList()
            : [];
    }

    /// <summary>Deletes a message; nothing happens if it does not exist.</summary>
    /// <param name="messageId">The message id.</param>
    /// <param name="claimId">The id of the claim holding the message, if a live claim holds it.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="MessageClaimedException">A live claim holds the message and <paramref name="claimId"/> does not name it (403).</exception>
    /// <exception cref="MarconiValidationException"><paramref name="claimId"/> was given but no live claim holds the message, or names no live claim (400 <c>Unable to delete</c>).</exception>
    public Task DeleteMessageAsync(string messageId, string? claimId = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        return _client.SendAsync(Request("message_delete", ("message_id", messageId), ("claim_id", string.IsNullOrEmpty(claimId) ? null : claimId)), ct);
    }

    /// <summary>Deletes the listed messages whether claimed or not; unknown ids are ignored.</summary>
    /// <param name="messageIds">1 to the server's maximum (20 by default) ids.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="ArgumentException">No id was given.</exception>
    /// <exception cref="MarconiValidationException">Too many ids.</exception>
    public Task DeleteMessagesAsync(IEnumerable<string> messageIds, CancellationToken ct = default) =>
        _client.SendAsync(Request("message_delete_many", ("message_ids", Ids(messageIds))), ct);

    /// <summary>
    /// Claims up to <paramref name="limit"/> free messages, oldest first. Claiming is not idempotent,
    /// so it is retried only when the connection was refused (the request never left); after a
    /// timeout or a dropped connection the call fails with <see cref="MarconiConnectionException"/>
    /// (a claim made then simply expires after <paramref name="ttl"/>).
    /// </summary>
    /// <param name="limit">Most messages to claim (1 to the server's maximum, 20 by default); the server's default (10) when <see langword="null"/>.</param>
    /// <param name="ttl">Seconds the claim lasts, 60 to 43200.</param>
    /// <param name="grace">Seconds claimed messages outlive the claim if they would expire before it, 60 to 43200.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The claim with its messages, or <see langword="null"/> when no message was free (or the queue does not exist).</returns>
    /// <exception cref="MarconiValidationException">A value is out of range.</exception>
    public async Task<MarconiClaim?> ClaimAsync(int? limit = null, int ttl = 60, int grace = 60, CancellationToken ct = default)
    {
        var request = Request("claim_create", ("limit", limit), ("ttl", ttl), ("grace", grace)) with { Idempotent = false };
        var response = await _client.SendAsync(request, ct);
        if (response.Status == 204 || response.Body is not { ValueKind: JsonValueKind.Array } messages)
        {
            return null;
        }

        var href = response.Location ?? throw MarconiClient.UnexpectedAnswer("claim_create");
        return new MarconiClaim(this, href, ttl, 0, messages.EnumerateArray().Select(m => new MarconiMessage(this, m)).ToList());
    }

    /// <summary>A live claim with its remaining messages.</summary>
    /// <param name="claimId">The claim id.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The claim.</returns>
    /// <exception cref="ClaimNotFoundException">The claim is unknown, expired, released or holds no message any more.</exception>
    public async Task<MarconiClaim> GetClaimAsync(string claimId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(claimId);
        var response = await _client.SendAsync(Request("claim_get", ("claim_id", claimId)), ct);
        var claim = response.Body ?? throw MarconiClient.UnexpectedAnswer("claim_get");
        return new MarconiClaim(this, claim.GetProperty("href").GetString()!, claim.GetProperty("ttl").GetInt32(), claim.GetProperty("age").GetInt32(),
            claim.GetProperty("messages").EnumerateArray().Select(m => new MarconiMessage(this, m)).ToList());
    }

    /// <summary>Renews a claim by id: it lasts <paramref name="ttl"/> seconds from now.</summary>
    /// <param name="claimId">The claim id.</param>
    /// <param name="ttl">Seconds, 60 to 43200.</param>
    /// <param name="grace">Seconds claimed messages outlive the claim if they would expire before it, 0 to 43200.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="ClaimNotFoundException">The claim is unknown, expired, released or holds no message any more.</exception>
    /// <exception cref="MarconiValidationException">A value is out of range.</exception>
    public Task UpdateClaimAsync(string claimId, int ttl, int grace = 0, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(claimId);
        return _client.SendAsync(Request("claim_update", ("claim_id", claimId), ("ttl", ttl), ("grace", grace)), ct);
    }

    /// <summary>Releases a claim by id: its remaining messages are free at once. Nothing happens if it is already over.</summary>
    /// <param name="claimId">The claim id.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    public Task ReleaseClaimAsync(string claimId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(claimId);
        return _client.SendAsync(Request("claim_delete", ("claim_id", claimId)), ct);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>A request on this queue: its name plus the given parameters (null values are left out).</summary>
    internal ClientRequest Request(string action, params (string Name, object? Value)[] parameters)
    {
        var all = new Dictionary<string, object?>(StringComparer.Ordinal) { ["queue_name"] = Name };
        foreach (var (name, value) in parameters)
        {
            if (value is not null)
            {
                all[name] = value;
            }
        }

        return new ClientRequest(action, all);
    }

    private static string[] Ids(IEnumerable<string> messageIds)
    {
        ArgumentNullException.ThrowIfNull(messageIds);
        var ids = messageIds.ToArray();
        return ids.Length > 0 ? ids : throw new ArgumentException("At least one message id is required.", nameof(messageIds));
    }

    private static MessageStamp? Stamp(JsonElement messages, string name) =>
        messages.TryGetProperty(name, out var stamp)
            ? new MessageStamp(stamp.GetProperty("href").GetString()!, stamp.GetProperty("age").GetInt32(),
                DateTimeOffset.Parse(stamp.GetProperty("created").GetString()!, System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal))
            : null;
}
