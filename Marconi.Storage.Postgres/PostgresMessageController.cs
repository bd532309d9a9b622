using Marconi.Core;
using Marconi.Core.Storage;
using Npgsql;
using static Marconi.Storage.Postgres.PostgresRows;

namespace Marconi.Storage.Postgres;

/// <summary>
/// Messages. FIFO across hosts rests on the post: it locks the queue row before it draws markers from
/// the server-wide sequence and holds the lock until its commit is visible, so within a queue marker
/// order is visibility order and a reader paging by marker never steps over a message that commits
/// later. A host's concurrent posts to one queue share one such statement (<see cref="PostgresPostCombiner"/>),
/// so one lock hold and one commit flush serve many posts. Everything else reads or removes rows by the queue's current id, found by name in a scalar
/// subquery, so rows of a deleted or purged queue (old ids) are never seen again.
/// </summary>
internal sealed class PostgresMessageController : IMessageController
{
    private readonly PostgresDataDriver _driver;
    private readonly string _post;
    private readonly string _createQueue;
    private readonly string _page;
    private readonly string _getMany;
    private readonly string _deleteFree;
    private readonly string _deleteHeld;
    private readonly string _lockMessage;
    private readonly string _namedClaim;
    private readonly string _deleteMany;
    private readonly string _pop;
    private readonly string _nextClaimable;
    private readonly string _volume;
    private readonly string _lockTarget;
    private readonly string _movable;
    private readonly string _move;
    private readonly PostgresPostCombiner _combiner;

    public PostgresMessageController(PostgresDataDriver driver)
    {
        _driver = driver;
        var s = driver.S;
        _post = Post(s);
        _combiner = new PostgresPostCombiner(PostManyAsync, driver.MaxPendingPosts);
        _createQueue = $"INSERT INTO {s}.queues (project, name, created) VALUES (@project, @name, @created) ON CONFLICT (project, name) DO NOTHING";
        _page = $"""
            SELECT {MessageColumns} FROM {s}.messages AS m {LiveClaim(s)}
            WHERE m.queue_id = {QueueId(s)} AND m.marker > @after AND m.expires > @now
              AND (@echo OR m.client_id <> @client)
              AND (@includeClaimed OR {Free})
              AND (@includeDelayed OR {Visible})
            ORDER BY m.marker LIMIT @limit
            """;
        _getMany = $"""
            SELECT {MessageColumns} FROM {s}.messages AS m {LiveClaim(s)}
            WHERE m.queue_id = {QueueId(s)} AND m.marker = ANY(@markers) AND m.expires > @now
            """;
        // Contract 3.14 row 2 in one statement. A claimer holding the row makes this wait, and the
        // re-check of the newest version then finds it held and deletes nothing.
        _deleteFree = $"""
            DELETE FROM {s}.messages AS m
            WHERE m.queue_id = {QueueId(s)} AND m.marker = @marker AND m.expires > @now AND {Free}
            """;
        // Row 5 in one statement: held by the live claim named, of this queue, with its salt.
        _deleteHeld = $"""
            DELETE FROM {s}.messages AS m
            WHERE m.queue_id = {QueueId(s)} AND m.marker = @marker AND m.expires > @now
              AND m.claim_id = @claim AND m.claim_expires > @now
              AND EXISTS (SELECT 1 FROM {s}.claims AS k WHERE k.id = @claim AND k.salt = @salt AND k.queue_id = m.queue_id AND k.expires > @now)
            """;
        _lockMessage = $"""
            SELECT m.queue_id, m.claim_id, m.claim_expires FROM {s}.messages AS m
            WHERE m.queue_id = {QueueId(s)} AND m.marker = @marker AND m.expires > @now
            FOR UPDATE
            """;
        _namedClaim = $"SELECT count(*) FROM {s}.claims WHERE id = @claim AND salt = @salt AND queue_id = @queueId AND expires > @now";
        _deleteMany = $"DELETE FROM {s}.messages WHERE queue_id = {QueueId(s)} AND marker = ANY(@markers)";
        // Like a claim: the oldest claimable rows under their row locks, skipping rows other claims
        // and pops hold, so no message is popped twice; removed and returned in one statement.
        _pop = $"""
            DELETE FROM {s}.messages AS m
            WHERE (m.queue_id, m.marker) IN (
                SELECT m.queue_id, m.marker FROM {s}.messages AS m
                WHERE m.queue_id = {QueueId(s)} AND m.expires > @now AND {Visible} AND {Free}
                ORDER BY m.marker LIMIT @limit
                FOR UPDATE SKIP LOCKED)
            RETURNING m.marker, m.ttl, m.created, m.body, m.claim_count, m.encrypted, NULL::bigint, NULL::bigint
            """;
        // Now when a message is claimable; else the earliest time one becomes so (its delay ends, its
        // claim expires); null when the queue holds no unexpired message or does not exist.
        _nextClaimable = $"""
            SELECT CASE
                WHEN EXISTS (
                    SELECT 1 FROM {s}.messages AS m
                    WHERE m.queue_id = {QueueId(s)} AND m.expires > @now AND {Visible} AND {Free})
                THEN @now
                ELSE (
                    SELECT min(greatest(m.visible_at, CASE WHEN m.claim_expires > @now THEN m.claim_expires ELSE 0 END))
                    FROM {s}.messages AS m
                    WHERE m.queue_id = {QueueId(s)} AND m.expires > @now)
            END
            """;
        // Counted on demand (no per-queue counter row every delete would update). Rows of deleted or
        // purged queues, which the collector has not removed yet, belong to no current queue id.
        _volume = $"""
            SELECT count(*), count(*) FILTER (WHERE m.claim_expires > @now) FROM {s}.messages AS m
            WHERE m.expires > @now AND m.queue_id IN (SELECT id FROM {s}.queues)
            """;
        // A move locks the target queue's row before it draws markers, as a post does.
        _lockTarget = $"SELECT id FROM {s}.queues WHERE project = @project AND name = @target FOR NO KEY UPDATE";
        // The oldest free rows of the source, delayed ones too, locked in order and waited for where
        // others hold them (a claim, pop or delete holds them for one statement): skipping one would
        // move those after it first. A row a claim took meanwhile is re-checked, found held and dropped.
        _movable = $"""
            SELECT m.queue_id, m.marker FROM {s}.messages AS m
            WHERE m.queue_id = {QueueId(s)} AND m.expires > @now AND {Free}
            ORDER BY m.marker LIMIT @limit
            FOR UPDATE
            """;
        // As the dead-letter move (PostgresClaimController), to the target's tail in order: free,
        // claim count 0, everything else as it was.
        _move = MoveRows(s, "@sourceId", "@targetId", "t.ttl", "t.expires", "0");
    }

