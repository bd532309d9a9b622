using Marconi.Core;
using Marconi.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Marconi.Storage.Sqlite;

internal sealed class SqliteClaimController(SqliteDataDriver driver) : IClaimController
{
    /// <summary>Most messages one claim moves to a dead-letter queue.</summary>
    internal const int MaxMovesPerClaim = 1000;

    /// <summary>A live claim of the named queue, by id and salt.</summary>
    private const string LiveClaim = $"""
        SELECT id, ttl, updated FROM claims
        WHERE id = @claim AND salt = @salt AND expires > @now AND queue_id = ({Sql.QueueId})
        """;

    private const string ClaimedMessages = $"""
        SELECT {Sql.MessageColumns} FROM messages AS m INDEXED BY messages_claim {Sql.LiveClaim}
        WHERE m.claim_id = @claim AND m.expires > @now
        ORDER BY m.marker
        """;

    /// <summary>
    /// Moves a message to the tail of the dead-letter queue: a new row (so a new marker and id) that
    /// keeps body, client, creation time and claim count, is free, and takes the dead-letter TTL if any.
    /// </summary>
    private const string MoveToDeadLetter = """
        INSERT INTO messages (queue_id, client_id, ttl, created, expires, body, visible_at, claim_count, encrypted, group_id, dedup_id)
        SELECT @deadLetterQueueId, client_id, coalesce(@deadLetterTtl, ttl), created,
               CASE WHEN @deadLetterTtl IS NULL THEN expires ELSE @now + @deadLetterTtl * 1000 END,
               body, visible_at, claim_count, encrypted, group_id, dedup_id
        FROM messages WHERE marker = @marker;
        DELETE FROM messages WHERE marker = @marker;
        UPDATE queues SET message_count = message_count - 1 WHERE id = @queueId;
        UPDATE queues SET message_count = message_count + 1 WHERE id = @deadLetterQueueId;
        """;

    public Task<ClaimData?> CreateAsync(
        QueueRef queue, int ttl, int grace, int limit, DateTimeOffset now, CancellationToken cancellationToken,
        DeadLetterPolicy? deadLetter = null)
    {
        // A queue that dead-letters into itself would move the same messages to its tail forever.
        var policy = deadLetter is not null && deadLetter.DeadLetterQueue != queue.Name ? deadLetter : null;
        return driver.WriteAsync("Claim creation", (c, t) => ClaimIn(c, t, queue, ttl, grace, limit, now, policy));
    }

    /// <summary>Up to <paramref name="count"/> claims of one message each, in one write of the writer's.</summary>
    public Task<IReadOnlyList<ClaimData>> CreateEachAsync(
        QueueRef queue, int ttl, int grace, int count, DateTimeOffset now, CancellationToken cancellationToken,
        DeadLetterPolicy? deadLetter = null)
    {
        var policy = deadLetter is not null && deadLetter.DeadLetterQueue != queue.Name ? deadLetter : null;
        return driver.WriteAsync<IReadOnlyList<ClaimData>>("Claims of one message each", (c, t) =>
        {
            if (Sql.FindQueue(c, QueueRefArgs.Of(queue), t) is not { } queueId)
            {
                return [];
            }

            var grouped = GroupedClaimable.HasGroups(c, t, queueId);
            if (policy is null && !grouped)
            {
                // Without groups, one two-statement claim after the other is the cheapest way.
                var each = new List<ClaimData>(count);
                while (each.Count < count && Claim(c, t, queue, ttl, grace, 1, now) is { } claim)
                {
                    each.Add(claim);
                }

                return each;
            }

            // Chosen as one claim of count would choose them, before any is claimed: a message group
            // free at the start gives all its next messages, in order, rather than only its first.
            var markers = SelectClaimable(c, t, queue, queueId, count, now.ToUnixTimeMilliseconds(), policy, grouped);
            return markers.Select(marker => ClaimMarkers(c, t, queueId, [marker], ttl, grace, now)).ToList();
        });
    }

