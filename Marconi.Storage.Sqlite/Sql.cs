using Marconi.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Marconi.Storage.Sqlite;

/// <summary>A message row as the queries select it.</summary>
internal sealed class MessageRow
{
    public long Marker { get; set; }
    public long Ttl { get; set; }
    public long Created { get; set; }
    public string Body { get; set; } = "";
    public long ClaimCount { get; set; }
    public long Encrypted { get; set; }
    // The live claim holding the message, from the join in Sql.LiveClaim; null when free.
    public long? ClaimRowId { get; set; }
    public long? ClaimSalt { get; set; }
    public string? Group { get; set; }
    public string? DeduplicationId { get; set; }

    /// <summary>
    /// A row selected as <see cref="Sql.MessageColumns"/>, by position. Dapper's mapper asked SQLite
    /// for each column's name, declared type and boxed value, several native calls per column where
    /// a typed read makes one or two; on a page of messages that was a sixth of the server's CPU.
    /// </summary>
    public static MessageRow Read(SqliteDataReader reader) => new()
    {
        Marker = reader.GetInt64(0),
        Ttl = reader.GetInt64(1),
        Created = reader.GetInt64(2),
        Body = reader.GetString(3),
        ClaimCount = reader.GetInt64(4),
        Encrypted = reader.GetInt64(5),
        ClaimRowId = reader.IsDBNull(6) ? null : reader.GetInt64(6),
        ClaimSalt = reader.IsDBNull(7) ? null : reader.GetInt64(7),
        Group = reader.IsDBNull(8) ? null : reader.GetString(8),
        DeduplicationId = reader.IsDBNull(9) ? null : reader.GetString(9),
    };

    public StoredMessage ToStored() => new(
        Ids.MessageId(Marker), Ids.Marker(Marker), (int)Ttl, DateTimeOffset.FromUnixTimeMilliseconds(Created), Body,
        (int)ClaimCount,
        ClaimRowId is { } claim ? Ids.ClaimId(claim, ClaimSalt!.Value) : null,
        Encrypted != 0)
    {
        Group = Group,
        DeduplicationId = DeduplicationId,
    };
}

/// <summary>SQL shared by the controllers. Values only ever travel as parameters.</summary>
internal static class Sql
{
    public const string QueueId = "SELECT id FROM queues WHERE project = @project AND name = @name";

    /// <summary>The columns of <see cref="MessageRow"/>; the query joins <see cref="LiveClaim"/>.</summary>
    public const string MessageColumns = """
        m.marker AS Marker, m.ttl AS Ttl, m.created AS Created, m.body AS Body,
        m.claim_count AS ClaimCount, m.encrypted AS Encrypted, k.id AS ClaimRowId, k.salt AS ClaimSalt,
        m.group_id AS "Group", m.dedup_id AS DeduplicationId
        """;

    /// <summary>The live claim holding message <c>m</c>, if any: one primary-key lookup per row.</summary>
    public const string LiveClaim = "LEFT JOIN claims AS k ON m.claim_expires > @now AND k.id = m.claim_id";

    /// <summary>The claim holding a message is live while its expiry is after now.</summary>
    public const string Free = "(m.claim_expires IS NULL OR m.claim_expires <= @now)";

    /// <summary>A delayed message is visible from created + delay on.</summary>
    public const string Visible = "m.visible_at <= @now";

    /// <summary>
    /// The oldest claimable (free, unexpired, visible) messages of a queue after <c>@after</c>, for
    /// claims and pops. It walks the (queue_id, marker) index in order and stops after <c>@limit</c>
    /// hits, so its cost depends on the limit and on the held or delayed messages it steps over at the
    /// head, never on how many messages wait behind them. Only for queues without message groups
    /// (<see cref="GroupedClaimable"/> chooses for the others).
    /// </summary>
    public const string Claimable = $"""
        SELECT m.marker AS Marker, m.claim_count AS ClaimCount FROM messages AS m INDEXED BY messages_queue
        WHERE m.queue_id = @queueId AND m.marker > @after AND m.expires > @now AND {Visible} AND {Free}
        ORDER BY m.marker LIMIT @limit
        """;

    public static long? FindQueue(SqliteConnection connection, QueueRefArgs queue, SqliteTransaction? transaction = null) =>
        connection.Scalar<long?>(QueueId, queue, transaction);

