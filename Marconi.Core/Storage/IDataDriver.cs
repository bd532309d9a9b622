namespace Marconi.Core.Storage;

/// <summary>
/// A storage driver: one controller per resource, as the original Marconi drivers were split.
/// Every method is told the time (<c>now</c>) by the caller, so expiry is decided by the core's
/// clock. When several hosts share the store, the driver supplies that clock, the database's, which
/// all hosts read (<see cref="StoreClock"/>), so no host sees another's live claim as expired early.
/// Every method raises <see cref="MarconiException"/> of kind
/// <see cref="MarconiErrorKind.ServiceUnavailable"/> when the storage itself fails.
/// </summary>
public interface IDataDriver
{
    IQueueController Queues { get; }

    IMessageController Messages { get; }

    IClaimController Claims { get; }

    ISubscriptionController Subscriptions { get; }

    IKeyController Keys { get; }

    /// <summary>A liveness probe: true when storage answers.</summary>
    Task<bool> IsAliveAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Removes expired messages, claims and subscriptions (and what deleted queues left), in chunks
    /// as the driver likes; returns how many rows went. Every host calls it on its own schedule: a
    /// driver shared by several hosts may let one of them do the work and the others return 0.
    /// Nothing a client sees depends on it, as every read already leaves out what has expired.
    /// </summary>
    Task<long> CollectGarbageAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// The persisted server setting <paramref name="name"/>: stores <paramref name="valueIfAbsent"/>
    /// durably when there is none yet, and returns the stored value. Concurrent first calls agree on
    /// one value, and it survives restarts (a generated signing key, for instance).
    /// </summary>
    Task<string> GetOrAddSettingAsync(string name, string valueIfAbsent, CancellationToken cancellationToken);
}

