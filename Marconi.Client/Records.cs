using System.Text.Json;

namespace Marconi.Client;

/// <summary>A message to post.</summary>
/// <param name="Body">Any JSON value: a <see cref="JsonElement"/> as it is, or any value serialised with <see cref="JsonSerializer"/> (<see langword="null"/> posts JSON <c>null</c>).</param>
/// <param name="Ttl">Seconds the message lives, 60 to the server's maximum (1209600 by default). Required by v1; with v2, <see langword="null"/> takes the queue's default TTL.</param>
public sealed record OutgoingMessage(object? Body, int? Ttl = null)
{
    /// <summary>
    /// v2 only: seconds before the message can be listed, claimed or popped (0 to 900). The server
    /// honours it only on a queue with a non-zero default delay (<see cref="QueueSettings.DefaultMessageDelay"/>); <see langword="null"/> takes that default.
    /// </summary>
    public int? Delay { get; init; }
}

/// <summary>A message removed and returned by <see cref="MarconiQueue.PopAsync(int, int?, CancellationToken)"/> (v2).</summary>
/// <param name="Id">The message id.</param>
/// <param name="Ttl">Seconds the message would have lived.</param>
/// <param name="Age">Seconds since it was posted.</param>
/// <param name="Body">The body, the JSON value that was posted.</param>
/// <param name="ClaimCount">How many times it had been claimed.</param>
public sealed record PoppedMessage(string Id, int Ttl, int Age, JsonElement Body, int ClaimCount);

/// <summary>What <see cref="MarconiQueue.PurgeAsync"/> removes (v2).</summary>
[Flags]
public enum PurgeTargets
{
    /// <summary>Every message, free, claimed or delayed (their claims end).</summary>
    Messages = 1,

    /// <summary>Every subscription of the queue.</summary>
    Subscriptions = 2,

    /// <summary>Messages and subscriptions; the metadata is kept.</summary>
    All = Messages | Subscriptions,
}

/// <summary>
/// The reserved metadata that controls a queue (v2): read with <see cref="MarconiQueue.GetSettingsAsync"/>,
/// changed with <see cref="MarconiQueue.UpdateSettingsAsync"/>. <see langword="null"/> means "not set" (reading) or "leave as it is" (updating).
/// </summary>
public sealed record QueueSettings
{
    /// <summary><c>_default_message_ttl</c>: TTL of messages posted without one, 60 to 1209600.</summary>
    public int? DefaultMessageTtl { get; init; }

    /// <summary><c>_default_message_delay</c>: delay of messages posted without one, 0 to 900; non-zero makes a delayed queue.</summary>
    public int? DefaultMessageDelay { get; init; }

    /// <summary><c>_max_messages_post_size</c>: the queue's limit on a post's bytes.</summary>
    public int? MaxMessagesPostSize { get; init; }

    /// <summary><c>_max_claim_count</c>: claims a message survives before the next one moves it to <see cref="DeadLetterQueue"/>.</summary>
    public int? MaxClaimCount { get; init; }

    /// <summary><c>_dead_letter_queue</c>: where messages go once claimed <see cref="MaxClaimCount"/> times (both must be set).</summary>
    public string? DeadLetterQueue { get; init; }

    /// <summary><c>_dead_letter_queue_messages_ttl</c>: the TTL a dead-lettered message gets (60 to 1209600); unset keeps its TTL.</summary>
    public int? DeadLetterQueueMessagesTtl { get; init; }
}

/// <summary>One operation of a JSON patch on a queue's metadata (v2, <see cref="MarconiQueue.PatchMetadataAsync"/>).</summary>
public sealed class MetadataPatchOperation
{
    private MetadataPatchOperation(string op, string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Op = op;
        Key = key;
        Value = value;
    }

    /// <summary><c>add</c>, <c>replace</c> or <c>remove</c>.</summary>
    public string Op { get; }

    /// <summary>The top-level metadata key.</summary>
    public string Key { get; }

    /// <summary>The new value (<c>add</c>, <c>replace</c>): a <see cref="JsonElement"/> or any value serialised with <see cref="JsonSerializer"/>.</summary>
    public object? Value { get; }

    /// <summary>Sets the key, creating or overwriting it.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">Its value (<see langword="null"/> stores JSON <c>null</c>).</param>
    /// <returns>The operation.</returns>
    public static MetadataPatchOperation Add(string key, object? value) => new("add", key, value);

    /// <summary>Sets a key that is stored or reserved; the server answers 409 otherwise.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">Its value.</param>
    /// <returns>The operation.</returns>
    public static MetadataPatchOperation Replace(string key, object? value) => new("replace", key, value);

    /// <summary>Removes a stored key (a reserved key that is not stored is a no-op; any other missing key is a 409).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The operation.</returns>
    public static MetadataPatchOperation Remove(string key) => new("remove", key, null);
}

