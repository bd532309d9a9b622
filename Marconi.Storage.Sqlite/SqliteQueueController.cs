using Marconi.Core;
using Marconi.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Marconi.Storage.Sqlite;

internal sealed class SqliteQueueController(SqliteDataDriver driver) : IQueueController
{
    public Task<bool> CreateAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken, string? metadata = null) =>
        driver.GrowAsync("Queue creation", (c, t) => c.Exec(
            """
            INSERT INTO queues (project, name, created, metadata) VALUES (@project, @name, @created, @metadata)
            ON CONFLICT (project, name) DO NOTHING
            """,
            new { project = queue.Project, name = queue.Name, created = now.ToUnixTimeMilliseconds(), metadata = metadata ?? "{}" },
            t) == 1);

    public Task<bool> ExistsAsync(QueueRef queue, CancellationToken cancellationToken) =>
        driver.ReadAsync("Queue lookup", c => Sql.FindQueue(c, QueueRefArgs.Of(queue)) is not null);

    public async Task DeleteAsync(QueueRef queue, CancellationToken cancellationToken)
    {
        // One short write however big the queue: its row goes, its messages and claims are buried for
        // the sweeper, so other writers never wait behind the removal of a million rows.
        var buried = await driver.WriteAsync("Queue deletion", (c, t) =>
        {
            if (Sql.FindQueue(c, QueueRefArgs.Of(queue), t) is not { } id)
            {
                return false;
            }

            c.Exec("DELETE FROM queues WHERE id = @id", new { id }, t);
            Sql.Bury(c, t, id);
            return true;
        });
        if (buried)
        {
            driver.Sweep.Wake();
        }
    }

    public Task<IReadOnlyList<QueueListItem>> ListAsync(
        string project, string? marker, int limit, bool detailed, CancellationToken cancellationToken) =>
        driver.ReadAsync<IReadOnlyList<QueueListItem>>("Queue listing", c => c.Rows<(string Name, string Metadata)>(
                """
                SELECT name, metadata FROM queues
                WHERE project = @project AND name > @marker
                ORDER BY name LIMIT @limit
                """,
                new { project, marker = marker ?? "", limit })
            .Select(q => new QueueListItem(q.Name, detailed ? q.Metadata : null))
            .ToList());

    public Task<IReadOnlyList<ProjectListItem>> ListProjectsAsync(string? marker, int limit, CancellationToken cancellationToken) =>
        // The (project, name) unique index covers it: groups come in index order and the scan stops after the limit.
        driver.ReadAsync<IReadOnlyList<ProjectListItem>>("Project listing", c => c.Rows<(string Project, long Queues)>(
                """
                SELECT project, count(*) FROM queues
                WHERE project > @marker
                GROUP BY project ORDER BY project LIMIT @limit
                """,
                new { marker = marker ?? "", limit })
            .Select(p => new ProjectListItem(p.Project, p.Queues))
            .ToList());

    public Task<string?> GetMetadataAsync(QueueRef queue, CancellationToken cancellationToken) =>
        driver.ReadAsync("Queue metadata lookup", c => c.Scalar<string?>(
            "SELECT metadata FROM queues WHERE project = @project AND name = @name", QueueRefArgs.Of(queue)));

    public Task<bool> SetMetadataAsync(QueueRef queue, string metadata, CancellationToken cancellationToken) =>
        driver.GrowAsync("Queue metadata update", (c, t) => c.Exec(
            "UPDATE queues SET metadata = @metadata WHERE project = @project AND name = @name",
            new { project = queue.Project, name = queue.Name, metadata }, t) == 1);

    public Task<MetadataReplaceOutcome> ReplaceMetadataAsync(
        QueueRef queue, string expected, string updated, CancellationToken cancellationToken) =>
        driver.GrowAsync("Queue metadata update", (c, t) =>
        {
            // In the writer's transaction: nothing can change the metadata between the read and the write.
            var stored = c.Scalar<string?>(
                "SELECT metadata FROM queues WHERE project = @project AND name = @name", QueueRefArgs.Of(queue), t);
            if (stored is null)
            {
                return MetadataReplaceOutcome.QueueMissing;
            }

            if (stored != expected)
            {
                return MetadataReplaceOutcome.Changed;
            }

            c.Exec(
                "UPDATE queues SET metadata = @updated WHERE project = @project AND name = @name",
                new { project = queue.Project, name = queue.Name, updated }, t);
            return MetadataReplaceOutcome.Replaced;
        });

    public Task<long> CountAsync(string project, CancellationToken cancellationToken) =>
        driver.ReadAsync("Queue count", c => c.Scalar<long>(
            "SELECT count(*) FROM queues WHERE project = @project", new { project }));

    public Task<IReadOnlyList<QueueDepth>> ListDeepestAsync(int count, DateTimeOffset now, CancellationToken cancellationToken) =>
        driver.ReadAsync<IReadOnlyList<QueueDepth>>("Deepest queues", c =>
        {
            // One read transaction, and the same counting as stats for each of a few queues: no
            // message row is scanned but expired and claimed ones.
            using var transaction = c.BeginTransaction(deferred: true);
            var queues = c.Rows<(long Id, string Project, string Name, long Count)>(
                "SELECT id, project, name, message_count FROM queues WHERE message_count > 0 ORDER BY message_count DESC, id LIMIT @count",
                new { count }, transaction).ToList();
            var depths = new List<QueueDepth>(queues.Count);
            foreach (var q in queues)
            {
                var (total, claimed) = LiveAndClaimed(c, q.Id, q.Count, now, transaction);
                total = Math.Max(0, total);
                depths.Add(new QueueDepth(new QueueRef(q.Project, q.Name), Math.Max(0, total - claimed), claimed));
            }

            return depths;
        });

    /// <summary>
    /// The free, unexpired messages of a queue whose delay has not elapsed. The literal
    /// <c>visible_at &gt; 0</c> lets the planner prove the partial index applies (a parameter cannot).
    /// </summary>
    internal const string DelayedCount = $"""
        SELECT count(*) FROM messages AS m INDEXED BY messages_delayed
        WHERE m.queue_id = @queue AND m.visible_at > 0 AND m.visible_at > @now AND m.expires > @now AND {Sql.Free}
        """;

    public Task<QueueStats?> GetStatsAsync(
        QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken, bool countDelayed = false) =>
        driver.ReadAsync("Queue stats", c =>
        {
            // One read transaction, so the counts and the oldest/newest agree with each other.
            using var transaction = c.BeginTransaction(deferred: true);
            var q = c.Row<(long Id, long Count)>(
                "SELECT id, message_count FROM queues WHERE project = @project AND name = @name",
                QueueRefArgs.Of(queue), transaction);
            if (q.Id == 0)
            {
                return (QueueStats?)null;
            }

            var (total, claimed) = LiveAndClaimed(c, q.Id, q.Count, now, transaction);
            var args = new { queue = q.Id, now = now.ToUnixTimeMilliseconds() };
            if (total <= 0)
            {
                return new QueueStats(0, 0, null, null, countDelayed ? 0 : null);
            }

            long? delayed = countDelayed ? c.Scalar<long>(DelayedCount, args, transaction) : null;

            var oldest = c.Row<(long Marker, long Created)>(
                "SELECT marker, created FROM messages INDEXED BY messages_queue WHERE queue_id = @queue AND expires > @now ORDER BY marker LIMIT 1",
                args, transaction);
            var newest = c.Row<(long Marker, long Created)>(
                "SELECT marker, created FROM messages INDEXED BY messages_queue WHERE queue_id = @queue AND expires > @now ORDER BY marker DESC LIMIT 1",
                args, transaction);
            return new QueueStats(claimed, total, Stamp(oldest), Stamp(newest), delayed);
        });

    /// <summary>
    /// A queue's unexpired messages and those of them a live claim holds. The stored count includes
    /// expired rows the collector has not reached yet; they are few and indexed, so they are counted
    /// and taken off rather than the live rows scanned.
    /// </summary>
    private static (long Total, long Claimed) LiveAndClaimed(
        SqliteConnection c, long queueId, long messageCount, DateTimeOffset now, SqliteTransaction transaction)
    {
        var args = new { queue = queueId, now = now.ToUnixTimeMilliseconds() };
        var expired = c.Scalar<long>(
            "SELECT count(*) FROM messages INDEXED BY messages_expires WHERE expires <= @now AND queue_id = @queue",
            args, transaction);
        var claimed = c.Scalar<long>(
            """
            SELECT count(*) FROM claims AS k JOIN messages AS m ON m.claim_id = k.id
            WHERE k.queue_id = @queue AND k.expires > @now AND m.expires > @now
            """,
            args, transaction);
        return (messageCount - expired, claimed);
    }

    // Markers start at 1, so a default row means "none".
    private static MessageStamp? Stamp((long Marker, long Created) row) =>
        row.Marker > 0 ? new MessageStamp(Ids.MessageId(row.Marker), DateTimeOffset.FromUnixTimeMilliseconds(row.Created)) : null;
}
