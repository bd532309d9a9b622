using Dapper;
using Marconi.Core;
using Marconi.Core.Storage;
using Npgsql;

namespace Marconi.Storage.Postgres;

internal sealed class PostgresQueueController(PostgresDataDriver driver) : IQueueController
{
    private readonly PostgresDataDriver _driver = driver;

    private string S => _driver.S;

    public Task<bool> CreateAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken, string? metadata = null) =>
        _driver.RunAsync("Queue creation", async c => await c.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO {S}.queues (project, name, metadata, created) VALUES (@project, @name, @metadata, @created)
            ON CONFLICT (project, name) DO NOTHING
            """,
            new { project = queue.Project, name = queue.Name, metadata = metadata ?? "{}", created = now.ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken)) == 1, cancellationToken);

    public Task<bool> ExistsAsync(QueueRef queue, CancellationToken cancellationToken) =>
        _driver.RunAsync("Queue lookup", async c => await c.ExecuteScalarAsync<bool>(new CommandDefinition(
            $"SELECT EXISTS (SELECT 1 FROM {S}.queues WHERE project = @project AND name = @name)",
            Args(queue), cancellationToken: cancellationToken)), cancellationToken);

    public Task DeleteAsync(QueueRef queue, CancellationToken cancellationToken) =>
        _driver.TransactAsync("Queue deletion", async (c, t) =>
        {
            // The delete locks the queue row, so it waits for in-flight posts, which hold it; the id
            // goes to purges and, queue ids never being reused, nothing of it is visible again.
            var gone = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
                $"""
                WITH gone AS (DELETE FROM {S}.queues WHERE project = @project AND name = @name RETURNING id)
                INSERT INTO {S}.purges (queue_id) SELECT id FROM gone RETURNING queue_id
                """,
                Args(queue), t, cancellationToken: cancellationToken));
            if (gone is { } id)
            {
                await RemoveSmallAsync(c, t, id, cancellationToken);
            }

            return true;
        }, cancellationToken);

    /// <summary>
    /// Removes every message of the queue (free, claimed, delayed) and ends its claims, keeping the
    /// queue and its metadata: the queue row takes a new id under its row lock, so every reader at
    /// once finds no message and no claim, and the old id's rows wait in purges for the collector.
    /// The message controller's PurgeAsync delegates here.
    /// </summary>
    internal Task PurgeMessagesAsync(QueueRef queue, CancellationToken cancellationToken) =>
        _driver.TransactAsync("Queue purge", async (c, t) =>
        {
            var old = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
                $"SELECT id FROM {S}.queues WHERE project = @project AND name = @name FOR UPDATE",
                Args(queue), t, cancellationToken: cancellationToken));
            if (old is not { } id)
            {
                return false;
            }

            // An update rather than delete and insert: a post waiting on the row lock follows the
            // update to the new id and lands in the purged queue, where after a delete it would find
            // no row and answer that the queue does not exist.
            await c.ExecuteAsync(new CommandDefinition(
                $"""
                UPDATE {S}.queues SET id = DEFAULT WHERE id = @id;
                INSERT INTO {S}.purges (queue_id) VALUES (@id)
                """,
                new { id }, t, cancellationToken: cancellationToken));
            await RemoveSmallAsync(c, t, id, cancellationToken);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Removes the rows of a deleted or purged queue id at once when there are at most a collector
    /// chunk of them, so small queues leave nothing for the collector. It must run as a statement of
    /// its own after the queue row was locked: only a snapshot taken after the lock sees the posts
    /// the lock waited for, and rows this count missed would never be removed.
    /// </summary>
    private async Task RemoveSmallAsync(NpgsqlConnection c, NpgsqlTransaction t, long id, CancellationToken cancellationToken)
    {
        var chunk = _driver.CollectorChunk;
        var rows = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM (SELECT 1 FROM {S}.messages WHERE queue_id = @id LIMIT @limit) AS m",
            new { id, limit = chunk + 1 }, t, cancellationToken: cancellationToken));
        if (rows > chunk)
        {
            return;
        }

        // Claims before messages: claim updates and releases lock their claim row, then its messages.
        await c.ExecuteAsync(new CommandDefinition(
            $"""
            DELETE FROM {S}.claims WHERE queue_id = @id;
            DELETE FROM {S}.messages WHERE queue_id = @id;
            DELETE FROM {S}.purges WHERE queue_id = @id
            """,
            new { id }, t, cancellationToken: cancellationToken));
    }

    public Task<IReadOnlyList<QueueListItem>> ListAsync(
        string project, string? marker, int limit, bool detailed, CancellationToken cancellationToken) =>
        _driver.RunAsync<IReadOnlyList<QueueListItem>>("Queue listing", async c =>
            (await c.QueryAsync<(string Name, string Metadata)>(new CommandDefinition(
                $"""
                SELECT name, metadata FROM {S}.queues
                WHERE project = @project AND name > @marker
                ORDER BY name LIMIT @limit
                """,
                new { project, marker = marker ?? "", limit }, cancellationToken: cancellationToken)))
            .Select(q => new QueueListItem(q.Name, detailed ? q.Metadata : null))
            .ToList(), cancellationToken);

    /// <summary>
    /// The project listing. A deleted queue's row goes in its deletion's transaction (only its
    /// messages wait in purges), so every row counted is a live queue. The (project, name) unique
    /// index gives the groups in order, so the scan stops after the limit instead of sorting every
    /// queue (PostgresQueryPlanTests).
    /// </summary>
    internal string ProjectListStatement => $"""
        SELECT project, count(*) FROM {S}.queues
        WHERE project > @marker
        GROUP BY project ORDER BY project LIMIT @limit
        """;

    public Task<IReadOnlyList<ProjectListItem>> ListProjectsAsync(string? marker, int limit, CancellationToken cancellationToken) =>
        _driver.RunAsync<IReadOnlyList<ProjectListItem>>("Project listing", async c =>
            (await c.QueryAsync<(string Project, long Queues)>(new CommandDefinition(
                ProjectListStatement, new { marker = marker ?? "", limit }, cancellationToken: cancellationToken)))
            .Select(p => new ProjectListItem(p.Project, p.Queues))
            .ToList(), cancellationToken);

    public Task<string?> GetMetadataAsync(QueueRef queue, CancellationToken cancellationToken) =>
        _driver.RunAsync("Queue metadata lookup", c => c.ExecuteScalarAsync<string?>(new CommandDefinition(
            $"SELECT metadata FROM {S}.queues WHERE project = @project AND name = @name",
            Args(queue), cancellationToken: cancellationToken)), cancellationToken);

    public Task<bool> SetMetadataAsync(QueueRef queue, string metadata, CancellationToken cancellationToken) =>
        _driver.RunAsync("Queue metadata update", async c => await c.ExecuteAsync(new CommandDefinition(
            $"UPDATE {S}.queues SET metadata = @metadata WHERE project = @project AND name = @name",
            new { project = queue.Project, name = queue.Name, metadata }, cancellationToken: cancellationToken)) == 1,
            cancellationToken);

    public Task<MetadataReplaceOutcome> ReplaceMetadataAsync(
        QueueRef queue, string expected, string updated, CancellationToken cancellationToken) =>
        _driver.TransactAsync("Queue metadata update", async (c, t) =>
        {
            // The row lock holds off any other change between the comparison and the write.
            var stored = await c.ExecuteScalarAsync<string?>(new CommandDefinition(
                $"SELECT metadata FROM {S}.queues WHERE project = @project AND name = @name FOR UPDATE",
                Args(queue), t, cancellationToken: cancellationToken));
            if (stored is null)
            {
                return MetadataReplaceOutcome.QueueMissing;
            }

            if (stored != expected)
            {
                return MetadataReplaceOutcome.Changed;
            }

            await c.ExecuteAsync(new CommandDefinition(
                $"UPDATE {S}.queues SET metadata = @updated WHERE project = @project AND name = @name",
                new { project = queue.Project, name = queue.Name, updated }, t, cancellationToken: cancellationToken));
            return MetadataReplaceOutcome.Replaced;
        }, cancellationToken);

    public Task<long> CountAsync(string project, CancellationToken cancellationToken) =>
        _driver.RunAsync("Queue count", c => c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM {S}.queues WHERE project = @project",
            new { project }, cancellationToken: cancellationToken)), cancellationToken);

    public Task<QueueStats?> GetStatsAsync(
        QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken, bool countDelayed = false) =>
        _driver.RunAsync("Queue stats", async c =>
        {
            // One statement, so the counts and the oldest and newest come from one snapshot. Total
            // counts every unexpired message, delayed ones included, as SQLite does; claimed, those a
            // live claim holds. It reads every live message of the queue: no counter row that every
            // consumer's delete would have to update. Asked for, the delayed count is one more
            // aggregate of that same pass, so it needs no index of its own (SQLite, whose stats skip
            // the pass, has one); not asked for, its column is a constant null.
            var row = await c.QueryFirstOrDefaultAsync<StatsRow>(new CommandDefinition(
                Stats(S, countDelayed ? DelayedCount : "NULL::bigint"),
                new { project = queue.Project, name = queue.Name, now = now.ToUnixTimeMilliseconds() },
                cancellationToken: cancellationToken));
            return row?.ToStats();
        }, cancellationToken);

    /// <summary>The free, unexpired messages whose delay has not elapsed, as an aggregate of the stats' pass.</summary>
    private const string DelayedCount = $"count(*) FILTER (WHERE m.visible_at > @now AND {PostgresRows.Free})";

    private static string Stats(string s, string delayed) =>
        $"""
        SELECT s.total AS Total, s.claimed AS Claimed, s.delayed AS Delayed,
               s.oldest AS Oldest, (SELECT created FROM {s}.messages WHERE queue_id = q.id AND marker = s.oldest) AS OldestCreated,
               s.newest AS Newest, (SELECT created FROM {s}.messages WHERE queue_id = q.id AND marker = s.newest) AS NewestCreated
        FROM {s}.queues AS q
        CROSS JOIN LATERAL (
            SELECT count(*) AS total, count(*) FILTER (WHERE m.claim_expires > @now) AS claimed, {delayed} AS delayed,
                   min(m.marker) AS oldest, max(m.marker) AS newest
            FROM {s}.messages AS m
            WHERE m.queue_id = q.id AND m.expires > @now) AS s
        WHERE q.project = @project AND q.name = @name
        """;

    public Task<IReadOnlyList<QueueDepth>> ListDeepestAsync(int count, DateTimeOffset now, CancellationToken cancellationToken) =>
        _driver.RunAsync<IReadOnlyList<QueueDepth>>("Deepest queues", async c =>
        {
            // Ranked by rows stored, expired ones included, as SQLite's stored count ranks them; the
            // join leaves out the rows of deleted and purged queue ids. One pass over every message
            // row: it serves a metrics scrape, not a request.
            var rows = await c.QueryAsync<(string Project, string Name, long Live, long Claimed)>(new CommandDefinition(
                $"""
                SELECT q.project, q.name,
                       count(*) FILTER (WHERE m.expires > @now) AS live,
                       count(*) FILTER (WHERE m.expires > @now AND m.claim_expires > @now) AS claimed
                FROM {S}.messages AS m JOIN {S}.queues AS q ON q.id = m.queue_id
                GROUP BY q.id
                ORDER BY count(*) DESC, q.id
                LIMIT @count
                """,
                new { count, now = now.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
            return rows.Select(r => new QueueDepth(new QueueRef(r.Project, r.Name), r.Live - r.Claimed, r.Claimed)).ToList();
        }, cancellationToken);

    private static object Args(QueueRef queue) => new { project = queue.Project, name = queue.Name };

    private sealed class StatsRow
    {
        public long Total { get; init; }
        public long Claimed { get; init; }
        public long? Oldest { get; init; }
        public long? OldestCreated { get; init; }
        public long? Newest { get; init; }
        public long? NewestCreated { get; init; }

        public long? Delayed { get; init; }

        public QueueStats ToStats() => new(Claimed, Total, Stamp(Oldest, OldestCreated), Stamp(Newest, NewestCreated), Delayed);

        private static MessageStamp? Stamp(long? marker, long? created) =>
            marker is { } m && created is { } at ? new MessageStamp(Ids.MessageId(m), DateTimeOffset.FromUnixTimeMilliseconds(at)) : null;
    }
}
