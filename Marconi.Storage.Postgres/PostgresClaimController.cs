using Marconi.Core;
using Marconi.Core.Storage;
using Npgsql;
using static Marconi.Storage.Postgres.PostgresRows;

namespace Marconi.Storage.Postgres;

/// <summary>
/// Claims. No message is in two live claims because a claim takes a row only under its row lock,
/// skipping rows others hold, and a row whose claim committed after this statement's snapshot is
/// re-checked in its newest version (READ COMMITTED re-evaluates a locking scan's conditions) and
/// dropped. A claim row lists its messages' markers, so no index on messages.claim_id is needed and
/// claim updates of messages can stay HOT. Lock order everywhere: queue row, claim row, message rows.
/// Messages with a group (<see cref="NewMessage.Group"/>) are claimed only in a transaction holding the
/// queue's group lock (<see cref="LockGroups"/>), taken after the dead-letter queue's row and before any
/// message row: the one-statement claim gives up, claiming nothing, when it picks one. A claim holding
/// grouped messages is renewed under that lock too (group lock, claim row, message rows), so a grouped
/// claim never judges a group free while a renewal makes it held again; the lock is transaction-scoped,
/// so PgBouncer's transaction pooling keeps it whole.
/// </summary>
internal sealed class PostgresClaimController : IClaimController
{
    /// <summary>Most messages one claim moves to a dead-letter queue, as in the SQLite driver.</summary>
    internal const int MaxMovesPerClaim = 1000;

    private readonly PostgresDataDriver _driver;
    private readonly string _claim;
    private readonly string _claimUnlessTired;
    private readonly string _claimEach;
    private readonly string _claimEachUnlessTired;
    private readonly string _lockGroups;
    private readonly string _get;
    private readonly string _update;
    private readonly string _release;
    private readonly string _lockDeadLetterQueue;
    private readonly string _createDeadLetterQueue;
    private readonly string _lockPicked;
    private readonly string _updateUngrouped;
    private readonly PostgresGroupScan _scan;
    private readonly string _moveToDeadLetter;
    private readonly string _claimMarkers;
    private readonly string _dropQueue;

    public PostgresClaimController(PostgresDataDriver driver)
    {
        _driver = driver;
        var s = driver.S;
        _claim = Claim(s, deadLetter: false);
        _claimUnlessTired = Claim(s, deadLetter: true);
        _claimEach = Claim(s, deadLetter: false, each: true);
        _claimEachUnlessTired = Claim(s, deadLetter: true, each: true);
        _lockGroups = LockGroups(driver.Schema);
        _scan = new PostgresGroupScan(s);
        _get = $"""
            SELECT {MessageColumns}, k.ttl, k.updated FROM {s}.claims AS k
            JOIN {s}.messages AS m ON m.queue_id = k.queue_id AND m.marker = ANY(k.markers)
            WHERE k.id = @claim AND k.salt = @salt AND k.expires > @now AND k.queue_id = {QueueId(s)}
              AND m.claim_id = k.id AND m.expires > @now
            """;
        // The live claim row is locked first; its live messages are extended, and the claim row renewed
        // only when there was one: a claim whose messages are all gone is gone (contract 5.4). A claim
        // holding grouped messages is renewed only under the queue's group lock (taken before the claim
        // row, as a grouped claim takes it before message rows): else a grouped claim could judge a
        // group free on a snapshot in which this claim had just ended, while the renewal holds it again.
        _update = Renew(s, grouped: null);
        // The renewal without the group lock: only for a claim without grouped messages; says (g)
        // when there are some, and then changes nothing.
        _updateUngrouped = Renew(s, grouped: false);
        // Deleting the claim row locks it first; its messages are free at once, where this claim still
        // holds them. Extensions already given stay (contract 3.19).
        _release = $"""
            WITH k AS (
                DELETE FROM {s}.claims WHERE id = @claim AND salt = @salt AND queue_id = {QueueId(s)}
                RETURNING id, queue_id, markers)
            UPDATE {s}.messages AS m SET claim_id = NULL, claim_expires = NULL
            FROM k WHERE m.queue_id = k.queue_id AND m.marker = ANY(k.markers) AND m.claim_id = k.id
            """;
        _lockDeadLetterQueue = $"SELECT id FROM {s}.queues WHERE project = @project AND name = @name FOR NO KEY UPDATE";
        _createDeadLetterQueue = $"INSERT INTO {s}.queues (project, name, created) VALUES (@project, @name, @now) ON CONFLICT (project, name) DO NOTHING";
        // The rows the scan chose (PostgresGroupScan), locked in order under the group lock and re-checked
        // in their newest version: one a delete or an ungrouped claim took meanwhile is dropped. Waiting
        // here, not skipping: those others hold a row for one statement and wait for nothing this holds.
        _lockPicked = $"""
            SELECT m.marker, m.claim_count FROM {s}.messages AS m
            WHERE m.queue_id = @queueId AND m.marker = ANY(@markers) AND m.expires > @now AND {Visible} AND {Free}
            ORDER BY m.marker
            FOR UPDATE
            """;
        // A moved message is a new row at the dead-letter queue's tail (new marker, so new id) that keeps
        // body, client, creation time and claim count, is free, and takes the dead-letter TTL if any.
        // Markers are drawn under the dead-letter queue's row lock, as a post draws them.
        _moveToDeadLetter = MoveRows(s, "@queueId", "@deadLetterQueueId", "coalesce(@deadLetterTtl::integer, t.ttl)",
            "CASE WHEN @deadLetterTtl::integer IS NULL THEN t.expires ELSE @now + @deadLetterTtl::integer * 1000::bigint END",
            "t.claim_count");
        _claimMarkers = $"""
            WITH k AS (
                INSERT INTO {s}.claims (id, salt, queue_id, ttl, updated, expires, markers)
                VALUES (nextval('{s}.claim_ids'), @salt, @queueId, @ttl, @now, @claimExpires, @markers)
                RETURNING id)
            {ExtendClaimed(s)}, claim_count = m.claim_count + 1
            FROM k WHERE m.queue_id = @queueId AND m.marker = ANY(@markers)
            RETURNING m.marker, m.ttl, m.created, m.body, m.claim_count, m.encrypted, k.id, @salt, m.group_id, m.dedup_id
            """;
        _dropQueue = $"DELETE FROM {s}.queues WHERE id = @id";
    }

