using System.Text;
using Marconi.Core;
using Marconi.Core.Storage;
using Npgsql;

namespace Marconi.Storage.Postgres;

/// <summary>Message rows as the message and claim statements select them, and the small helpers they share.</summary>
internal static class PostgresRows
{
    /// <summary>
    /// The columns <see cref="ReadAsync"/> reads, by position, from messages <c>m</c> and the live claim
    /// <c>k</c> holding each (<see cref="LiveClaim"/>), whose id and salt make the public claim id.
    /// </summary>
    internal const string MessageColumns = "m.marker, m.ttl, m.created, m.body, m.claim_count, m.encrypted, k.id, k.salt, m.group_id, m.dedup_id";

    /// <summary>How many columns <see cref="MessageColumns"/> are: a statement's own columns come after them.</summary>
    internal const int MessageColumnCount = 10;

    /// <summary>The live claim holding message <c>m</c>, if any: one primary-key lookup per row.</summary>
    internal static string LiveClaim(string s) => $"LEFT JOIN {s}.claims AS k ON m.claim_expires > @now AND k.id = m.claim_id";

    /// <summary>
    /// The named queue's current id as a scalar subquery (an InitPlan). Joining the queue instead, in a
    /// CTE above all, made the planner sort the whole queue rather than walk (queue_id, marker) in order.
    /// </summary>
    internal static string QueueId(string s) => $"(SELECT id FROM {s}.queues WHERE project = @project AND name = @name)";

    /// <summary>The claim holding a message is live while its expiry is after now.</summary>
    internal const string Free = "(m.claim_expires IS NULL OR m.claim_expires <= @now)";

    /// <summary>A delayed message is visible from created + delay on.</summary>
    internal const string Visible = "m.visible_at <= @now";

    /// <summary>
    /// The queue's group lock, for this transaction: claims and pops that may take grouped messages hold
    /// it while they select under the group rule and claim, so they see each other's claims. Keyed by
    /// schema and queue name (stable across purges, which give the queue a new id); a hash collision only
    /// makes two queues' grouped claims wait for each other. It is taken after the dead-letter queue's row
    /// and before any message row: nothing holding a message row waits for it, so it cannot deadlock.
    /// </summary>
    internal static string LockGroups(string schema) =>
        $"SELECT pg_advisory_xact_lock(hashtextextended('{schema}' || '/' || @project || '/' || @name, 0))";

    /// <summary>
    /// Moves the rows <c>@markers</c> of queue <paramref name="source"/> to the tail of queue
    /// <paramref name="target"/> (both SQL expressions of a queue id): the k-th smallest new marker goes
    /// to the k-th oldest row, so the moved messages keep their order; the caller holds the target
    /// queue's row lock, as a post does while it draws markers. <paramref name="ttl"/>,
    /// <paramref name="expires"/> and <paramref name="claimCount"/> are expressions over the old row <c>t</c>.
    /// </summary>
    internal static string MoveRows(string s, string source, string target, string ttl, string expires, string claimCount) => $"""
        WITH k AS (
            SELECT row_number() OVER (ORDER BY n.marker) AS ord, n.marker
            FROM (SELECT nextval('{s}.markers') AS marker FROM generate_series(1, cardinality(@markers::bigint[]))) AS n),
        t AS (
            SELECT row_number() OVER (ORDER BY m.marker) AS ord, m.*
            FROM {s}.messages AS m WHERE m.queue_id = {source} AND m.marker = ANY(@markers)),
        moved AS (
            INSERT INTO {s}.messages (queue_id, marker, client_id, ttl, created, expires, visible_at, claim_count, encrypted, body, group_id, dedup_id)
            SELECT {target}, k.marker, t.client_id, {ttl}, t.created, {expires}, t.visible_at, {claimCount}, t.encrypted, t.body, t.group_id, t.dedup_id
            FROM t JOIN k ON k.ord = t.ord)
        DELETE FROM {s}.messages WHERE queue_id = {source} AND marker = ANY(@markers)
        """;

    internal static NpgsqlCommand Command(this NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null) =>
        new(sql, connection, transaction);

    internal static NpgsqlCommand With(this NpgsqlCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    internal static NpgsqlCommand WithQueue(this NpgsqlCommand command, QueueRef queue) =>
        command.With("project", queue.Project).With("name", queue.Name);

    /// <summary>
    /// Reads <see cref="MessageColumns"/> rows and returns them in FIFO order: statements that write
    /// (RETURNING) promise no order, and sorting a page here keeps Sort nodes out of their plans.
    /// </summary>
    internal static async Task<List<StoredMessage>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<(long Marker, StoredMessage Message)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(Row(reader));
            }
        }

        return Sorted(rows);
    }

    /// <summary>One row of <see cref="MessageColumns"/>, at the reader's first <see cref="MessageColumnCount"/> columns.</summary>
    internal static (long Marker, StoredMessage Message) Row(NpgsqlDataReader reader)
    {
        var marker = reader.GetInt64(0);
        return (marker, new StoredMessage(
            Ids.MessageId(marker),
            Ids.Marker(marker),
            reader.GetInt32(1),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
            // The posted UTF-8 bytes, stored untouched.
            Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(3)),
            reader.GetInt32(4),
            reader.IsDBNull(6) ? null : Ids.ClaimId(reader.GetInt64(6), reader.GetInt64(7)),
            reader.GetBoolean(5))
        {
            Group = reader.IsDBNull(8) ? null : reader.GetString(8),
            DeduplicationId = reader.IsDBNull(9) ? null : reader.GetString(9),
        });
    }

    internal static List<StoredMessage> Sorted(List<(long Marker, StoredMessage Message)> rows)
    {
        rows.Sort((a, b) => a.Marker.CompareTo(b.Marker));
        return rows.ConvertAll(r => r.Message);
    }

    /// <summary>The distinct markers of the ids that parse; other ids name no message.</summary>
    internal static long[] Markers(IReadOnlyList<string> messageIds)
    {
        var markers = new HashSet<long>();
        foreach (var id in messageIds)
        {
            if (Ids.TryParseMessageId(id, out var marker))
            {
                markers.Add(marker);
            }
        }

        return [.. markers];
    }
}
