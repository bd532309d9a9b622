namespace Marconi.Core.Storage;

/// <summary>A message to store: its TTL in seconds and its body as raw JSON text.</summary>
public sealed record NewMessage(int Ttl, string Body);

/// <summary>A stored, unexpired message as storage returns it.</summary>
/// <param name="Id">Opaque message id issued by storage.</param>
/// <param name="Marker">Opaque, per-queue monotonic position in FIFO order.</param>
/// <param name="Ttl">Current TTL in seconds (post value, or the last claim extension).</param>
/// <param name="Created">Creation time.</param>
/// <param name="Body">The body as the raw JSON text that was posted.</param>
public sealed record StoredMessage(string Id, string Marker, int Ttl, DateTimeOffset Created, string Body);

/// <summary>An element of a queue listing. <paramref name="Metadata"/> is set only for detailed listings.</summary>
public sealed record QueueListItem(string Name, string? Metadata);

/// <summary>What listing messages asks storage for.</summary>
/// <param name="Marker">Start strictly after this marker; null for the head of the queue.</param>
/// <param name="Limit">Page size, already validated.</param>
/// <param name="ClientId">The caller; with <paramref name="Echo"/> false their own messages are skipped.</param>
public sealed record MessageListQuery(string? Marker, int Limit, bool Echo, bool IncludeClaimed, Guid ClientId);

/// <summary>The first or last unexpired message of a queue, for stats.</summary>
public sealed record MessageStamp(string Id, DateTimeOffset Created);

/// <summary>Unexpired message counts of a queue.</summary>
public sealed record QueueStats(long Claimed, long Total, MessageStamp? Oldest, MessageStamp? Newest);

/// <summary>A claim as storage returns it: its live messages in FIFO order.</summary>
/// <param name="Id">Opaque claim id issued by storage.</param>
/// <param name="Ttl">The claim TTL as last set, in seconds.</param>
/// <param name="Updated">Creation time, or the time of the last renewal.</param>
public sealed record ClaimData(string Id, int Ttl, DateTimeOffset Updated, IReadOnlyList<StoredMessage> Messages);

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
