using Dapper;
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

    public StoredMessage ToStored() => new(
        Ids.MessageId(Marker), Ids.Marker(Marker), (int)Ttl, DateTimeOffset.FromUnixTimeMilliseconds(Created), Body);
}

/// <summary>SQL shared by the controllers. Values only ever travel as parameters.</summary>
internal static class Sql
{
    public const string QueueId = "SELECT id FROM queues WHERE project = @project AND name = @name";

    public const string MessageColumns = "m.marker AS Marker, m.ttl AS Ttl, m.created AS Created, m.body AS Body";

    /// <summary>The claim holding a message is live while its expiry is after now.</summary>
    public const string Free = "(m.claim_expires IS NULL OR m.claim_expires <= @now)";

    public static long? FindQueue(SqliteConnection connection, QueueRefArgs queue, SqliteTransaction? transaction = null) =>
        connection.ExecuteScalar<long?>(QueueId, queue, transaction);

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

    public static int CollectExpiredMessages(SqliteConnection connection, SqliteTransaction transaction, long now, int chunk)
    {
        var queues = connection.Query<long>(
            """
            DELETE FROM messages
            WHERE marker IN (SELECT marker FROM messages INDEXED BY messages_expires WHERE expires <= @now LIMIT @chunk)
            RETURNING queue_id
            """,
            new { now, chunk }, transaction).ToList();
        foreach (var group in queues.GroupBy(q => q))
        {
            connection.Execute(
                "UPDATE queues SET message_count = message_count - @count WHERE id = @id",
                new { id = group.Key, count = group.Count() }, transaction);
        }

        return queues.Count;
    }
}

/// <summary>Dapper parameters naming a queue.</summary>
internal sealed record QueueRefArgs(string project, string name)
{
    public static QueueRefArgs Of(Marconi.Core.QueueRef queue) => new(queue.Project, queue.Name);
}