    /// <summary>The page statement, for plan tests.</summary>
    internal string PageStatement => _page;

    /// <summary>The pop statement, for plan tests.</summary>
    internal string PopStatement => _pop;

    /// <summary>This host's combiner of concurrent posts to one queue, for tests.</summary>
    internal PostgresPostCombiner Combiner => _combiner;

    /// <summary>
    /// The post, one statement, for one or many posts (<see cref="PostgresPostCombiner"/>): lock the
    /// queue row (waiting for any post in flight), then draw one marker per message, then insert. The
    /// lock comes before the first marker and is held to commit, so within a queue marker order is
    /// commit order; the k-th smallest marker goes to the k-th row. Each row carries its post's client
    /// and creation time. A missing queue locks no row, draws no marker and inserts nothing. A queue
    /// deleted or purged while this waited is re-checked in its newest version and found gone (or
    /// renamed to a new id, which the post then follows).
    /// </summary>
    internal static string Post(string s) => $"""
        WITH q AS (SELECT id FROM {s}.queues WHERE project = @project AND name = @name FOR NO KEY UPDATE),
        k AS (
            SELECT row_number() OVER (ORDER BY n.marker) AS ord, n.marker
            FROM (SELECT nextval('{s}.markers') AS marker FROM q, generate_series(1, @count)) AS n)
        INSERT INTO {s}.messages (queue_id, marker, client_id, ttl, created, expires, visible_at, encrypted, body)
        SELECT q.id, k.marker, u.client, u.ttl, u.created, u.created + u.ttl * 1000::bigint,
               CASE WHEN u.delay = 0 THEN 0 ELSE u.created + u.delay * 1000::bigint END, u.encrypted, u.body
        FROM q
        CROSS JOIN unnest(@clients::uuid[], @created::bigint[], @ttls::integer[], @delays::integer[], @encrypted::boolean[], @bodies::bytea[])
            WITH ORDINALITY AS u(client, created, ttl, delay, encrypted, body, ord)
        JOIN k ON k.ord = u.ord
        RETURNING marker
        """;