    /// <summary>
    /// Applies a claim to its messages (contract 5.4): each gets the claim's expiry, and those that
    /// would expire before the claim live until <c>claimExpires + grace</c> with <c>ttl = claimTtl + grace</c>.
    /// </summary>
    public const string ExtendClaimed = """
        UPDATE messages
        SET claim_id = @claim,
            claim_expires = @claimExpires,
            ttl = CASE WHEN expires < @claimExpires THEN @ttl + @grace ELSE ttl END,
            expires = CASE WHEN expires < @claimExpires THEN @claimExpires + @grace * 1000 ELSE expires END
        """;

    /// <summary>The queue's id, creating it with <c>{}</c> metadata when it is missing.</summary>
    public static long EnsureQueue(SqliteConnection connection, QueueRefArgs queue, long now, SqliteTransaction transaction)
    {
        // Nearly every post goes to a queue that exists: look first, so the writer runs no insert for it.
        if (FindQueue(connection, queue, transaction) is { } existing)
        {
            return existing;
        }

        connection.Exec(
            """
            INSERT INTO queues (project, name, created) VALUES (@project, @name, @created)
            ON CONFLICT (project, name) DO NOTHING
            """,
            new { queue.project, queue.name, created = now }, transaction);
        return FindQueue(connection, queue, transaction)!.Value;
    }

    /// <summary>
    /// Detaches queue row <paramref name="queueId"/> from its messages and claims: the row itself must
    /// already be gone or replaced. Every read and write finds messages through the live queue row, so
    /// they vanish for clients at once; the sweeper removes them later in bounded chunks.
    /// </summary>
    public static void Bury(SqliteConnection connection, SqliteTransaction transaction, long queueId) =>
        connection.Exec("INSERT INTO dead_queues (queue_id) VALUES (@queueId)", new { queueId }, transaction);

    /// <summary>Excludes rows of deleted queues the sweeper has not reached yet; <c>dead_queues</c> is small.</summary>
    public const string NotDead = "NOT IN (SELECT queue_id FROM dead_queues)";

    /// <summary>
    /// Removes up to <paramref name="chunk"/> rows of one deleted queue, messages first, then claims;
    /// once none are left the queue leaves <c>dead_queues</c>. Null when no queue waits.
    /// </summary>
    public static SweptChunk? SweepDeadQueue(SqliteConnection connection, SqliteTransaction transaction, int chunk)
    {
        if (connection.Scalar<long?>("SELECT queue_id FROM dead_queues ORDER BY queue_id LIMIT 1", transaction: transaction)
            is not { } queueId)
        {
            return null;
        }

        var removed = connection.Exec(
            """
            DELETE FROM messages
            WHERE marker IN (SELECT marker FROM messages INDEXED BY messages_queue WHERE queue_id = @queueId LIMIT @chunk)
            """,
            new { queueId, chunk }, transaction);
        if (removed < chunk)
        {
            removed += connection.Exec(
                """
                DELETE FROM claims
                WHERE id IN (SELECT id FROM claims INDEXED BY claims_queue WHERE queue_id = @queueId LIMIT @rest)
                """,
                new { queueId, rest = chunk - removed }, transaction);
        }

        var finished = removed < chunk;
        if (finished)
        {
            connection.Exec("DELETE FROM dead_queues WHERE queue_id = @queueId", new { queueId }, transaction);
        }

        return new SweptChunk(queueId, removed, finished);
    }

    public static int CollectExpiredMessages(SqliteConnection connection, SqliteTransaction transaction, long now, int chunk)
    {
        var queues = connection.Rows<long>(
            """
            DELETE FROM messages
            WHERE marker IN (SELECT marker FROM messages INDEXED BY messages_expires WHERE expires <= @now LIMIT @chunk)
            RETURNING queue_id
            """,
            new { now, chunk }, transaction).ToList();
        foreach (var group in queues.GroupBy(q => q))
        {
            connection.Exec(
                "UPDATE queues SET message_count = message_count - @count WHERE id = @id",
                new { id = group.Key, count = group.Count() }, transaction);
        }

        return queues.Count;
    }
}

/// <summary>What one sweep step removed of deleted queue <c>QueueId</c>, and whether it is now gone.</summary>
internal sealed record SweptChunk(long QueueId, int Removed, bool Finished);

/// <summary>Dapper parameters naming a queue.</summary>
internal sealed record QueueRefArgs(string project, string name)
{
    public static QueueRefArgs Of(Marconi.Core.QueueRef queue) => new(queue.Project, queue.Name);
}
