namespace Marconi.Core.Storage;

/// <summary>A message to store: its TTL in seconds and its body as raw JSON text in UTF-8, as posted.</summary>
/// <param name="Delay">Seconds after creation before the message is visible (listed, claimed, popped).</param>
/// <param name="Encrypted">The body is ciphertext the core made; storage only carries the flag.</param>
public sealed record NewMessage(int Ttl, byte[] Body, int Delay = 0, bool Encrypted = false)
{
    /// <summary>How long a deduplication id holds after its message was stored (SQS FIFO's five minutes).</summary>
    public static readonly TimeSpan DeduplicationWindow = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The message group (SQS FIFO's MessageGroupId), or null. A message with a group is claimable only
    /// while no other unexpired message of its group in the queue is under a live claim, so a group's
    /// messages are worked one claim at a time, in order.
    /// </summary>
    public string? Group { get; init; }

    /// <summary>
    /// The deduplication id (SQS FIFO's MessageDeduplicationId), or null. A message whose id a message
    /// of the same queue posted within <see cref="DeduplicationWindow"/> already had (in the same group
    /// when <see cref="DeduplicateByGroup"/>) is not stored: the post answers the earlier message's id.
    /// </summary>
    public string? DeduplicationId { get; init; }

    /// <summary>Deduplication ids count per message group rather than per queue (SQS's DeduplicationScope messageGroup).</summary>
    public bool DeduplicateByGroup { get; init; }

    /// <summary>Where <see cref="DeduplicationId"/> counts, as drivers key it: the group, or <c>""</c> for the queue.</summary>
    public string DeduplicationScope => DeduplicateByGroup ? Group ?? "" : "";

    /// <summary>Whether any message has a group or a deduplication id: such posts take the drivers' slower path.</summary>
    public static bool AnyGroupedOrDeduplicated(IReadOnlyList<NewMessage> messages)
    {
        foreach (var message in messages)
        {
            if (message.Group is not null || message.DeduplicationId is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A body given as text (health checks, tests, benchmarks); null stays null.</summary>
    public NewMessage(int ttl, string body, int delay = 0, bool encrypted = false)
        : this(ttl, body is null ? null! : System.Text.Encoding.UTF8.GetBytes(body), delay, encrypted)
    {
    }
}

/// <summary>A stored, unexpired message as storage returns it.</summary>
/// <param name="Id">Opaque message id issued by storage.</param>
/// <param name="Marker">Opaque, per-queue monotonic position in FIFO order.</param>
/// <param name="Ttl">Current TTL in seconds (post value, or the last claim extension).</param>
/// <param name="Created">Creation time.</param>
/// <param name="Body">The body as the raw JSON text that was posted.</param>
/// <param name="ClaimCount">How many claims have taken the message.</param>
/// <param name="ClaimId">The live claim holding the message, or null when it is free.</param>
/// <param name="Encrypted">The body was stored encrypted (<see cref="NewMessage.Encrypted"/>).</param>
public sealed record StoredMessage(
    string Id, string Marker, int Ttl, DateTimeOffset Created, string Body,
    int ClaimCount = 0, string? ClaimId = null, bool Encrypted = false)
{
    /// <summary>The message group it was posted with (<see cref="NewMessage.Group"/>), or null.</summary>
    public string? Group { get; init; }

    /// <summary>The deduplication id it was posted with (<see cref="NewMessage.DeduplicationId"/>), or null.</summary>
    public string? DeduplicationId { get; init; }
}

/// <summary>An element of a queue listing. <paramref name="Metadata"/> is set only for detailed listings.</summary>
public sealed record QueueListItem(string Name, string? Metadata);

/// <summary>An element of the project listing: a project that has queues, and how many.</summary>
public sealed record ProjectListItem(string Name, long Queues);

/// <summary>What listing messages asks storage for.</summary>
/// <param name="Marker">Start strictly after this marker; null for the head of the queue.</param>
/// <param name="Limit">Page size, already validated.</param>
/// <param name="ClientId">The caller; with <paramref name="Echo"/> false their own messages are skipped.</param>
/// <param name="IncludeDelayed">Also list messages whose delay has not elapsed yet.</param>
public sealed record MessageListQuery(
    string? Marker, int Limit, bool Echo, bool IncludeClaimed, Guid ClientId, bool IncludeDelayed = false);

/// <summary>The first or last unexpired message of a queue, for stats.</summary>
public sealed record MessageStamp(string Id, DateTimeOffset Created);

/// <summary>Unexpired message counts of a queue.</summary>
/// <param name="Delayed">
/// Free messages whose delay has not elapsed (they are in <paramref name="Total"/> too); null unless
/// the read asked for it.
/// </param>
public sealed record QueueStats(long Claimed, long Total, MessageStamp? Oldest, MessageStamp? Newest, long? Delayed = null);

/// <summary>A queue's unexpired messages, free and held by a live claim.</summary>
public sealed record QueueDepth(QueueRef Queue, long Free, long Claimed);

/// <summary>Unexpired message counts over every project, for the health report.</summary>
/// <param name="Claimed">Messages held by a live claim.</param>
public sealed record MessageVolume(long Free, long Claimed, long Total);

/// <summary>A claim as storage returns it: its live messages in FIFO order.</summary>
/// <param name="Id">Opaque claim id issued by storage.</param>
/// <param name="Ttl">The claim TTL as last set, in seconds.</param>
/// <param name="Updated">Creation time, or the time of the last renewal.</param>
public sealed record ClaimData(string Id, int Ttl, DateTimeOffset Updated, IReadOnlyList<StoredMessage> Messages);

/// <summary>
/// What a claim does with messages claimed too often: a selected message whose claim count has
/// reached <paramref name="MaxClaimCount"/> moves to <paramref name="DeadLetterQueue"/> (same project)
/// instead of being claimed.
/// </summary>
/// <param name="DeadLetterTtl">When set, a moved message's TTL becomes this and it expires this many
/// seconds after the move; otherwise its TTL and expiry are kept.</param>
public sealed record DeadLetterPolicy(int MaxClaimCount, string DeadLetterQueue, int? DeadLetterTtl = null);

/// <summary>What deleting one message did, following the rows of contract 3.14.</summary>
public enum MessageDeleteOutcome
{
    /// <summary>Deleted, or nothing to delete (rows 1, 2, 5).</summary>
    Done,
    /// <summary>A live claim holds the message and the caller did not name it (rows 3, 7).</summary>
    HeldByClaim,
    /// <summary>A claim id was given but no live claim holds the message (row 4).</summary>
    NotHeldByClaim,
    /// <summary>A claim id was given that names no live claim of the queue (row 6).</summary>
    NoSuchLiveClaim,
}

/// <summary>A live subscription of a queue (v2 §10).</summary>
/// <param name="Id">Opaque id issued by storage: 1–64 characters of <c>[A-Za-z0-9_-]</c>.</param>
/// <param name="Queue">The queue name (the subscription outlives the queue itself).</param>
/// <param name="Ttl">Seconds, as last set.</param>
/// <param name="Expires">When the subscription disappears: the time its TTL was last set plus the TTL.</param>
/// <param name="Options">The options object as raw JSON text.</param>
public sealed record Subscription(
    string Id, string Queue, string Subscriber, long Ttl, DateTimeOffset Created, DateTimeOffset Expires,
    string Options, bool Confirmed);

/// <summary>What creating a subscription found: a new one, or the live one of the same subscriber.</summary>
/// <param name="Created">True when this call made it; false when it already existed (unchanged).</param>
public sealed record SubscriptionCreated(string Id, bool Created, bool Confirmed);

/// <summary>The members a subscription update replaces; null members are kept.</summary>
/// <param name="Ttl">A new TTL also restarts the expiry: now + ttl.</param>
/// <param name="Options">Replaces the options whole (raw JSON text).</param>
public sealed record SubscriptionUpdate(string? Subscriber = null, long? Ttl = null, string? Options = null);

/// <summary>What updating a subscription did.</summary>
public enum SubscriptionUpdateOutcome
{
    Updated,
    /// <summary>No live subscription of the queue has that id.</summary>
    NotFound,
    /// <summary>Another live subscription of the queue already uses the new subscriber; nothing changed.</summary>
    SubscriberConflict,
}

/// <summary>What a conditional metadata replacement did.</summary>
public enum MetadataReplaceOutcome
{
    Replaced,
    /// <summary>The metadata was no longer the expected value; nothing changed.</summary>
    Changed,
    QueueMissing,
}