    public async Task<IReadOnlyList<string>?> PostAsync(
        QueueRef queue, IReadOnlyList<NewMessage> messages, Guid clientId, DateTimeOffset now,
        CancellationToken cancellationToken, bool createQueue = false)
    {
        if (messages.Count == 0)
        {
            // Nothing to insert, so nothing tells an existing queue from a missing one but a look.
            var exists = createQueue
                ? await _driver.Queues.CreateAsync(queue, now, cancellationToken) || await _driver.Queues.ExistsAsync(queue, cancellationToken)
                : await _driver.Queues.ExistsAsync(queue, cancellationToken);
            return exists ? [] : null;
        }

        // With createQueue, a queue deleted between its creation (or finding it) and the lock leaves
        // nothing to lock: then again, a bounded number of times.
        for (var attempt = 0; ; attempt++)
        {
            var post = new PostgresPostCombiner.Post(messages, clientId, now.ToUnixTimeMilliseconds(), cancellationToken);
            var ids = await _combiner.PostAsync(queue, createQueue, post);
            if (ids is not null || !createQueue)
            {
                return ids;
            }

            if (attempt == 2)
            {
                throw Errors.StorageUnavailable("Message post");
            }
        }
    }

    /// <summary>
    /// One statement for <paramref name="posts"/>, their messages in order: the markers sorted, or
    /// null when the queue does not exist. Not cancellable: it carries other callers' posts.
    /// </summary>
    private Task<List<long>?> PostManyAsync(QueueRef queue, bool createQueue, IReadOnlyList<PostgresPostCombiner.Post> posts)
    {
        var count = posts.Sum(p => p.Messages.Count);
        var clients = new Guid[count];
        var created = new long[count];
        var ttls = new int[count];
        var delays = new int[count];
        var encrypted = new bool[count];
        var bodies = new byte[count][];
        var i = 0;
        foreach (var post in posts)
        {
            foreach (var message in post.Messages)
            {
                clients[i] = post.ClientId;
                created[i] = post.Created;
                ttls[i] = message.Ttl;
                delays[i] = message.Delay;
                encrypted[i] = message.Encrypted;
                bodies[i] = message.Body;
                i++;
            }
        }

        return _driver.RunAsync<List<long>?>("Message post", async c =>
        {
            // With createQueue, one batch: PostgreSQL runs a batch as one implicit transaction, so a post
            // that fails creates no queue either, and the post (a later statement, a later snapshot)
            // sees the queue the insert made or found.
            await using var batch = new NpgsqlBatch(c);
            if (createQueue)
            {
                var create = new NpgsqlBatchCommand(_createQueue);
                create.Parameters.AddWithValue("project", queue.Project);
                create.Parameters.AddWithValue("name", queue.Name);
                create.Parameters.AddWithValue("created", posts[0].Created);
                batch.BatchCommands.Add(create);
            }

            var post = new NpgsqlBatchCommand(_post);
            post.Parameters.AddWithValue("project", queue.Project);
            post.Parameters.AddWithValue("name", queue.Name);
            post.Parameters.AddWithValue("count", count);
            post.Parameters.AddWithValue("clients", clients);
            post.Parameters.AddWithValue("created", created);
            post.Parameters.AddWithValue("ttls", ttls);
            post.Parameters.AddWithValue("delays", delays);
            post.Parameters.AddWithValue("encrypted", encrypted);
            post.Parameters.AddWithValue("bodies", bodies);
            batch.BatchCommands.Add(post);

            var markers = new List<long>(count);
            await using (var reader = await batch.ExecuteReaderAsync(CancellationToken.None))
            {
                do
                {
                    while (await reader.ReadAsync(CancellationToken.None))
                    {
                        markers.Add(reader.GetInt64(0));
                    }
                }
                while (await reader.NextResultAsync(CancellationToken.None));
            }

            if (markers.Count == 0)
            {
                return null;
            }

            // RETURNING promises no order; the k-th smallest marker is the k-th row's.
            markers.Sort();
            return markers;
        }, CancellationToken.None);
    }