public interface IQueueController
{
    /// <summary>
    /// Creates the queue with <paramref name="metadata"/> (a JSON object's text, <c>{}</c> when null);
    /// returns false, changing nothing, if it already existed.
    /// </summary>
    Task<bool> CreateAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken, string? metadata = null);

    Task<bool> ExistsAsync(QueueRef queue, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the queue, its metadata, messages and claims: gone for every reader at once, while
    /// the rows themselves may be removed later, in chunks, so a big queue never holds up other
    /// writes. A queue created again under the name starts empty. A missing queue is a no-op.
    /// </summary>
    Task DeleteAsync(QueueRef queue, CancellationToken cancellationToken);

    /// <summary>Queues of a project whose names sort ordinally after <paramref name="marker"/>, in that order.</summary>
    Task<IReadOnlyList<QueueListItem>> ListAsync(
        string project, string? marker, int limit, bool detailed, CancellationToken cancellationToken);

    /// <summary>
    /// Projects that have at least one queue, whose names sort ordinally after <paramref name="marker"/>
    /// (null: from the start), in that order, each with its number of queues. The default namespace
    /// (the empty name: queues made without a project) sorts before every marker, so it is never listed.
    /// </summary>
    Task<IReadOnlyList<ProjectListItem>> ListProjectsAsync(string? marker, int limit, CancellationToken cancellationToken);

    /// <summary>The metadata JSON text, or null when the queue does not exist.</summary>
    Task<string?> GetMetadataAsync(QueueRef queue, CancellationToken cancellationToken);

    /// <summary>Replaces the metadata; returns false when the queue does not exist.</summary>
    Task<bool> SetMetadataAsync(QueueRef queue, string metadata, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the metadata only while it is still <paramref name="expected"/> (as text), so a
    /// read-modify-write never loses a concurrent change.
    /// </summary>
    Task<MetadataReplaceOutcome> ReplaceMetadataAsync(
        QueueRef queue, string expected, string updated, CancellationToken cancellationToken);

    /// <summary>The number of queues of a project.</summary>
    Task<long> CountAsync(string project, CancellationToken cancellationToken);

    /// <summary>
    /// Counts of unexpired messages, or null when the queue does not exist. With
    /// <paramref name="countDelayed"/> also <see cref="QueueStats.Delayed"/>, from the same snapshot;
    /// without it the read costs what it always did.
    /// </summary>
    Task<QueueStats?> GetStatsAsync(
        QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken, bool countDelayed = false);

    /// <summary>
    /// Up to <paramref name="count"/> queues of every project that hold messages, the deepest first
    /// (by rows stored, expired ones the collector has not reached included), with their unexpired
    /// free and claimed messages; for metrics, whose cardinality it bounds.
    /// </summary>
    Task<IReadOnlyList<QueueDepth>> ListDeepestAsync(int count, DateTimeOffset now, CancellationToken cancellationToken);
}

public interface IMessageController
{
    /// <summary>
    /// Stores all messages atomically and durably, in order, and returns their ids in the same
    /// order; null when the queue does not exist (nothing is stored). With
    /// <paramref name="createQueue"/> a missing queue is created (metadata <c>{}</c>) in the same
    /// atomic step, so a post that fails creates nothing. A message that
    /// <see cref="NewMessage.DeduplicationId"/> marks a duplicate (of an earlier post, or of an earlier
    /// message of the same post) is not stored, and its id in the answer is the first message's.
    /// </summary>
    Task<IReadOnlyList<string>?> PostAsync(
        QueueRef queue, IReadOnlyList<NewMessage> messages, Guid clientId, DateTimeOffset now,
        CancellationToken cancellationToken, bool createQueue = false);

    /// <summary>
    /// A page of unexpired messages after the marker that pass the filters, in FIFO order. Messages
    /// whose delay has not elapsed are left out unless the query includes them.
    /// </summary>
    Task<IReadOnlyList<StoredMessage>> ListAsync(
        QueueRef queue, MessageListQuery query, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The message if it exists in the queue and is unexpired, claimed, delayed or not.</summary>
    Task<StoredMessage?> GetAsync(QueueRef queue, string messageId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The listed messages that exist and are unexpired (claimed, delayed or not), each once, in FIFO order.</summary>
    Task<IReadOnlyList<StoredMessage>> GetManyAsync(
        QueueRef queue, IReadOnlyList<string> messageIds, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes one message, honouring claims as contract 3.14 lays out.</summary>
    Task<MessageDeleteOutcome> DeleteAsync(
        QueueRef queue, string messageId, string? claimId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes each listed message with the claim named beside it, as <see cref="DeleteAsync"/> would
    /// one after the other (SQS's batch delete, each entry its own outcome); the outcomes in the order
    /// asked. A driver that can, does them all in one transaction.
    /// </summary>
    async Task<IReadOnlyList<MessageDeleteOutcome>> DeleteEachAsync(
        QueueRef queue, IReadOnlyList<(string MessageId, string ClaimId)> deletes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outcomes = new List<MessageDeleteOutcome>(deletes.Count);
        foreach (var (messageId, claimId) in deletes)
        {
            outcomes.Add(await DeleteAsync(queue, messageId, claimId, now, cancellationToken));
        }

        return outcomes;
    }

    /// <summary>Deletes every listed message of the queue regardless of claims.</summary>
    Task DeleteManyAsync(QueueRef queue, IReadOnlyList<string> messageIds, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically removes and returns up to <paramref name="limit"/> of the oldest claimable messages
    /// (free, unexpired, visible) in FIFO order; empty when there are none or the queue is missing.
    /// </summary>
    Task<IReadOnlyList<StoredMessage>> PopAsync(
        QueueRef queue, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// When a message of the queue is claimable: <paramref name="now"/> when one is (free, visible,
    /// unexpired), else the earliest time an unexpired message becomes claimable (its delay ends, its
    /// claim expires), else null (also for a missing queue). A read, for long-polling claims, so an
    /// idle waiter costs no write; a time too early is harmless (a waiter looks again).
    /// </summary>
    Task<DateTimeOffset?> NextClaimableAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes every message of the queue (free, claimed, delayed) and ends its claims; the queue and
    /// its metadata stay. As with deleting a queue, the messages are gone for every reader at once and
    /// their rows may be removed later, in chunks. A missing queue is a no-op.
    /// </summary>
    Task PurgeAsync(QueueRef queue, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically (one transaction) moves up to <paramref name="limit"/> of the oldest free messages
    /// of <paramref name="from"/> (unexpired, unclaimed or their claim expired) to the tail of queue
    /// <paramref name="toQueueName"/> of the same project, in FIFO order, after whatever the target
    /// already holds (a redrive of a dead-letter queue). Messages whose delay has not elapsed are
    /// moved too, delay and all: they are the queue's as much as the visible ones, and a redrive
    /// that left them behind would strand them in the dead-letter queue. A moved message keeps body,
    /// client id, creation time, TTL, expiry, delay and encryption; its claim count starts again at
    /// 0 (else the target's next claim would dead-letter it again). It gets a new marker in the
    /// target, and so a new id, since an id is its marker. Messages a live claim holds stay where
    /// they are; a claim racing the move either takes a message in <paramref name="from"/> (then
    /// it is not moved) or does not see it at all. Returns how many moved: 0 when
    /// <paramref name="from"/> is missing, empty or the target itself; null when the target queue
    /// does not exist (nothing moved).
    /// </summary>
    Task<int?> MoveAsync(
        QueueRef from, string toQueueName, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Counts of unexpired messages over every project.</summary>
    Task<MessageVolume> GetMessageVolumeAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

public interface IClaimController
{
    /// <summary>
    /// Atomically takes up to <paramref name="limit"/> free, visible messages in FIFO order under a new
    /// claim expiring at <c>now + ttl</c>, extending messages that would expire before it to
    /// <c>now + ttl + grace</c>, and counts the claim on each. With <paramref name="deadLetter"/>,
    /// a selected message already claimed <see cref="DeadLetterPolicy.MaxClaimCount"/> times moves to
    /// the tail of the dead-letter queue (created if missing) instead, in the same transaction, and
    /// selection goes on until <paramref name="limit"/> messages are claimed or none is left.
    /// A message with a <see cref="NewMessage.Group"/> is claimable only while no unexpired message of
    /// its group is under a live claim (pops and <see cref="IMessageController.NextClaimableAsync"/>
    /// follow the same rule); one claim may take several messages of a group, in order.
    /// Moved messages keep their group and deduplication id.
    /// Null when the queue is missing or nothing was claimed (moves still happen); no claim is made.
    /// </summary>
    Task<ClaimData?> CreateAsync(
        QueueRef queue, int ttl, int grace, int limit, DateTimeOffset now, CancellationToken cancellationToken,
        DeadLetterPolicy? deadLetter = null);

    /// <summary>
    /// As <see cref="CreateAsync"/> with a limit of 1, up to <paramref name="count"/> times: each of
    /// the oldest claimable messages under a claim of its own (SQS's receive, whose messages each have
    /// their own visibility), in FIFO order; empty when none was claimed. The messages are chosen as
    /// one claim of <paramref name="count"/> would choose them, so several messages of one group may be
    /// taken together. A driver that can, takes them all in one transaction; the default makes one
    /// claim after the other (and so takes at most one message of a group).
    /// </summary>
    async Task<IReadOnlyList<ClaimData>> CreateEachAsync(
        QueueRef queue, int ttl, int grace, int count, DateTimeOffset now, CancellationToken cancellationToken,
        DeadLetterPolicy? deadLetter = null)
    {
        var claims = new List<ClaimData>(count);
        while (claims.Count < count && await CreateAsync(queue, ttl, grace, 1, now, cancellationToken, deadLetter) is { } claim)
        {
            claims.Add(claim);
        }

        return claims;
    }

    /// <summary>The live claim with at least one live message, or null.</summary>
    Task<ClaimData?> GetAsync(QueueRef queue, string claimId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Renews a live, non-empty claim; false when there is no such claim.</summary>
    Task<bool> UpdateAsync(
        QueueRef queue, string claimId, int ttl, int grace, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Releases the claim: its messages are free at once. Unknown claims are a no-op.</summary>
    Task DeleteAsync(QueueRef queue, string claimId, CancellationToken cancellationToken);
}

/// <summary>
/// Subscriptions of a queue (v2 §10), keyed by project and queue name rather than by the queue
/// itself, so they outlive a queue's deletion. An expired subscription (<c>expires ≤ now</c>) behaves
/// as deleted everywhere.
/// </summary>
public interface ISubscriptionController
{
    /// <summary>
    /// Creates the subscription (unconfirmed, expiring at <c>now + ttl</c>) unless a live one of the
    /// same subscriber exists for the queue; then returns that one unchanged. The queue need not
    /// exist. The caller keeps <c>now + ttl</c> within <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    Task<SubscriptionCreated> CreateAsync(
        QueueRef queue, string subscriber, long ttl, string options, DateTimeOffset now,
        CancellationToken cancellationToken);

    /// <summary>The live subscription of the queue with that id, or null.</summary>
    Task<Subscription?> GetAsync(
        QueueRef queue, string subscriptionId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// A page of the queue's live subscriptions created after the one named by
    /// <paramref name="marker"/> (a subscription id; it need not exist any more), in creation order.
    /// </summary>
    Task<IReadOnlyList<Subscription>> ListAsync(
        QueueRef queue, string? marker, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Every live subscription of the queue in creation order, for delivering a post.</summary>
    Task<IReadOnlyList<Subscription>> ListLiveAsync(
        QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Replaces the given members of a live subscription; <c>confirmed</c> is kept.</summary>
    Task<SubscriptionUpdateOutcome> UpdateAsync(
        QueueRef queue, string subscriptionId, SubscriptionUpdate update, DateTimeOffset now,
        CancellationToken cancellationToken);

    /// <summary>Sets <c>confirmed</c> on a live subscription; false when there is none.</summary>
    Task<bool> ConfirmAsync(
        QueueRef queue, string subscriptionId, bool confirmed, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes the subscription; unknown ids are a no-op.</summary>
    Task DeleteAsync(QueueRef queue, string subscriptionId, CancellationToken cancellationToken);

    /// <summary>Deletes every subscription of the queue (purge).</summary>
    Task DeleteAllAsync(QueueRef queue, CancellationToken cancellationToken);
}

/// <summary>
/// API keys, kept in the store so that every host sharing it sees the same keys. Only a hash of
/// each secret is stored. Revoked keys stay, for the audit trail.
/// </summary>
public interface IKeyController
{
    /// <summary>Stores a new key; its id is new.</summary>
    Task CreateAsync(Keys.StoredKey key, CancellationToken cancellationToken);

    /// <summary>The key with that id and its secret's hash, revoked or not; null when unknown.</summary>
    Task<Keys.StoredKey?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every key (of one project when <paramref name="project"/> is given; admin keys have none), oldest first.</summary>
    Task<IReadOnlyList<Keys.ApiKey>> ListAsync(string? project, CancellationToken cancellationToken);

    /// <summary>Marks the key revoked at <paramref name="now"/> (a revoked key keeps its first time); false when unknown.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Replaces the secret's hash of a key that is not revoked; false when there is no such key.</summary>
    Task<bool> ReplaceSecretAsync(string id, byte[] secretHash, CancellationToken cancellationToken);

    /// <summary>Records when keys were last used; unknown ids are ignored, and a time never moves back.</summary>
    Task TouchAsync(IReadOnlyList<(string Id, DateTimeOffset LastUsed)> uses, CancellationToken cancellationToken);
}