/// <summary>A queue subscription (v2): messages posted to <see cref="Source"/> are pushed to <see cref="Subscriber"/>.</summary>
/// <param name="Id">The subscription id.</param>
/// <param name="Source">The queue name.</param>
/// <param name="Subscriber">The URI notified: <c>http(s)://…</c> or <c>mailto:…</c>.</param>
/// <param name="Ttl">Seconds the subscription lives from its creation (or last TTL change).</param>
/// <param name="Age">Seconds since it was created.</param>
/// <param name="Options">Its options object (e.g. <c>post_headers</c>, <c>post_data</c>, <c>_retry_policy</c>); <c>{}</c> when none.</param>
/// <param name="Confirmed">Whether the subscriber confirmed it.</param>
public sealed record MarconiSubscription(string Id, string Source, string Subscriber, long Ttl, long Age, JsonElement Options, bool Confirmed);

/// <summary>
/// A pre-signed grant (v2, <see cref="MarconiQueue.ShareAsync"/>): whoever holds it may use <see cref="Methods"/>
/// on <see cref="Paths"/> (and below them) in <see cref="Project"/> until <see cref="Expires"/>. Use it through
/// <see cref="MarconiClientOptions.Grant"/>; it is plain data, so it can be serialised and handed over.
/// </summary>
/// <param name="Paths">Full paths, <c>/v2/queues/{name}/messages</c> etc., sorted.</param>
/// <param name="Methods">HTTP methods, sorted.</param>
/// <param name="Project">The project the grant works in.</param>
/// <param name="Expires">The expiry, UTC, as the server wrote it (<c>yyyy-MM-ddTHH:mm:ss</c>); sent back verbatim.</param>
/// <param name="Signature">The HMAC-SHA256 signature, lowercase hex.</param>
public sealed record SignedUrlGrant(IReadOnlyList<string> Paths, IReadOnlyList<string> Methods, string Project, string Expires, string Signature);

/// <summary>A queue's statistics.</summary>
/// <param name="Claimed">Unexpired messages held by live claims.</param>
/// <param name="Free">Unexpired messages not claimed.</param>
/// <param name="Total">Unexpired messages.</param>
/// <param name="Oldest">The first message in FIFO order; <see langword="null"/> when the queue is empty.</param>
/// <param name="Newest">The last message in FIFO order; <see langword="null"/> when the queue is empty.</param>
/// <param name="Raw">The server's statistics JSON as received.</param>
public sealed record QueueStats(long Claimed, long Free, long Total, MessageStamp? Oldest, MessageStamp? Newest, JsonElement Raw);

/// <summary>A message named in statistics.</summary>
/// <param name="Href">The message href.</param>
/// <param name="Age">Seconds since it was posted.</param>
/// <param name="Created">When it was posted (UTC, whole seconds).</param>
public sealed record MessageStamp(string Href, int Age, DateTimeOffset Created);

/// <summary>What an API key may do within its scope (v2 key management).</summary>
public enum MarconiKeyRole
{
    /// <summary><c>full</c>: everything in its scope.</summary>
    Full,

    /// <summary><c>produce</c>: create queues and post messages (and read queues).</summary>
    Produce,

    /// <summary><c>consume</c>: read, claim, delete and release messages (and read queues).</summary>
    Consume,
}

/// <summary>
/// An API key as the server describes it (v2, <see cref="MarconiClient.GetKeyAsync"/>); never its secret.
/// A key with no <see cref="Project"/> has the admin scope: every project, and key management.
/// </summary>
/// <param name="Id">The key id: 16 hex digits, also the second part of its token.</param>
/// <param name="Name">What the key is for, as given at creation.</param>
/// <param name="Project">The one project the key works in; <see langword="null"/> for an admin key.</param>
/// <param name="Role">What it may do there.</param>
/// <param name="Created">When it was made (UTC, whole seconds).</param>
/// <param name="Expires">When it stops working; <see langword="null"/> for never.</param>
/// <param name="LastUsed">When it was last used, to the server's <c>LastUsedResolutionSeconds</c>; <see langword="null"/> if never.</param>
/// <param name="Revoked">When it was revoked; <see langword="null"/> while it is not.</param>
public sealed record MarconiApiKey(
    string Id, string Name, string? Project, MarconiKeyRole Role, DateTimeOffset Created, DateTimeOffset? Expires,
    DateTimeOffset? LastUsed, DateTimeOffset? Revoked)
{
    /// <summary>True for an admin key (no project).</summary>
    public bool IsAdmin => Project is null;
}

/// <summary>A key with its secret token, as <see cref="MarconiClient.CreateKeyAsync"/> and <see cref="MarconiClient.RotateKeyAsync"/> return it: the only time the secret is shown.</summary>
/// <param name="Key">The key.</param>
/// <param name="Secret">The token to send (<see cref="MarconiClientOptions.AuthToken"/>): <c>mk_{id}_{43 characters}</c>.</param>
public sealed record IssuedApiKey(MarconiApiKey Key, string Secret);