    /// <summary>
    /// The renewal in one statement: the live claim row locked, its live messages extended, the claim row
    /// renewed when there was one; returns (claims renewed, whether the claim holds grouped messages).
    /// With <paramref name="grouped"/> false it changes nothing for a claim that holds grouped messages.
    /// </summary>
    private static string Renew(string s, bool? grouped) => $"""
        WITH k AS (
            SELECT id, queue_id, markers FROM {s}.claims
            WHERE id = @claim AND salt = @salt AND expires > @now AND queue_id = {QueueId(s)}
            FOR UPDATE),
        g AS (
            SELECT EXISTS (
                SELECT 1 FROM k JOIN {s}.messages AS m ON m.queue_id = k.queue_id AND m.marker = ANY(k.markers)
                WHERE m.claim_id = k.id AND m.group_id IS NOT NULL) AS grouped),
        u AS (
            {ExtendClaimed(s)}
            FROM k WHERE m.queue_id = k.queue_id AND m.marker = ANY(k.markers) AND m.claim_id = k.id AND m.expires > @now
              {(grouped == false ? "AND NOT (SELECT grouped FROM g)" : "")}
            RETURNING 1),
        r AS (
            UPDATE {s}.claims AS c SET ttl = @ttl, updated = @now, expires = @claimExpires
            FROM k WHERE c.id = k.id AND EXISTS (SELECT 1 FROM u)
            RETURNING 1)
        SELECT (SELECT count(*) FROM r), (SELECT grouped FROM g)
        """;

    /// <summary>
    /// Applies a claim to its messages (contract 5.4), as the SQLite driver's Sql.ExtendClaimed: each gets
    /// the claim's id and expiry, and those that would expire before the claim live until
    /// <c>claimExpires + grace</c> with <c>ttl = claimTtl + grace</c>. Every SET reads the old row.
    /// </summary>
    private static string ExtendClaimed(string s) => $"""
        UPDATE {s}.messages AS m
        SET claim_id = k.id,
            claim_expires = @claimExpires,
            ttl = CASE WHEN m.expires < @claimExpires THEN @ttl + @grace ELSE m.ttl END,
            expires = CASE WHEN m.expires < @claimExpires THEN @claimExpires + @grace * 1000::bigint ELSE m.expires END
        """;