    public Task<IReadOnlyList<StoredMessage>> ListAsync(
        QueueRef queue, MessageListQuery query, DateTimeOffset now, CancellationToken cancellationToken)
    {
        long after = 0;
        if (query.Marker is not null && !Ids.TryParseMarker(query.Marker, out after))
        {
            // A marker we did not issue names no position: an empty page, never a restart.
            return Task.FromResult<IReadOnlyList<StoredMessage>>([]);
        }

        return _driver.RunAsync<IReadOnlyList<StoredMessage>>("Message listing", async c =>
        {
            await using var command = c.Command(_page).WithQueue(queue)
                .With("after", after)
                .With("now", now.ToUnixTimeMilliseconds())
                .With("echo", query.Echo)
                .With("client", query.ClientId)
                .With("includeClaimed", query.IncludeClaimed)
                .With("includeDelayed", query.IncludeDelayed)
                .With("limit", query.Limit);
            return await ReadAsync(command, cancellationToken);
        }, cancellationToken);
    }

    public async Task<StoredMessage?> GetAsync(QueueRef queue, string messageId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var found = await GetManyAsync(queue, [messageId], now, cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    public Task<IReadOnlyList<StoredMessage>> GetManyAsync(
        QueueRef queue, IReadOnlyList<string> messageIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var markers = Markers(messageIds);
        if (markers.Length == 0)
        {
            return Task.FromResult<IReadOnlyList<StoredMessage>>([]);
        }

        return _driver.RunAsync<IReadOnlyList<StoredMessage>>("Message lookup", async c =>
        {
            await using var command = c.Command(_getMany).WithQueue(queue)
                .With("markers", markers)
                .With("now", now.ToUnixTimeMilliseconds());
            return await ReadAsync(command, cancellationToken);
        }, cancellationToken);
    }

    public Task<MessageDeleteOutcome> DeleteAsync(
        QueueRef queue, string messageId, string? claimId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseMessageId(messageId, out var marker))
        {
            return Task.FromResult(MessageDeleteOutcome.Done); // row 1: nothing to delete
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        long claim = 0, salt = 0;
        var named = claimId is not null && Ids.TryParseClaimId(claimId, out claim, out salt);
        return _driver.RunAsync("Message deletion", async c =>
        {
            // The usual cases in one statement: the message may go (rows 2 and 5).
            if (claimId is null || named)
            {
                await using var direct = c.Command(claimId is null ? _deleteFree : _deleteHeld).WithQueue(queue)
                    .With("marker", marker).With("now", nowMs).With("claim", claim).With("salt", salt);
                if (await direct.ExecuteNonQueryAsync(cancellationToken) == 1)
                {
                    return MessageDeleteOutcome.Done;
                }
            }

            // Nothing was deleted: the message is gone or a claim forbids it. Find out which with the
            // row locked, so no claim takes or leaves it meanwhile (claimers skip locked rows).
            await using var transaction = await c.BeginTransactionAsync(cancellationToken);
            long queueId;
            bool held;
            long? holder;
            await using (var select = c.Command(_lockMessage, transaction).WithQueue(queue).With("marker", marker).With("now", nowMs))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return MessageDeleteOutcome.Done; // row 1: nothing to delete
                }

                queueId = reader.GetInt64(0);
                holder = reader.IsDBNull(1) ? null : reader.GetInt64(1);
                held = holder is not null && !reader.IsDBNull(2) && reader.GetInt64(2) > nowMs;
            }

            MessageDeleteOutcome outcome;
            if (claimId is null)
            {
                outcome = held ? MessageDeleteOutcome.HeldByClaim : MessageDeleteOutcome.Done; // rows 3, 2
            }
            else if (!held)
            {
                outcome = MessageDeleteOutcome.NotHeldByClaim; // row 4
            }
            else
            {
                var live = false;
                if (named)
                {
                    await using var lookup = c.Command(_namedClaim, transaction)
                        .With("claim", claim).With("salt", salt).With("queueId", queueId).With("now", nowMs);
                    live = (long)(await lookup.ExecuteScalarAsync(cancellationToken))! == 1;
                }

                outcome = live && claim == holder
                    ? MessageDeleteOutcome.Done                                                  // row 5
                    : live ? MessageDeleteOutcome.HeldByClaim : MessageDeleteOutcome.NoSuchLiveClaim; // rows 7, 6
            }

            if (outcome == MessageDeleteOutcome.Done)
            {
                await using var delete = c.Command($"DELETE FROM {_driver.S}.messages WHERE queue_id = @queueId AND marker = @marker", transaction)
                    .With("queueId", queueId).With("marker", marker);
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return outcome;
        }, cancellationToken);
    }

    public Task DeleteManyAsync(QueueRef queue, IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        var markers = Markers(messageIds);
        if (markers.Length == 0)
        {
            return Task.CompletedTask;
        }

        return _driver.RunAsync("Message deletion", async c =>
        {
            await using var command = c.Command(_deleteMany).WithQueue(queue).With("markers", markers);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<StoredMessage>> PopAsync(QueueRef queue, int limit, DateTimeOffset now, CancellationToken cancellationToken) =>
        _driver.RunAsync<IReadOnlyList<StoredMessage>>("Message pop", async c =>
        {
            await using var command = c.Command(_pop).WithQueue(queue).With("now", now.ToUnixTimeMilliseconds()).With("limit", limit);
            return await ReadAsync(command, cancellationToken);
        }, cancellationToken);

    public Task<DateTimeOffset?> NextClaimableAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken) =>
        _driver.RunAsync("Message look-ahead", async c =>
        {
            await using var command = c.Command(_nextClaimable).WithQueue(queue).With("now", now.ToUnixTimeMilliseconds());
            return await command.ExecuteScalarAsync(cancellationToken) is long at
                ? DateTimeOffset.FromUnixTimeMilliseconds(at)
                : (DateTimeOffset?)null;
        }, cancellationToken);

    public Task PurgeAsync(QueueRef queue, CancellationToken cancellationToken) =>
        ((PostgresQueueController)_driver.Queues).PurgeMessagesAsync(queue, cancellationToken);

    /// <summary>
    /// The move in one transaction. Lock order: the target queue's row, then the source's message
    /// rows, as a claim that dead-letters takes its dead-letter queue's row, then its own messages; a
    /// redrive from a dead-letter queue back to its source runs the other way between the two queues,
    /// but neither waits for a queue row while holding message rows, so the two cannot deadlock (and
    /// a deadlock from elsewhere is retried once by <see cref="PostgresDataDriver.RunAsync{T}"/>).
    /// </summary>
    public Task<int?> MoveAsync(
        QueueRef from, string toQueueName, int limit, DateTimeOffset now, CancellationToken cancellationToken) =>
        _driver.TransactAsync<int?>("Message move", async (c, t) =>
        {
            long targetId;
            await using (var lockTarget = c.Command(_lockTarget, t).With("project", from.Project).With("target", toQueueName))
            {
                if (await lockTarget.ExecuteScalarAsync(cancellationToken) is not long id)
                {
                    return null;
                }

                targetId = id;
            }

            if (from.Name == toQueueName)
            {
                return 0;
            }

            long sourceId = 0;
            var markers = new List<long>(limit);
            await using (var select = c.Command(_movable, t).WithQueue(from).With("now", now.ToUnixTimeMilliseconds()).With("limit", limit))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    sourceId = reader.GetInt64(0);
                    markers.Add(reader.GetInt64(1));
                }
            }

            if (markers.Count == 0)
            {
                return 0;
            }

            await using var move = c.Command(_move, t)
                .With("sourceId", sourceId).With("targetId", targetId).With("markers", markers.ToArray());
            await move.ExecuteNonQueryAsync(cancellationToken);
            return markers.Count;
        }, cancellationToken);

    public Task<MessageVolume> GetMessageVolumeAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        _driver.RunAsync("Message volume", async c =>
        {
            await using var command = c.Command(_volume).With("now", now.ToUnixTimeMilliseconds());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var total = reader.GetInt64(0);
            var claimed = reader.GetInt64(1);
            return new MessageVolume(total - claimed, claimed, total);
        }, cancellationToken);
}
