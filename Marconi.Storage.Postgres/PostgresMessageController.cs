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
    private readonly string _popGrouped;
    private readonly string _lockGroups;
    private readonly string _lockQueue;
    private readonly string _postDeduplicated;
    private readonly string _nextClaimable;
    private readonly string _firstFree;
    private readonly PostgresGroupScan _scan;
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
        // and pops hold, so no message is popped twice; removed and returned in one statement. As the
        // one-statement claim, it removes nothing when a picked message has a group, and says so (g).
        _pop = $"""
            WITH picked AS (
                SELECT m.queue_id, m.marker, m.group_id FROM {s}.messages AS m
                WHERE m.queue_id = {QueueId(s)} AND m.expires > @now AND {Visible} AND {Free}
                ORDER BY m.marker LIMIT @limit
                FOR UPDATE SKIP LOCKED),
            grouped AS (SELECT count(*) FILTER (WHERE group_id IS NOT NULL) AS g FROM picked),
            d AS (
                DELETE FROM {s}.messages AS m USING picked AS p
                WHERE m.queue_id = p.queue_id AND m.marker = p.marker AND (SELECT g FROM grouped) = 0
                RETURNING m.marker, m.ttl, m.created, m.body, m.claim_count, m.encrypted, NULL::bigint AS claim,
                          NULL::bigint AS salt, m.group_id, m.dedup_id)
            SELECT d.*, grouped.g FROM grouped LEFT JOIN d ON true
            """;
        // The pop under the group lock, of the rows the group scan chose (PostgresGroupScan): each removed
        // only if it is still claimable in its newest version, so a row a delete or an ungrouped claim
        // took meanwhile is dropped; the delete waits for rows others hold rather than skipping them.
        _popGrouped = $"""
            DELETE FROM {s}.messages AS m
            WHERE m.queue_id = @queueId AND m.marker = ANY(@markers) AND m.expires > @now AND {Visible} AND {Free}
            RETURNING m.marker, m.ttl, m.created, m.body, m.claim_count, m.encrypted, NULL::bigint, NULL::bigint, m.group_id, m.dedup_id
            """;
        _lockGroups = LockGroups(driver.Schema);
        _scan = new PostgresGroupScan(s);
        // The first claimable message as the one-statement claim would pick it: when it has no group it
        // is claimable now; when it has one, the group scan decides.
        _firstFree = $"""
            SELECT m.group_id IS NOT NULL FROM {s}.messages AS m
            WHERE m.queue_id = {QueueId(s)} AND m.expires > @now AND {Visible} AND {Free}
            ORDER BY m.marker LIMIT 1
            """;
        // When nothing is claimable now: the earliest end of a live claim (from the claims, O(in-flight))
        // or of a delay (messages_delayed). Too early is harmless (a waiter looks again): a free message
        // of a held group waits for its group's claims, one behind a delayed one for that delay.
        _nextClaimable = $"""
            WITH q AS (SELECT id FROM {s}.queues WHERE project = @project AND name = @name)
            SELECT least(
                (SELECT min(m.claim_expires) FROM q
                 JOIN {s}.claims AS k ON k.queue_id = q.id
                 JOIN {s}.messages AS m ON m.queue_id = k.queue_id AND m.marker = ANY(k.markers)
                 WHERE k.expires > @now AND m.claim_id = k.id AND m.claim_expires > @now AND m.expires > @now),
                (SELECT min(m.visible_at) FROM q JOIN {s}.messages AS m ON m.queue_id = q.id
                 WHERE m.visible_at > 0 AND m.visible_at > @now AND m.expires > @now))
            """;
        // A post with groups or deduplication ids locks the queue row as the combined post does.
        _lockQueue = $"SELECT id FROM {s}.queues WHERE project = @project AND name = @name FOR NO KEY UPDATE";
        // One message of such a post, under that lock: stored unless its deduplication id is live (then
        // the first message's marker answers); a new id replaces an expired entry the collector has not
        // reached yet. A statement of its own per message, so a duplicate within the post is seen too.
        _postDeduplicated = $"""
            WITH d AS (
                SELECT marker FROM {s}.message_dedup
                WHERE queue_id = @queueId AND scope = @scope AND dedup_id = @dedupId AND expires > @created),
            ins AS (
                INSERT INTO {s}.messages (queue_id, marker, client_id, ttl, created, expires, visible_at, encrypted, body, group_id, dedup_id)
                SELECT @queueId, nextval('{s}.markers'), @client, @ttl, @created, @created + @ttl * 1000::bigint,
                       CASE WHEN @delay = 0 THEN 0 ELSE @created + @delay * 1000::bigint END, @encrypted, @body, @group, @dedupId
                WHERE NOT EXISTS (SELECT 1 FROM d)
                RETURNING marker),
            seen AS (
                INSERT INTO {s}.message_dedup (queue_id, scope, dedup_id, marker, expires)
                SELECT @queueId, @scope, @dedupId, marker, @dedupExpires FROM ins WHERE @dedupId IS NOT NULL
                ON CONFLICT (queue_id, scope, dedup_id) DO UPDATE SET marker = excluded.marker, expires = excluded.expires)
            SELECT coalesce((SELECT marker FROM d), (SELECT marker FROM ins))
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
        var deduplicated = NewMessage.AnyGroupedOrDeduplicated(messages);
        for (var attempt = 0; ; attempt++)
        {
            IReadOnlyList<string>? ids;
            if (deduplicated)
            {
                ids = await PostOneByOneAsync(queue, messages, clientId, now.ToUnixTimeMilliseconds(), createQueue, cancellationToken);
            }
            else
            {
                var post = new PostgresPostCombiner.Post(messages, clientId, now.ToUnixTimeMilliseconds(), cancellationToken);
                ids = await _combiner.PostAsync(queue, createQueue, post);
            }

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
    /// A post with message groups or deduplication ids (SQS FIFO queues), not combined with others: in a
    /// transaction of its own, under the queue row lock a post holds while it draws markers, a statement
    /// per message, each looking its deduplication id up before its row goes in. The lock serialises
    /// posts of one id on every host, so exactly one of them stores a message. Null when the queue does
    /// not exist.
    /// </summary>
    private Task<IReadOnlyList<string>?> PostOneByOneAsync(
        QueueRef queue, IReadOnlyList<NewMessage> messages, Guid clientId, long created, bool createQueue,
        CancellationToken cancellationToken) =>
        _driver.TransactAsync<IReadOnlyList<string>?>("Message post", async (c, t) =>
        {
            if (createQueue)
            {
                await using var create = c.Command(_createQueue, t).WithQueue(queue).With("created", created);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            long queueId;
            await using (var lockQueue = c.Command(_lockQueue, t).WithQueue(queue))
            {
                if (await lockQueue.ExecuteScalarAsync(cancellationToken) is not long id)
                {
                    return null;
                }

                queueId = id;
            }

            // One round trip: each statement of the batch has a snapshot of its own, so it sees the
            // message and deduplication id the one before it stored.
            await using var batch = new NpgsqlBatch(c, t);
            var dedupExpires = created + (long)NewMessage.DeduplicationWindow.TotalMilliseconds;
            foreach (var message in messages)
            {
                var insert = new NpgsqlBatchCommand(_postDeduplicated);
                insert.Parameters.AddWithValue("queueId", queueId);
                insert.Parameters.AddWithValue("scope", message.DeduplicationScope);
                insert.Parameters.AddWithValue("dedupId", NpgsqlTypes.NpgsqlDbType.Text, (object?)message.DeduplicationId ?? DBNull.Value);
                insert.Parameters.AddWithValue("group", NpgsqlTypes.NpgsqlDbType.Text, (object?)message.Group ?? DBNull.Value);
                insert.Parameters.AddWithValue("created", created);
                insert.Parameters.AddWithValue("client", clientId);
                insert.Parameters.AddWithValue("ttl", message.Ttl);
                insert.Parameters.AddWithValue("delay", message.Delay);
                insert.Parameters.AddWithValue("encrypted", message.Encrypted);
                insert.Parameters.AddWithValue("body", message.Body);
                insert.Parameters.AddWithValue("dedupExpires", dedupExpires);
                batch.BatchCommands.Add(insert);
            }

            var ids = new List<string>(messages.Count);
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                do
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        ids.Add(Ids.MessageId(reader.GetInt64(0)));
                    }
                }
                while (await reader.NextResultAsync(cancellationToken));
            }

            return ids;
        }, cancellationToken);

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

    public async Task<IReadOnlyList<StoredMessage>> PopAsync(QueueRef queue, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var (popped, grouped) = await _driver.RunAsync("Message pop", async c =>
        {
            await using var command = c.Command(_pop).WithQueue(queue).With("now", nowMs).With("limit", limit);
            var rows = new List<(long Marker, StoredMessage Message)>();
            long grouped = 0;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                grouped = reader.GetInt64(MessageColumnCount);
                if (!reader.IsDBNull(0))
                {
                    rows.Add(Row(reader));
                }
            }

            return (Sorted(rows), grouped);
        }, cancellationToken);
        if (grouped == 0)
        {
            return popped;
        }

        // A picked message has a group: again under the queue's group lock, with the group rule.
        return await _driver.TransactAsync<IReadOnlyList<StoredMessage>>("Message pop", async (c, t) =>
        {
            await using (var lockGroups = c.Command(_lockGroups, t).WithQueue(queue))
            {
                await lockGroups.ExecuteNonQueryAsync(cancellationToken);
            }

            var (queueId, markers) = await _scan.SelectAsync(c, t, queue, nowMs, limit, null, cancellationToken);
            if (markers.Count == 0)
            {
                return [];
            }

            await using var command = c.Command(_popGrouped, t)
                .With("queueId", queueId).With("markers", markers.ToArray()).With("now", nowMs);
            return await ReadAsync(command, cancellationToken);
        }, cancellationToken);
    }

    public Task<DateTimeOffset?> NextClaimableAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken) =>
        _driver.RunAsync("Message look-ahead", async c =>
        {
            var nowMs = now.ToUnixTimeMilliseconds();
            await using (var first = c.Command(_firstFree).WithQueue(queue).With("now", nowMs))
            {
                if (await first.ExecuteScalarAsync(cancellationToken) is bool grouped
                    && (!grouped || (await _scan.SelectAsync(c, null, queue, nowMs, 1, null, cancellationToken)).Markers.Count > 0))
                {
                    return now;
                }
            }

            await using var command = c.Command(_nextClaimable).WithQueue(queue).With("now", nowMs);
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