    /// <summary>
    /// A claim in one statement: the oldest claimable rows of the queue, walked in (queue_id, marker)
    /// order and taken under their row locks (rows others hold are skipped); a claim row listing them;
    /// the messages updated. No row, no claim. With <paramref name="deadLetter"/>, nothing is claimed
    /// when a picked message has reached @maxClaimCount (the caller then moves it under the dead-letter
    /// queue's lock), and the statement says so in <c>tired.n</c>. Nothing is claimed either when a
    /// picked message has a group (<c>tired.g</c>): the group rule needs the group lock, which the
    /// caller then takes. With <paramref name="each"/>, every picked message gets a claim row of its
    /// own, its salt the picked row's place in <c>@salts</c>.
    /// </summary>
    internal static string Claim(string s, bool deadLetter, bool each = false) => $"""
        WITH picked AS (
            SELECT m.queue_id, m.marker, m.claim_count, m.group_id FROM {s}.messages AS m
            WHERE m.queue_id = {QueueId(s)} AND m.expires > @now AND {Visible} AND {Free}
            ORDER BY m.marker LIMIT @limit
            FOR UPDATE SKIP LOCKED),
        tired AS (
            SELECT {(deadLetter ? "count(*) FILTER (WHERE claim_count >= @maxClaimCount)" : "0::bigint")} AS n,
                   count(*) FILTER (WHERE group_id IS NOT NULL) AS g
            FROM picked),
        {(each ? $"""
        k AS (
            INSERT INTO {s}.claims (id, salt, queue_id, ttl, updated, expires, markers)
            SELECT nextval('{s}.claim_ids'), (@salts::bigint[])[n.ord], n.queue_id, @ttl, @now, @claimExpires, ARRAY[n.marker]
            FROM (SELECT p.queue_id, p.marker, row_number() OVER (ORDER BY p.marker) AS ord FROM picked AS p) AS n
            WHERE (SELECT n + g FROM tired) = 0
            RETURNING id, salt, markers[1] AS marker),
        u AS (
            {ExtendClaimed(s)}, claim_count = m.claim_count + 1
            FROM picked AS p, k WHERE m.queue_id = p.queue_id AND m.marker = p.marker AND k.marker = p.marker
            RETURNING m.marker, m.ttl, m.created, m.body, m.claim_count, m.encrypted, k.id, k.salt, m.group_id, m.dedup_id)
        """ : $"""
        k AS (
            INSERT INTO {s}.claims (id, salt, queue_id, ttl, updated, expires, markers)
            SELECT nextval('{s}.claim_ids'), @salt, min(queue_id), @ttl, @now, @claimExpires, array_agg(marker)
            FROM picked WHERE (SELECT n + g FROM tired) = 0
            HAVING count(*) > 0
            RETURNING id),
        u AS (
            {ExtendClaimed(s)}, claim_count = m.claim_count + 1
            FROM picked AS p, k WHERE m.queue_id = p.queue_id AND m.marker = p.marker
            RETURNING m.marker, m.ttl, m.created, m.body, m.claim_count, m.encrypted, k.id, @salt AS salt, m.group_id, m.dedup_id)
        """)}
        SELECT u.*, tired.n, tired.g FROM tired LEFT JOIN u ON true
        """;

    public async Task<ClaimData?> CreateAsync(
        QueueRef queue, int ttl, int grace, int limit, DateTimeOffset now, CancellationToken cancellationToken,
        DeadLetterPolicy? deadLetter = null)
    {
        var claims = await CreateClaimsAsync(queue, ttl, grace, limit, each: false, now, cancellationToken, deadLetter);
        return claims.Count == 0 ? null : claims[0];
    }

    /// <summary>
    /// One claim per message, the messages chosen as one claim of <paramref name="count"/> would choose
    /// them (the group rule judged before any of them is claimed), all in one statement or transaction.
    /// </summary>
    public Task<IReadOnlyList<ClaimData>> CreateEachAsync(
        QueueRef queue, int ttl, int grace, int count, DateTimeOffset now, CancellationToken cancellationToken,
        DeadLetterPolicy? deadLetter = null) =>
        CreateClaimsAsync(queue, ttl, grace, count, each: true, now, cancellationToken, deadLetter);

