using Microsoft.Data.Sqlite;

namespace Marconi.Storage.Sqlite;

/// <summary>
/// The oldest claimable messages of a queue that holds messages with a group (SQS FIFO queues),
/// chosen in code rather than by <see cref="Sql.Claimable"/>: that query judges every message of a
/// held group it steps over, so a claim behind a held group with a deep backlog cost the whole
/// backlog, inside the writer. Here the held groups are read once (from the live claims, so their
/// cost is what is in flight), the queue is walked in marker order while that finds messages, and
/// when the walk wades through the messages of held groups it turns to the groups themselves, one
/// index seek each. A group is blocked by any of its messages that is claimed or still delayed, so a
/// group's messages are only ever taken in order, from its head.
/// </summary>
internal static class GroupedClaimable
{
    private const int Batch = 128;

    /// <summary>Most groups the fallback visits; past them a claim takes what it found (the next one goes on).</summary>
    private const int MaxGroupsVisited = 10_000;

    /// <summary>Whether the queue has a message with a group, expired or not: then claims choose here.</summary>
    public static bool HasGroups(SqliteConnection c, SqliteTransaction? t, long queueId) =>
        c.Scalar<long?>(
            "SELECT 1 FROM messages INDEXED BY messages_group_order WHERE queue_id = @queueId AND group_id IS NOT NULL LIMIT 1",
            new { queueId }, t) is not null;

    /// <summary>
    /// The oldest claimable messages: <see cref="Sql.Claimable"/> after <paramref name="after"/> for a
    /// queue without groups, else <see cref="Select"/>.
    /// </summary>
    public static List<(long Marker, long ClaimCount)> Oldest(
        SqliteConnection c, SqliteTransaction? t, long queueId, long now, int limit, bool grouped,
        long after = 0, IReadOnlySet<long>? chosen = null) =>
        grouped
            ? Select(c, t, queueId, now, limit, chosen ?? NoneChosen)
            : c.Rows<(long Marker, long ClaimCount)>(Sql.Claimable, new { queueId, after, now, limit }, t);

    private static readonly IReadOnlySet<long> NoneChosen = new HashSet<long>();

    /// <summary>As <see cref="HasGroups(SqliteConnection, SqliteTransaction?, long)"/>, the queue named.</summary>
    public static bool HasGroups(SqliteConnection c, SqliteTransaction? t, QueueRefArgs queue) =>
        c.Scalar<long?>(
            $"""
            SELECT 1 FROM messages INDEXED BY messages_group_order
            WHERE queue_id = ({Sql.QueueId}) AND group_id IS NOT NULL LIMIT 1
            """,
            queue, t) is not null;

    /// <summary>
    /// Up to <paramref name="limit"/> claimable messages (marker and claim count) in marker order,
    /// leaving out <paramref name="chosen"/> (already chosen by this claim, which does not block).
    /// </summary>
    public static List<(long Marker, long ClaimCount)> Select(
        SqliteConnection c, SqliteTransaction? t, long queueId, long now, int limit, IReadOnlySet<long> chosen)
    {
        var inFlight = c.Rows(
            """
            SELECT m.group_id FROM claims AS k INDEXED BY claims_queue
            JOIN messages AS m INDEXED BY messages_claim ON m.claim_id = k.id
            WHERE k.queue_id = @queueId AND k.expires > @now
              AND m.group_id IS NOT NULL AND m.claim_expires > @now AND m.expires > @now
            """,
            new { queueId, now }, r => r.GetString(0), t);
        var blocked = new HashSet<string>(inFlight, StringComparer.Ordinal);
        var taken = new List<(long Marker, long ClaimCount)>(limit);
        var budget = inFlight.Count + 4 * limit + 256;
        var skipped = 0;
        long position = 0;
        var walked = false;
        while (taken.Count < limit)
        {
            var rows = c.Rows(
                """
                SELECT marker, claim_count, group_id, visible_at, claim_expires FROM messages INDEXED BY messages_queue
                WHERE queue_id = @queueId AND marker > @after AND expires > @now
                ORDER BY marker LIMIT @batch
                """,
                new { queueId, after = position, now, batch = Batch },
                r => (Marker: r.GetInt64(0), ClaimCount: r.GetInt64(1), Group: r.IsDBNull(2) ? null : r.GetString(2),
                      VisibleAt: r.GetInt64(3), ClaimExpires: r.IsDBNull(4) ? (long?)null : r.GetInt64(4)),
                t);
            foreach (var row in rows)
            {
                position = row.Marker;
                var claimable = row.VisibleAt <= now && (row.ClaimExpires is null || row.ClaimExpires <= now);
                if (row.Group is null)
                {
                    if (claimable && !chosen.Contains(row.Marker))
                    {
                        taken.Add((row.Marker, row.ClaimCount));
                    }
                }
                else if (blocked.Contains(row.Group))
                {
                    skipped++;
                }
                else if (!claimable)
                {
                    blocked.Add(row.Group);
                }
                else if (!chosen.Contains(row.Marker))
                {
                    taken.Add((row.Marker, row.ClaimCount));
                }

                if (taken.Count == limit || skipped > budget)
                {
                    break;
                }
            }

            if (taken.Count == limit || skipped > budget)
            {
                break;
            }

            if (rows.Count < Batch)
            {
                walked = true;
                break;
            }
        }

        if (taken.Count == limit || walked)
        {
            return taken;
        }

        // The walk is stepping over held groups' backlogs: take the other groups' next messages by group.
        var more = new List<(long Marker, long ClaimCount)>();
        var group = "";
        for (var visited = 0; visited < MaxGroupsVisited; visited++)
        {
            var next = c.Rows(
                """
                SELECT group_id FROM messages INDEXED BY messages_group_order
                WHERE queue_id = @queueId AND group_id IS NOT NULL AND group_id > @group
                ORDER BY group_id LIMIT 1
                """,
                new { queueId, group }, r => r.GetString(0), t);
            if (next.Count == 0)
            {
                break;
            }

            group = next[0];
            if (blocked.Contains(group))
            {
                continue;
            }

            var rows = c.Rows(
                """
                SELECT marker, claim_count, visible_at, claim_expires FROM messages INDEXED BY messages_group_order
                WHERE queue_id = @queueId AND group_id = @group AND marker > @after AND expires > @now
                ORDER BY marker LIMIT @need
                """,
                new { queueId, group, after = position, now, need = limit - taken.Count + chosen.Count },
                r => (Marker: r.GetInt64(0), ClaimCount: r.GetInt64(1), VisibleAt: r.GetInt64(2),
                      ClaimExpires: r.IsDBNull(3) ? (long?)null : r.GetInt64(3)),
                t);
            foreach (var row in rows)
            {
                if (row.VisibleAt > now || (row.ClaimExpires is { } expires && expires > now))
                {
                    break; // the group's next message is not claimable: nothing after it is
                }

                if (!chosen.Contains(row.Marker))
                {
                    more.Add((row.Marker, row.ClaimCount));
                }
            }
        }

        // Oldest first over both: each group's messages stay a run from its head.
        taken.AddRange(more);
        taken.Sort((a, b) => a.Marker.CompareTo(b.Marker));
        return taken.Count > limit ? taken[..limit] : taken;
    }
}