    private static ClaimData? ClaimIn(
        SqliteConnection c, SqliteTransaction t, QueueRef queue, int ttl, int grace, int limit, DateTimeOffset now, DeadLetterPolicy? policy)
    {
        var grouped = GroupedClaimable.HasGroups(c, t, QueueRefArgs.Of(queue));
        if (policy is null && !grouped)
        {
            return Claim(c, t, queue, ttl, grace, limit, now);
        }

        if (Sql.FindQueue(c, QueueRefArgs.Of(queue), t) is not { } queueId)
        {
            return null;
        }

        var markers = SelectClaimable(c, t, queue, queueId, limit, now.ToUnixTimeMilliseconds(), policy, grouped);
        return markers.Count == 0 ? null : ClaimMarkers(c, t, queueId, markers, ttl, grace, now);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> of the oldest claimable messages, moving those claimed too often to
    /// the dead-letter queue on the way (with <paramref name="policy"/>); <paramref name="grouped"/>: the
    /// queue has message groups (<see cref="GroupedClaimable.HasGroups(SqliteConnection, SqliteTransaction?, long)"/>).
    /// </summary>
    private static List<long> SelectClaimable(
        SqliteConnection c, SqliteTransaction t, QueueRef queue, long queueId, int limit, long nowMs, DeadLetterPolicy? policy,
        bool grouped)
    {
        // Inside the writer's transaction: nothing else can take these messages between the
        // select and the update. Moved messages do not count against the limit, so select again
        // after the last one seen until the claim is full or the queue has nothing left.
        var markers = new List<long>(limit);
        long? deadLetterQueueId = null;
        long after = 0;
        var moved = 0;
        var chosen = new HashSet<long>();
        // Moves are bounded per claim so one claim never holds the writer for a whole queue;
        // the next claim goes on where this one stopped.
        while (markers.Count < limit && moved < MaxMovesPerClaim)
        {
            // A grouped queue is chosen again from its head: a move may have opened a group.
            var movedBefore = moved;
            var candidates = GroupedClaimable.Oldest(c, t, queueId, nowMs, limit - markers.Count, grouped, after, chosen);
            if (candidates.Count == 0)
            {
                break;
            }

            foreach (var (marker, claimCount) in candidates)
            {
                if (policy is not null && claimCount >= policy.MaxClaimCount)
                {
                    deadLetterQueueId ??= Sql.EnsureQueue(
                        c, new QueueRefArgs(queue.Project, policy.DeadLetterQueue), nowMs, t);
                    c.Exec(MoveToDeadLetter,
                        new { marker, queueId, deadLetterQueueId, deadLetterTtl = policy.DeadLetterTtl, now = nowMs }, t);
                    moved++;
                }
                else
                {
                    markers.Add(marker);
                    chosen.Add(marker);
                }
            }

            if (grouped && moved == movedBefore)
            {
                break; // nothing moved: a second look would find nothing more
            }

            after = candidates[^1].Marker;
        }

        return markers;
    }

    /// <summary>One new claim of the given messages, which the caller selected in this transaction.</summary>
    private static ClaimData ClaimMarkers(
        SqliteConnection c, SqliteTransaction t, long queueId, List<long> markers, int ttl, int grace, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var claimExpires = nowMs + ttl * 1000L;
        var salt = Ids.NewSalt();
        var claim = c.Scalar<long>(
            """
            INSERT INTO claims (salt, queue_id, ttl, updated, expires)
            VALUES (@salt, @queueId, @ttl, @now, @claimExpires)
            RETURNING id
            """,
            new { salt, queueId, ttl, now = nowMs, claimExpires }, t);
        c.Exec(Sql.ExtendClaimed + ", claim_count = claim_count + 1 WHERE marker IN (SELECT value FROM json_each(@markers))",
            new { claim, claimExpires, ttl, grace, markers = PreparedSql.Json(markers) }, t);
        var messages = ReadMessages(c, t, claim, nowMs);
        return new ClaimData(Ids.ClaimId(claim, salt), ttl, now, messages);
    }

    /// <summary>
    /// A claim without a dead-letter policy in two statements: the claim row (which finds the queue),
    /// then the update that takes the oldest claimable messages and returns them. Inside the writer's
    /// transaction, so nothing else takes these messages in between.
    /// </summary>
    private static ClaimData? Claim(
        SqliteConnection c, SqliteTransaction t, QueueRef queue, int ttl, int grace, int limit, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var claimExpires = nowMs + ttl * 1000L;
        var salt = Ids.NewSalt();
        var row = c.Row<(long Id, long QueueId)>(
            $"""
            INSERT INTO claims (salt, queue_id, ttl, updated, expires)
            SELECT @salt, id, @ttl, @now, @claimExpires FROM queues WHERE project = @project AND name = @name
            RETURNING id, queue_id
            """,
            new { salt, ttl, now = nowMs, claimExpires, project = queue.Project, name = queue.Name }, t);
        if (row.Id == 0)
        {
            return null;
        }

        var messages = c.Rows(TakeClaimable,
            new { claim = row.Id, salt, claimExpires, ttl, grace, queueId = row.QueueId, after = 0, now = nowMs, limit }, MessageRow.Read, t);
        if (messages.Count == 0)
        {
            // Nothing to claim: no claim either (its id stays unused; ids need only grow).
            c.Exec("DELETE FROM claims WHERE id = @claim", new { claim = row.Id }, t);
            return null;
        }

        messages.Sort((a, b) => a.Marker.CompareTo(b.Marker));
        return new ClaimData(Ids.ClaimId(row.Id, salt), ttl, now, messages.Select(m => m.ToStored()).ToList());
    }

    /// <summary>Gives claim <c>@claim</c> the oldest claimable messages and returns them as <see cref="MessageRow"/>s, in no order.</summary>
    private const string TakeClaimable = $"""
        {Sql.ExtendClaimed}, claim_count = claim_count + 1
        WHERE marker IN (SELECT Marker FROM ({Sql.Claimable}))
        RETURNING marker AS Marker, ttl AS Ttl, created AS Created, body AS Body, claim_count AS ClaimCount,
                  encrypted AS Encrypted, @claim AS ClaimRowId, @salt AS ClaimSalt, group_id, dedup_id
        """;

    public Task<ClaimData?> GetAsync(QueueRef queue, string claimId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseClaimId(claimId, out var claim, out var salt))
        {
            return Task.FromResult<ClaimData?>(null);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        return driver.ReadAsync("Claim lookup", c =>
        {
            using var transaction = c.BeginTransaction(deferred: true);
            var row = c.Row<(long Id, long Ttl, long Updated)>(
                LiveClaim, new { claim, salt, now = nowMs, project = queue.Project, name = queue.Name }, transaction);
            if (row.Id == 0)
            {
                return null;
            }

            var messages = ReadMessages(c, transaction, claim, nowMs);
            // A claim whose messages were all deleted is treated as gone (contract 5.4).
            return messages.Count == 0
                ? null
                : new ClaimData(claimId, (int)row.Ttl, DateTimeOffset.FromUnixTimeMilliseconds(row.Updated), messages);
        });
    }

    public Task<bool> UpdateAsync(
        QueueRef queue, string claimId, int ttl, int grace, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseClaimId(claimId, out var claim, out var salt))
        {
            return Task.FromResult(false);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var claimExpires = nowMs + ttl * 1000L;
        return driver.WriteAsync("Claim renewal", (c, t) =>
        {
            var row = c.Row<(long Id, long Ttl, long Updated)>(
                LiveClaim, new { claim, salt, now = nowMs, project = queue.Project, name = queue.Name }, t);
            if (row.Id == 0)
            {
                return false;
            }

            var extended = c.Exec(Sql.ExtendClaimed + " WHERE claim_id = @claim AND expires > @now",
                new { claim, claimExpires, ttl, grace, now = nowMs }, t);
            if (extended == 0)
            {
                return false; // every message of the claim is gone: the claim is treated as gone
            }

            c.Exec("UPDATE claims SET ttl = @ttl, updated = @now, expires = @claimExpires WHERE id = @claim",
                new { claim, ttl, now = nowMs, claimExpires }, t);
            return true;
        });
    }

    public Task DeleteAsync(QueueRef queue, string claimId, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseClaimId(claimId, out var claim, out var salt))
        {
            return Task.CompletedTask;
        }

        return driver.WriteAsync("Claim release", (c, t) =>
        {
            var found = c.Scalar<long?>(
                $"SELECT id FROM claims WHERE id = @claim AND salt = @salt AND queue_id = ({Sql.QueueId})",
                new { claim, salt, project = queue.Project, name = queue.Name }, t);
            if (found is null)
            {
                return 0;
            }

            // Messages become free at once; extensions already given stay (contract 3.19).
            c.Exec("UPDATE messages SET claim_id = NULL, claim_expires = NULL WHERE claim_id = @claim", new { claim }, t);
            return c.Exec("DELETE FROM claims WHERE id = @claim", new { claim }, t);
        });
    }

    private static List<StoredMessage> ReadMessages(SqliteConnection c, SqliteTransaction t, long claim, long now) =>
        c.Rows(ClaimedMessages, new { claim, now }, MessageRow.Read, t).Select(m => m.ToStored()).ToList();
}