    /// <summary>
    /// One claim of up to <paramref name="limit"/> messages, or with <paramref name="each"/> a claim for
    /// each of up to <paramref name="limit"/> messages, in FIFO order; empty when nothing was claimed.
    /// </summary>
    private async Task<IReadOnlyList<ClaimData>> CreateClaimsAsync(
        QueueRef queue, int ttl, int grace, int limit, bool each, DateTimeOffset now, CancellationToken cancellationToken,
        DeadLetterPolicy? deadLetter)
    {
        if (limit <= 0)
        {
            return [];
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var claimExpires = nowMs + ttl * 1000L;
        // A queue that dead-letters into itself would move the same messages to its tail forever.
        var policy = deadLetter is not null && deadLetter.DeadLetterQueue != queue.Name ? deadLetter : null;

        var (messages, tired, grouped) = await _driver.RunAsync("Claim creation", async c =>
        {
            var sql = each
                ? policy is null ? _claimEach : _claimEachUnlessTired
                : policy is null ? _claim : _claimUnlessTired;
            await using var command = c.Command(sql).WithQueue(queue)
                .With("now", nowMs).With("limit", limit).With("ttl", ttl).With("grace", grace)
                .With("claimExpires", claimExpires).With("maxClaimCount", policy?.MaxClaimCount ?? 0);
            if (each)
            {
                command.With("salts", Enumerable.Range(0, limit).Select(_ => Ids.NewSalt()).ToArray());
            }
            else
            {
                command.With("salt", Ids.NewSalt());
            }

            var rows = new List<(long Marker, StoredMessage Message)>();
            long tired = 0, grouped = 0;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tired = reader.GetInt64(MessageColumnCount);
                grouped = reader.GetInt64(MessageColumnCount + 1);
                if (!reader.IsDBNull(0))
                {
                    rows.Add(Row(reader));
                }
            }

            return (Sorted(rows), tired, grouped);
        }, cancellationToken);

        if (messages.Count > 0)
        {
            return Claims(messages, ttl, now);
        }

        if ((tired == 0 || policy is null) && grouped == 0)
        {
            return [];
        }

        // Some picked messages must move first, or have a group: again, in a transaction that locks the
        // dead-letter queue's row, then the queue's group lock, before any message row (the lock order).
        return await _driver.TransactAsync("Claim creation", (c, t) =>
            ClaimLockedAsync(c, t, queue, policy, ttl, grace, limit, each, nowMs, claimExpires, now, cancellationToken), cancellationToken);
    }

    /// <summary>The claims of <paramref name="messages"/> (FIFO order), one per claim id, in FIFO order.</summary>
    private static List<ClaimData> Claims(List<StoredMessage> messages, int ttl, DateTimeOffset now) =>
        messages.GroupBy(m => m.ClaimId!).Select(g => new ClaimData(g.Key, ttl, now, g.ToList())).ToList();

    /// <summary>
    /// The claim with moves and the group rule, as the SQLite driver does it: select the oldest claimable
    /// messages in order, move those claimed <see cref="DeadLetterPolicy.MaxClaimCount"/> times to the
    /// dead-letter queue's tail, and select again after the last one seen until the claim holds its limit
    /// or nothing is left. The dead-letter queue is created if missing, and dropped again in this
    /// transaction when nothing moved. Every selection judges the group rule before any message of this
    /// claim is claimed, so a free group gives its next messages together, under the group lock, which
    /// every other claimer of grouped messages of the queue waits for.
    /// </summary>
    private async Task<IReadOnlyList<ClaimData>> ClaimLockedAsync(
        NpgsqlConnection c, NpgsqlTransaction t, QueueRef queue, DeadLetterPolicy? policy, int ttl, int grace, int limit,
        bool each, long nowMs, long claimExpires, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var createdDeadLetterQueue = false;
        long? deadLetterQueueId = null;
        if (policy is not null)
        {
            var deadLetterQueue = new QueueRef(queue.Project, policy.DeadLetterQueue);
            // Only a delete of the queue committed between the two statements leaves no row to lock; then again.
            for (var attempt = 0; deadLetterQueueId is null; attempt++)
            {
                if (attempt == 3)
                {
                    throw Errors.StorageUnavailable("Claim creation");
                }

                await using (var create = c.Command(_createDeadLetterQueue, t).WithQueue(deadLetterQueue).With("now", nowMs))
                {
                    createdDeadLetterQueue |= await create.ExecuteNonQueryAsync(cancellationToken) == 1;
                }

                await using var lockQueue = c.Command(_lockDeadLetterQueue, t).WithQueue(deadLetterQueue);
                deadLetterQueueId = await lockQueue.ExecuteScalarAsync(cancellationToken) as long?;
            }
        }

        await using (var lockGroups = c.Command(_lockGroups, t).WithQueue(queue))
        {
            await lockGroups.ExecuteNonQueryAsync(cancellationToken);
        }

        var markers = new List<long>(limit);
        var chosen = new HashSet<long>();
        long queueId = 0;
        var moved = 0;
        // Moves are bounded per claim so one claim never holds the dead-letter queue for a whole queue;
        // the next claim goes on where this one stopped. After a move the group's next message may follow.
        for (var round = 0; markers.Count < limit && moved < MaxMovesPerClaim && round < 64; round++)
        {
            var wanted = limit - markers.Count;
            var (id, picked) = await _scan.SelectAsync(c, t, queue, nowMs, wanted, chosen, cancellationToken);
            if (picked.Count == 0)
            {
                break;
            }

            queueId = id;
            var tired = new List<long>();
            await using (var select = c.Command(_lockPicked, t)
                .With("queueId", queueId).With("markers", picked.ToArray()).With("now", nowMs))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var marker = reader.GetInt64(0);
                    var target = policy is not null && reader.GetInt32(1) >= policy.MaxClaimCount ? tired : markers;
                    target.Add(marker);
                    chosen.Add(marker);
                }
            }

