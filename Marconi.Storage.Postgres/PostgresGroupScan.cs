using Marconi.Core;
using Npgsql;
using static Marconi.Storage.Postgres.PostgresRows;

namespace Marconi.Storage.Postgres;

/// <summary>
/// Chooses the claimable messages of a queue that has message groups, read-only, at a cost bounded by
/// the queue's in-flight messages and the limit rather than by a held group's backlog. The group rule:
/// a message with a group is claimable only while no unexpired message of its group is under a live
/// claim (the group is held) and every earlier unexpired message of its group is claimable too (a
/// message still delayed, or held, blocks those after it), so a group is never given out of order.
/// <list type="number">
/// <item>The held groups, once, from the live claims' markers: O(in-flight).</item>
/// <item>The queue in marker order, in batches, skipping rows of held or blocked groups; a group is
/// blocked when the scan meets one of its rows that is not claimable.</item>
/// <item>When the skipped grouped rows pass a budget (a deep backlog behind a held or blocked head), a
/// skip-scan over the queue's distinct groups on <c>messages_group</c>, reading the leading rows of each
/// open group after the marker scan's position, up to its first row that is not claimable.</item>
/// </list>
/// Ungrouped rows past the marker scan's position are left to a later claim. Callers that take the
/// chosen rows hold the queue's group lock (<see cref="PostgresRows.LockGroups"/>), and lock and re-check
/// the rows before taking them.
/// </summary>
internal sealed class PostgresGroupScan
{
    private readonly string _held;
    private readonly string _scan;
    private readonly string _groups;

    public PostgresGroupScan(string s)
    {
        // Live claims give the held groups and the in-flight count without scanning any group.
        _held = $"""
            WITH q AS (SELECT id FROM {s}.queues WHERE project = @project AND name = @name),
            h AS (
                SELECT m.group_id FROM q
                JOIN {s}.claims AS k ON k.queue_id = q.id
                JOIN {s}.messages AS m ON m.queue_id = k.queue_id AND m.marker = ANY(k.markers)
                WHERE k.expires > @now AND m.claim_id = k.id AND m.claim_expires > @now AND m.expires > @now)
            SELECT (SELECT id FROM q), (SELECT count(*) FROM h),
                   (SELECT coalesce(array_agg(DISTINCT group_id), ARRAY[]::text[]) FROM h WHERE group_id IS NOT NULL)
            """;
        _scan = $"""
            SELECT m.marker, m.group_id, m.visible_at <= @now AND {Free} FROM {s}.messages AS m
            WHERE m.queue_id = @queueId AND m.marker > @after AND m.expires > @now
            ORDER BY m.marker LIMIT @batch
            """;
        // A loose index scan: the next group id after the previous one, one index probe per group. Each
        // group's rows are read by (group_id, marker) from the group's position on, not by group_id =:
        // the planner, taking a group for a large part of the queue, would walk the queue in marker order
        // through the held group's backlog; rows of the next group read past the group are dropped.
        _groups = $"""
            WITH RECURSIVE g AS (
                (SELECT m.group_id FROM {s}.messages AS m
                 WHERE m.queue_id = @queueId AND m.group_id IS NOT NULL ORDER BY m.group_id LIMIT 1)
                UNION ALL
                SELECT (SELECT m.group_id FROM {s}.messages AS m
                        WHERE m.queue_id = @queueId AND m.group_id IS NOT NULL AND m.group_id > g.group_id
                        ORDER BY m.group_id LIMIT 1)
                FROM g WHERE g.group_id IS NOT NULL)
            SELECT x.marker, x.group_id, x.claimable
            FROM (SELECT group_id FROM g WHERE group_id IS NOT NULL AND NOT (group_id = ANY(@excluded))) AS o
            CROSS JOIN LATERAL (
                SELECT m.marker, m.group_id, m.visible_at <= @now AND {Free} AS claimable FROM {s}.messages AS m
                WHERE m.queue_id = @queueId AND m.group_id IS NOT NULL AND (m.group_id, m.marker) > (o.group_id, @after)
                  AND m.expires > @now
                ORDER BY m.group_id, m.marker LIMIT @limit) AS x
            WHERE x.group_id = o.group_id
            """;
    }

    /// <summary>
    /// The queue's current id (0 when it does not exist) and up to <paramref name="limit"/> claimable
    /// markers in FIFO order. Markers in <paramref name="chosen"/> (taken earlier in the same transaction,
    /// not yet claimed) are passed over as if claimed by this caller: they neither block nor count.
    /// </summary>
    internal async Task<(long QueueId, List<long> Markers)> SelectAsync(
        NpgsqlConnection c, NpgsqlTransaction? t, QueueRef queue, long now, int limit, IReadOnlySet<long>? chosen,
        CancellationToken cancellationToken)
    {
        long queueId;
        long inFlight;
        HashSet<string> closed;
        await using (var held = c.Command(_held, t).WithQueue(queue).With("now", now))
        await using (var reader = await held.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            if (reader.IsDBNull(0))
            {
                return (0, []);
            }

            queueId = reader.GetInt64(0);
            inFlight = reader.GetInt64(1);
            closed = [.. reader.GetFieldValue<string[]>(2)];
        }

        var taken = new List<long>(limit);
        var budget = inFlight + 4L * limit + 256;
        var batch = (int)Math.Min(1000, budget + 1);
        long skipped = 0;
        long after = 0;
        while (true)
        {
            var read = 0;
            await using (var scan = c.Command(_scan, t)
                .With("queueId", queueId).With("after", after).With("now", now).With("batch", batch))
            await using (var reader = await scan.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    read++;
                    var marker = reader.GetInt64(0);
                    after = marker;
                    if (chosen?.Contains(marker) == true)
                    {
                        continue;
                    }

                    var claimable = reader.GetBoolean(2);
                    if (reader.IsDBNull(1))
                    {
                        if (claimable)
                        {
                            taken.Add(marker);
                        }
                    }
                    else
                    {
                        var group = reader.GetString(1);
                        if (!claimable || closed.Contains(group))
                        {
                            // Held or blocked: none of its later rows may go before this one does.
                            closed.Add(group);
                            skipped++;
                        }
                        else
                        {
                            taken.Add(marker);
                        }
                    }

                    if (taken.Count == limit)
                    {
                        return (queueId, taken);
                    }

                    if (skipped > budget)
                    {
                        break;
                    }
                }
            }

            if (skipped > budget)
            {
                break;
            }

            if (read < batch)
            {
                return (queueId, taken); // the whole queue was read
            }
        }

        // A deep backlog of closed groups: the open groups' leading rows after the scan's position.
        var more = new List<(long Marker, string Group, bool Claimable)>();
        await using (var groups = c.Command(_groups, t)
            .With("queueId", queueId).With("after", after).With("now", now).With("limit", limit)
            .With("excluded", closed.ToArray()))
        await using (var reader = await groups.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                more.Add((reader.GetInt64(0), reader.GetString(1), reader.GetBoolean(2)));
            }
        }

        foreach (var group in more.GroupBy(r => r.Group))
        {
            foreach (var row in group.OrderBy(r => r.Marker))
            {
                if (chosen?.Contains(row.Marker) == true)
                {
                    continue;
                }

                if (!row.Claimable)
                {
                    break;
                }

                taken.Add(row.Marker);
            }
        }

        taken.Sort();
        if (taken.Count > limit)
        {
            taken.RemoveRange(limit, taken.Count - limit);
        }

        return (queueId, taken);
    }
}
