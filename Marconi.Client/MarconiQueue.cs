using System.Runtime.CompilerServices;
using System.Text.Json;
using Marconi.Client.Transport;

namespace Marconi.Client;

/// <summary>
/// A queue of the client's project: its metadata, statistics, messages and claims; with v2 also its
/// settings, pop, purge, subscriptions and pre-signed grants (those throw <see cref="NotSupportedException"/> on a v1 client).
/// </summary>
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

    /// <summary>
    /// Whether the queue exists. v1 asks <c>HEAD /v1/queues/{name}</c> (<c>queue_exists</c>); v2 has no such
    /// check, so the project's queues are listed, filtered by this name, until it shows up (a few requests at most).
    /// </summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>Whether the queue exists.</returns>
    public async Task<bool> ExistsAsync(CancellationToken ct = default)
    {
        if (_client.Api == MarconiApi.V1)
        {
            return (await _client.SendAsync(Request("queue_exists") with { AnswerStatus = 404 }, ct)).Status != 404;
        }

        // v2's name filter matches substrings: look for the exact name among the matches.
        var listing = new ClientRequest("queue_list", new Dictionary<string, object?> { ["name"] = Name, ["limit"] = 20 });
        await foreach (var item in _client.PagesAsync(listing, "queues", ct))
        {
            if (item.GetProperty("name").GetString() == Name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Deletes the queue with its metadata, messages and claims; nothing happens if it does not exist.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    public Task DeleteAsync(CancellationToken ct = default) => _client.SendAsync(Request("queue_delete"), ct);

    /// <summary>
    /// The queue's metadata document: v1 returns it as stored (<c>{}</c> when never set); v2 adds the
    /// reserved settings that are not stored, with their defaults (see <see cref="GetSettingsAsync"/>).
    /// </summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The document.</returns>
    /// <exception cref="QueueNotFoundException">v1: the queue does not exist (v2 answers the defaults for a missing queue).</exception>
    public async Task<JsonElement> GetMetadataAsync(CancellationToken ct = default) =>
        (await _client.SendAsync(Request("queue_get"), ct)).Body ?? throw MarconiClient.UnexpectedAnswer("queue_get");

    /// <summary>
    /// Replaces the queue's metadata document. v1 puts it whole; v2 has no such call, so the client reads the
    /// metadata and sends one JSON patch that removes every key the new document lacks and adds the others
    /// (atomic on the server; a key added by someone else between the two calls survives).
    /// </summary>
    /// <param name="metadata">A JSON object: a <see cref="JsonElement"/>, or any value serialised with <see cref="JsonSerializer"/>. v1: top-level keys must not start with <c>_</c>; v2: keys of the reserved settings are validated.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="QueueNotFoundException">The queue does not exist.</exception>
    /// <exception cref="MarconiValidationException">The document is not an object, too large, or uses a reserved key wrongly.</exception>
    public async Task SetMetadataAsync(object metadata, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var document = JsonWriting.ToElement(metadata, _client.SerializerOptions);
        if (_client.Api == MarconiApi.V1)
        {
            await _client.SendAsync(Request("queue_set_metadata", ("metadata", document)), ct);
            return;
        }

        if (document.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("Metadata must be a JSON object.", nameof(metadata));
        }

        var current = await GetMetadataAsync(ct);
        var operations = current.EnumerateObject()
            .Where(member => !document.TryGetProperty(member.Name, out _))
            .Select(member => MetadataPatchOperation.Remove(member.Name))
            .Concat(document.EnumerateObject().Select(member => MetadataPatchOperation.Add(member.Name, member.Value)));
        await PatchMetadataAsync(operations, ct);
    }

    /// <summary>
    /// v2: applies a JSON patch to the metadata, atomically (<c>PATCH /v2/queues/{name}</c>, <c>queue_update</c>).
    /// </summary>
    /// <param name="operations">The operations, applied in order; none is a valid no-op.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The resulting metadata, as <see cref="GetMetadataAsync"/> would return it.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="QueueNotFoundException">The queue does not exist.</exception>
    /// <exception cref="MarconiValidationException">A reserved setting would get an invalid value.</exception>
    /// <exception cref="MarconiException">409 <c>Resource conflict</c>: a replace or remove of a key that is not stored.</exception>
    public async Task<JsonElement> PatchMetadataAsync(IEnumerable<MetadataPatchOperation> operations, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        _client.RequireV2("Patching metadata");
        var options = _client.SerializerOptions;
        var patch = JsonWriting.Build(w =>
        {
            w.WriteStartArray();
            foreach (var operation in operations)
            {
                w.WriteStartObject();
                w.WriteString("op", operation.Op);
                w.WriteString("path", "/metadata/" + operation.Key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
                if (operation.Op != "remove")
                {
                    w.WritePropertyName("value");
                    JsonWriting.WriteVerbatim(w, JsonWriting.ToElement(operation.Value, options));
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        return (await _client.SendAsync(Request("queue_update", ("patch", patch)), ct)).Body ?? throw MarconiClient.UnexpectedAnswer("queue_update");
    }

    /// <summary>v2: the queue's reserved settings (TTL and delay defaults, post size, dead-lettering).</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The settings; unset ones are <see langword="null"/> (except those with server defaults, which v2 reports).</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    public async Task<QueueSettings> GetSettingsAsync(CancellationToken ct = default)
    {
        _client.RequireV2("Queue settings");
        return Settings(await GetMetadataAsync(ct));
    }

    /// <summary>
    /// v2: sets the given reserved settings in one JSON patch; <see langword="null"/> members are left as
    /// they are. E.g. dead-lettering: <c>new QueueSettings { MaxClaimCount = 3, DeadLetterQueue = "failed" }</c>.
    /// </summary>
    /// <param name="settings">The settings to set.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>All the settings afterwards.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="QueueNotFoundException">The queue does not exist.</exception>
    /// <exception cref="MarconiValidationException">A value is out of range.</exception>
    public async Task<QueueSettings> UpdateSettingsAsync(QueueSettings settings, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var operations = new List<MetadataPatchOperation>();
        void Set(string key, object? value)
        {
            if (value is not null)
            {
                operations.Add(MetadataPatchOperation.Add(key, value));
            }
        }

        Set("_default_message_ttl", settings.DefaultMessageTtl);
        Set("_default_message_delay", settings.DefaultMessageDelay);
        Set("_max_messages_post_size", settings.MaxMessagesPostSize);
        Set("_max_claim_count", settings.MaxClaimCount);
        Set("_dead_letter_queue", settings.DeadLetterQueue);
        Set("_dead_letter_queue_messages_ttl", settings.DeadLetterQueueMessagesTtl);
        return Settings(await PatchMetadataAsync(operations, ct));
    }

    /// <summary>v2: removes every message, every subscription, or both (<c>POST /v2/queues/{name}/purge</c>); the metadata is kept.</summary>
    /// <param name="targets">What to remove.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="ArgumentException"><paramref name="targets"/> names nothing.</exception>
    public Task PurgeAsync(PurgeTargets targets = PurgeTargets.All, CancellationToken ct = default)
    {
        _client.RequireV2("Purging");
        var types = new List<string>();
        if (targets.HasFlag(PurgeTargets.Messages))
        {
            types.Add("messages");
        }

        if (targets.HasFlag(PurgeTargets.Subscriptions))
        {
            types.Add("subscriptions");
        }

        return types.Count == 0
            ? throw new ArgumentException("Purge at least messages or subscriptions.", nameof(targets))
            : _client.SendAsync(Request("queue_purge", ("resource_types", types)), ct);
    }

    /// <summary>
    /// v2: creates a pre-signed grant on this queue (<c>POST /v2/queues/{name}/share</c>): pass it to another
    /// client through <see cref="MarconiClientOptions.Grant"/>. The queue need not exist.
    /// </summary>
    /// <param name="paths">Sub-resources: <c>messages</c>, <c>subscriptions</c>, <c>claims</c>; <c>messages</c> when <see langword="null"/> or empty.</param>
    /// <param name="methods">HTTP methods allowed, e.g. <c>GET</c>, <c>POST</c>; <c>GET</c> when <see langword="null"/> or empty.</param>
    /// <param name="expires">When the grant ends (in the future); a day from now when <see langword="null"/>.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The grant.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="MarconiValidationException">An unknown path, or an expiry in the past.</exception>
    public async Task<SignedUrlGrant> ShareAsync(IEnumerable<string>? paths = null, IEnumerable<string>? methods = null, DateTimeOffset? expires = null,
        CancellationToken ct = default)
    {
        _client.RequireV2("Sharing");
        var response = await _client.SendAsync(Request("queue_share",
            ("paths", paths?.ToArray()), ("methods", methods?.ToArray()),
            ("expires", expires?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture))), ct);
        var grant = response.Body ?? throw MarconiClient.UnexpectedAnswer("queue_share");
        static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();
        return new SignedUrlGrant(Strings(grant.GetProperty("paths")), Strings(grant.GetProperty("methods")),
            grant.GetProperty("project").GetString()!, grant.GetProperty("expires").GetString()!, grant.GetProperty("signature").GetString()!);
    }

    /// <summary>Message counts and the oldest and newest messages.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The statistics, with the server's JSON in <see cref="QueueStats.Raw"/>.</returns>
    /// <exception cref="QueueNotFoundException">v1: the queue does not exist (v2 answers zeros).</exception>
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
    /// <param name="ttl">Seconds the message lives, 60 to the server's maximum (1209600 by default). Required by v1; with v2, <see langword="null"/> takes the queue's default.</param>
    /// <param name="delay">v2 only: seconds before the message is visible (see <see cref="OutgoingMessage.Delay"/>).</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The new message's id.</returns>
    /// <exception cref="QueueNotFoundException">v1: the queue does not exist (v2 creates it).</exception>
    /// <exception cref="MarconiValidationException">The TTL or delay is out of range or the message too large.</exception>
    /// <exception cref="NotSupportedException">A delay was given to a v1 client.</exception>
    public async Task<string> PostAsync(object body, int? ttl = null, int? delay = null, CancellationToken ct = default) =>
        (await PostAsync([new OutgoingMessage(body, ttl) { Delay = delay }], ct))[0];

    /// <summary>
    /// Posts messages all at once, in order (all are stored or none). Retried only when the
    /// connection was refused, as <see cref="PostAsync(object, int?, int?, CancellationToken)"/>.
    /// </summary>
    /// <param name="messages">One or more messages.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The new messages' ids, in the order given.</returns>
    /// <exception cref="QueueNotFoundException">v1: the queue does not exist (v2 creates it).</exception>
    /// <exception cref="MarconiValidationException">The list is empty, a TTL or delay is out of range or the post too large.</exception>
    /// <exception cref="NotSupportedException">A delay was given to a v1 client.</exception>
    public async Task<IReadOnlyList<string>> PostAsync(IEnumerable<OutgoingMessage> messages, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.ToList();
        if (list.Any(m => m.Delay is not null))
        {
            _client.RequireV2("Posting with a delay");
        }

        var options = _client.SerializerOptions;
        var array = JsonWriting.Build(w =>
        {
            w.WriteStartArray();
            foreach (var message in list)
            {
                w.WriteStartObject();
                if (message.Ttl is { } ttl)
                {
                    w.WriteNumber("ttl", ttl);
                }

                if (message.Delay is { } delay)
                {
                    w.WriteNumber("delay", delay);
                }

                w.WritePropertyName("body");
                JsonWriting.WriteVerbatim(w, JsonWriting.ToElement(message.Body, options));
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
    /// it answers 204 or an empty page). By default this client's own messages and claimed ones are left out.
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
        // v2 answers 404 when none is found; v1 answers 204.
        var request = Request("message_get_many", ("message_ids", ids)) with { AnswerStatus = _client.Api == MarconiApi.V2 ? 404 : null };
        var response = await _client.SendAsync(request, ct);
        return response.Status == 404 || MessagesOf(response.Body) is not { } array
            ? []
            : array.EnumerateArray().Select(m => new MarconiMessage(this, m)).ToList();
    }

    /// <summary>
    /// v2: removes and returns up to <paramref name="count"/> of the oldest claimable messages in one step
    /// (<c>DELETE …/messages?pop=n</c>, <c>message_pop</c>). Like claiming, it is retried only when the request never left.
    /// </summary>
    /// <param name="count">1 to the server's maximum (20 by default).</param>
    /// <param name="wait">A long poll, as for <see cref="ClaimAsync(int?, int, int, int?, CancellationToken)"/>: seconds the server may hold the request until a message is there.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The removed messages in FIFO order; none when the queue is empty or does not exist.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="MarconiValidationException"><paramref name="count"/> or <paramref name="wait"/> is out of range.</exception>
    public async Task<IReadOnlyList<PoppedMessage>> PopAsync(int count = 1, int? wait = null, CancellationToken ct = default)
    {
        _client.RequireV2("Popping");
        var response = await _client.SendAsync(Request("message_pop", ("pop", count), ("wait", wait is > 0 ? wait : null)) with { Idempotent = false }, ct);
        return MessagesOf(response.Body) is { } array
            ? array.EnumerateArray().Select(m => new PoppedMessage(m.GetProperty("id").GetString()!, m.GetProperty("ttl").GetInt32(),
                m.GetProperty("age").GetInt32(), m.GetProperty("body").Clone(), m.GetProperty("claim_count").GetInt32())).ToList()
            : [];
    }

    /// <summary>The earlier signature, without a wait: kept so that code built against it still runs.</summary>
    /// <param name="count">See the other overload.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>See the other overload.</returns>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public Task<IReadOnlyList<PoppedMessage>> PopAsync(int count, CancellationToken ct) => PopAsync(count, null, ct);

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
    /// <param name="wait">
    /// A long poll: seconds the server may hold the request until a message is free (0 to its
    /// <c>Marconi:Limits:MaxClaimWaitSeconds</c>, 20 by default); it answers as soon as one is. <see langword="null"/> or 0 answers at once.
    /// Each attempt's <see cref="MarconiClientOptions.Timeout"/> is lengthened by the wait. Cancelling the call while the server waits
    /// closes the request (HTTP), and the server claims nothing for it.
    /// </param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The claim with its messages, or <see langword="null"/> when no message was free (or the queue does not exist).</returns>
    /// <exception cref="MarconiValidationException">A value is out of range.</exception>
    public async Task<MarconiClaim?> ClaimAsync(int? limit = null, int ttl = 60, int grace = 60, int? wait = null, CancellationToken ct = default)
    {
        var request = Request("claim_create", ("limit", limit), ("ttl", ttl), ("grace", grace), ("wait", wait is > 0 ? wait : null)) with { Idempotent = false };
        var response = await _client.SendAsync(request, ct);
        if (response.Status == 204 || MessagesOf(response.Body) is not { } messages)
        {
            return null;
        }

        var href = response.Location ?? throw MarconiClient.UnexpectedAnswer("claim_create");
        return new MarconiClaim(this, href, ttl, 0, messages.EnumerateArray().Select(m => new MarconiMessage(this, m)).ToList());
    }

    /// <summary>The earlier signature, without a wait: kept so that code built against it still runs.</summary>
    /// <param name="limit">See the other overload.</param>
    /// <param name="ttl">See the other overload.</param>
    /// <param name="grace">See the other overload.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>See the other overload.</returns>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public Task<MarconiClaim?> ClaimAsync(int? limit, int ttl, int grace, CancellationToken ct) => ClaimAsync(limit, ttl, grace, null, ct);

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

    /// <summary>
    /// Consumes the queue until <paramref name="ct"/> is cancelled: claims (long-polling, see <see cref="ConsumeOptions.Wait"/>) and
    /// yields each message, renewing its claim until the loop body settles it with <see cref="ConsumedMessage.CompleteAsync"/>
    /// (deleted) or <see cref="ConsumedMessage.Abandon"/> (given back); one left unsettled when the loop moves on or leaves is
    /// given back. <see cref="ConsumeOptions.MaxConcurrency"/> messages are claimed ahead and held until their turn.
    /// Cancelling ends the enumeration without an exception, once what is held and unsettled is released.
    /// A claim that fails for good (a 400 or 401, a missing v1 queue) ends it with the exception; 5xx, 429 and
    /// unreachable servers are waited out with back-off.
    /// </summary>
    /// <param name="options">How to claim and hold; the defaults when <see langword="null"/>.</param>
    /// <param name="ct">Stops consuming.</param>
    /// <returns>The messages, as they come.</returns>
    /// <example>
    /// <code>
    /// await foreach (var message in queue.ConsumeAsync(new ConsumeOptions { Wait = 20 }, ct))
    /// {
    ///     Console.WriteLine(message.Body);
    ///     await message.CompleteAsync();
    /// }
    /// </code>
    /// </example>
    public async IAsyncEnumerable<ConsumedMessage> ConsumeAsync(ConsumeOptions? options = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        options ??= new ConsumeOptions();
        options.Validate();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ready = System.Threading.Channels.Channel.CreateUnbounded<ConsumedMessage>();
        var consumer = new QueueConsumer(this, options, deleteOnSuccess: false);
        var running = Task.Run(() => consumer.RunAsync(async (message, held) =>
        {
            var consumed = new ConsumedMessage(message, held);
            if (!ready.Writer.TryWrite(consumed))
            {
                throw new ConsumedMessage.AbandonedException(); // the loop has ended: given back
            }

            await consumed.SettleAsync(options.SettleTimeout).ConfigureAwait(false);
        }, stop.Token), CancellationToken.None);
        _ = running.ContinueWith(_ => ready.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        ConsumedMessage? current = null;
        var ended = false;
        try
        {
            while (true)
            {
                try
                {
                    if (!await ready.Reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }

                if (!ready.Reader.TryRead(out current))
                {
                    continue;
                }

                yield return current;
                current.Abandon();
            }

            ended = true;
        }
        finally
        {
            // Give back the unsettled message and every one claimed ahead; none is yielded any more.
            current?.Abandon();
            ready.Writer.TryComplete();
            while (ready.Reader.TryRead(out var left))
            {
                left.Abandon();
            }

            await stop.CancelAsync().ConfigureAwait(false);
            if (!ended)
            {
                try
                {
                    await running.ConfigureAwait(false); // settled before the caller goes on
                }
                catch (Exception)
                {
                    // The caller is leaving (break, or an exception of its own, which is the one to see).
                }
            }
        }

        await running.ConfigureAwait(false); // a claim that failed for good ends the loop with its exception
    }

    /// <summary>
    /// Consumes the queue with a handler until <paramref name="ct"/> is cancelled: claims (long-polling), runs
    /// <paramref name="handler"/> for each message, up to <see cref="ConsumeOptions.MaxConcurrency"/> at once, renews each
    /// claim while its messages are handled, deletes a message when its handler returns, and gives it back (released, or
    /// left to expire, by <see cref="ConsumeOptions.OnFailure"/>) when the handler throws. The handler's token is cancelled
    /// when the consumer stops or the claim is lost. Returns once cancelled and settled (messages whose handlers did not
    /// finish are released), or when the queue is empty with <see cref="ConsumeOptions.StopWhenEmpty"/>.
    /// </summary>
    /// <param name="handler">Handles one message; returning is success, throwing is failure.</param>
    /// <param name="options">How to claim and hold; the defaults when <see langword="null"/>.</param>
    /// <param name="ct">Stops consuming.</param>
    /// <returns>When stopped.</returns>
    /// <exception cref="MarconiException">A claim failed for good (a 400 or 401, a missing v1 queue); 5xx, 429 and unreachable servers are waited out with back-off.</exception>
    public Task ConsumeAsync(Func<MarconiMessage, CancellationToken, Task> handler, ConsumeOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new ConsumeOptions();
        options.Validate();
        return new QueueConsumer(this, options).RunAsync(handler, ct);
    }

    /// <summary>
    /// v2: subscribes <paramref name="subscriber"/> to the queue's messages (the queue is created if need be).
    /// Subscribing the same URI again returns the same id while it is unconfirmed.
    /// </summary>
    /// <param name="subscriber">An <c>http(s)://…</c> webhook or a <c>mailto:…</c> address.</param>
    /// <param name="ttl">Seconds the subscription lives, at least 60; the server's default (3600) when <see langword="null"/>.</param>
    /// <param name="options">An options object (e.g. <c>new { post_headers = new { X_Token = "…" } }</c>), or <see langword="null"/>.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The subscription id.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="MarconiValidationException">The subscriber's scheme, the TTL or the options are invalid.</exception>
    public async Task<string> SubscribeAsync(string subscriber, int? ttl = null, object? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        _client.RequireV2("Subscriptions");
        var response = await _client.SendAsync(Request("subscription_create", ("subscriber", subscriber), ("ttl", ttl),
            ("options", options is null ? null : JsonWriting.ToElement(options, _client.SerializerOptions))) with { Idempotent = false }, ct);
        return (response.Body ?? throw MarconiClient.UnexpectedAnswer("subscription_create")).GetProperty("subscription_id").GetString()!;
    }

    /// <summary>v2: the queue's live subscriptions in creation order, page after page.</summary>
    /// <param name="pageSize">Subscriptions per request (1 to 20); the server's default when <see langword="null"/>.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>The subscriptions, lazily.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    public async IAsyncEnumerable<MarconiSubscription> GetSubscriptionsAsync(int? pageSize = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        _client.RequireV2("Subscriptions");
        await foreach (var item in _client.PagesAsync(Request("subscription_list", ("limit", pageSize)), "subscriptions", ct))
        {
            yield return Subscription(item);
        }
    }

    /// <summary>v2: one subscription.</summary>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The subscription.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="SubscriptionNotFoundException">Unknown or expired.</exception>
    public async Task<MarconiSubscription> GetSubscriptionAsync(string subscriptionId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        _client.RequireV2("Subscriptions");
        var response = await _client.SendAsync(Request("subscription_get", ("subscription_id", subscriptionId)), ct);
        return Subscription(response.Body ?? throw MarconiClient.UnexpectedAnswer("subscription_get"));
    }

    /// <summary>v2: changes a subscription's subscriber, TTL (counted from now) or options (replaced whole); <see langword="null"/> leaves a member as it is.</summary>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="subscriber">The new subscriber URI.</param>
    /// <param name="ttl">The new TTL, at least 60.</param>
    /// <param name="options">The new options object.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="ArgumentException">Nothing to change.</exception>
    /// <exception cref="SubscriptionNotFoundException">Unknown or expired.</exception>
    /// <exception cref="MarconiValidationException">A value is invalid.</exception>
    public Task UpdateSubscriptionAsync(string subscriptionId, string? subscriber = null, int? ttl = null, object? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        _client.RequireV2("Subscriptions");
        if (subscriber is null && ttl is null && options is null)
        {
            throw new ArgumentException("Give a subscriber, a TTL or options to change.", nameof(subscriptionId));
        }

        return _client.SendAsync(Request("subscription_update", ("subscription_id", subscriptionId), ("subscriber", subscriber), ("ttl", ttl),
            ("options", options is null ? null : JsonWriting.ToElement(options, _client.SerializerOptions))), ct);
    }

    /// <summary>v2: confirms (or unconfirms) a subscription, as its subscriber does when the server asks.</summary>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="confirmed">The new state.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="SubscriptionNotFoundException">Unknown or expired.</exception>
    public Task ConfirmSubscriptionAsync(string subscriptionId, bool confirmed = true, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        _client.RequireV2("Subscriptions");
        return _client.SendAsync(Request("subscription_confirm", ("subscription_id", subscriptionId), ("confirmed", confirmed)), ct);
    }

    /// <summary>v2: deletes a subscription; nothing happens if it does not exist.</summary>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    public Task DeleteSubscriptionAsync(string subscriptionId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        _client.RequireV2("Subscriptions");
        return _client.SendAsync(Request("subscription_delete", ("subscription_id", subscriptionId)), ct);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>The messages of a claim or get-many answer: v1's bare array, v2's <c>{"messages": […]}</c>.</summary>
    private static JsonElement? MessagesOf(JsonElement? body) => body switch
    {
        { ValueKind: JsonValueKind.Array } array => array,
        { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Array => m,
        _ => null,
    };

    private static MarconiSubscription Subscription(JsonElement s) => new(
        s.GetProperty("id").GetString()!, s.GetProperty("source").GetString()!, s.GetProperty("subscriber").GetString()!,
        s.GetProperty("ttl").GetInt64(), s.GetProperty("age").GetInt64(), s.GetProperty("options").Clone(), s.GetProperty("confirmed").GetBoolean());

    private static QueueSettings Settings(JsonElement metadata)
    {
        // The server accepts counts beyond int (meaning "never"); they read as int.MaxValue.
        int? Number(string key) =>
            metadata.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)
                ? (int)Math.Clamp(n, int.MinValue, int.MaxValue)
                : null;
        return new QueueSettings
        {
            DefaultMessageTtl = Number("_default_message_ttl"),
            DefaultMessageDelay = Number("_default_message_delay"),
            MaxMessagesPostSize = Number("_max_messages_post_size"),
            MaxClaimCount = Number("_max_claim_count"),
            DeadLetterQueue = metadata.TryGetProperty("_dead_letter_queue", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null,
            DeadLetterQueueMessagesTtl = Number("_dead_letter_queue_messages_ttl"),
        };
    }

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