            if (tired.Count > 0)
            {
                await using var move = c.Command(_moveToDeadLetter, t)
                    .With("queueId", queueId).With("markers", tired.ToArray()).With("deadLetterQueueId", deadLetterQueueId!.Value)
                    .With("deadLetterTtl", policy!.DeadLetterTtl).With("now", nowMs);
                await move.ExecuteNonQueryAsync(cancellationToken);
                moved += tired.Count;
            }

            if (picked.Count < wanted)
            {
                break; // nothing else is claimable
            }
        }

        markers.Sort();
        if (moved == 0 && createdDeadLetterQueue)
        {
            // Nothing moved after all (the messages went meanwhile): the queue this made was never seen.
            await using var drop = c.Command(_dropQueue, t).With("id", deadLetterQueueId!.Value);
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        var claims = new List<ClaimData>();
        foreach (var group in each ? markers.Select(m => new[] { m }) : markers.Count == 0 ? [] : [markers.ToArray()])
        {
            await using var claim = c.Command(_claimMarkers, t)
                .With("salt", Ids.NewSalt()).With("queueId", queueId).With("ttl", ttl).With("grace", grace).With("now", nowMs)
                .With("claimExpires", claimExpires).With("markers", group);
            var messages = await ReadAsync(claim, cancellationToken);
            claims.Add(new ClaimData(messages[0].ClaimId!, ttl, now, messages));
        }

        return claims;
    }

    public Task<ClaimData?> GetAsync(QueueRef queue, string claimId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseClaimId(claimId, out var claim, out var salt))
        {
            return Task.FromResult<ClaimData?>(null);
        }

        return _driver.RunAsync("Claim lookup", async c =>
        {
            await using var command = c.Command(_get).WithQueue(queue)
                .With("claim", claim).With("salt", salt).With("now", now.ToUnixTimeMilliseconds());
            var rows = new List<(long Marker, StoredMessage Message)>();
            int ttl = 0;
            long updated = 0;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(Row(reader));
                    ttl = reader.GetInt32(MessageColumnCount);
                    updated = reader.GetInt64(MessageColumnCount + 1);
                }
            }

            // A claim whose messages were all deleted is treated as gone (contract 5.4).
            return rows.Count == 0
                ? null
                : new ClaimData(claimId, ttl, DateTimeOffset.FromUnixTimeMilliseconds(updated), Sorted(rows));
        }, cancellationToken);
    }

    public async Task<bool> UpdateAsync(
        QueueRef queue, string claimId, int ttl, int grace, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseClaimId(claimId, out var claim, out var salt))
        {
            return false;
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        return await _driver.RunAsync("Claim renewal", async c =>
        {
            await using var command = c.Command(_updateUngrouped).WithQueue(queue)
                .With("claim", claim).With("salt", salt).With("now", nowMs).With("ttl", ttl).With("grace", grace)
                .With("claimExpires", nowMs + ttl * 1000L);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return (Renewed: reader.GetInt64(0) == 1, Grouped: reader.GetBoolean(1));
        }, cancellationToken) is { Grouped: false } done
            ? done.Renewed
            : await _driver.TransactAsync("Claim renewal", async (c, t) =>
            {
                await using (var lockGroups = c.Command(_lockGroups, t).WithQueue(queue))
                {
                    await lockGroups.ExecuteNonQueryAsync(cancellationToken);
                }

                await using var command = c.Command(_update, t).WithQueue(queue)
                    .With("claim", claim).With("salt", salt).With("now", nowMs).With("ttl", ttl).With("grace", grace)
                    .With("claimExpires", nowMs + ttl * 1000L);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                return reader.GetInt64(0) == 1;
            }, cancellationToken);
    }

    public Task DeleteAsync(QueueRef queue, string claimId, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseClaimId(claimId, out var claim, out var salt))
        {
            return Task.CompletedTask;
        }

        return _driver.RunAsync("Claim release", async c =>
        {
            await using var command = c.Command(_release).WithQueue(queue).With("claim", claim).With("salt", salt);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }
}
