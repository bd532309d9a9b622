using Dapper;
using Marconi.Core;
using Marconi.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Marconi.Storage.Sqlite;

internal sealed class SqliteMessageController(SqliteDataDriver driver) : IMessageController
{
    /// <summary>
    /// Up to this many messages go into the store with one INSERT. One statement for a post of ten
    /// instead of ten cut the writer's CPU per message by more than half (9.2 to 3.6 µs in a loop of
    /// the same rows); a ceiling keeps the statement texts, and so the cached statements, few.
    /// </summary>
    internal const int RowsPerInsert = 16;

    /// <summary>The insert of 1 to <see cref="RowsPerInsert"/> rows, by row count.</summary>
    private static readonly string[] Inserts = Enumerable.Range(0, RowsPerInsert + 1).Select(InsertOf).ToArray();

    /// <summary>Parameters shared by the rows of an insert, then <see cref="RowParameters"/> per row.</summary>
    private const int SharedParameters = 3;

    private const int RowParameters = 4;

    /// <summary>
    /// The body arrives as UTF-8 bytes, bound as a blob; the cast stores those bytes as the TEXT they
    /// are (SQLite keeps text in UTF-8), so no UTF-16 string is made of the body on its way in.
    /// Rows get ascending markers in the order they are listed. A message without a delay is visible
    /// from 0, so a host sharing the file whose clock reads a little earlier sees it at once too.
    /// </summary>
    private static string InsertOf(int rows) => rows == 0 ? "" :
        "INSERT INTO messages (queue_id, client_id, ttl, created, expires, body, visible_at, encrypted) VALUES " +
        string.Join(", ", Enumerable.Range(0, rows).Select(i =>
            $"(@queue, @client, @ttl{i}, @created, @created + @ttl{i} * 1000, CAST(@body{i} AS TEXT), CASE WHEN @delay{i} = 0 THEN 0 ELSE @created + @delay{i} * 1000 END, @encrypted{i})")) +
        " RETURNING marker";

    /// <summary>A page of a queue in FIFO order: the (queue_id, marker) index, filters before the limit.</summary>
    internal const string Page = $"""
        SELECT {Sql.MessageColumns} FROM messages AS m INDEXED BY messages_queue {Sql.LiveClaim}
        WHERE m.queue_id = ({Sql.QueueId}) AND m.marker > @after AND m.expires > @now
          AND (@echo OR m.client_id <> @client)
          AND (@includeClaimed OR {Sql.Free})
          AND (@includeDelayed OR {Sql.Visible})
        ORDER BY m.marker LIMIT @limit
        """;

    public Task<IReadOnlyList<string>?> PostAsync(
        QueueRef queue, IReadOnlyList<NewMessage> messages, Guid clientId, DateTimeOffset now,
        CancellationToken cancellationToken, bool createQueue = false) =>
        driver.GrowAsync("Message post", (c, t) =>
        {
            var created = now.ToUnixTimeMilliseconds();
            // A lazily created queue is part of this work's savepoint: if an insert fails, it goes too.
            var queueId = createQueue
                ? Sql.EnsureQueue(c, QueueRefArgs.Of(queue), created, t)
                : Sql.FindQueue(c, QueueRefArgs.Of(queue), t);
            if (queueId is null)
            {
                return (IReadOnlyList<string>?)null;
            }

            var client = clientId.ToByteArray();
            if (NewMessage.AnyGroupedOrDeduplicated(messages))
            {
                return PostOneByOne(c, t, queueId.Value, messages, client, created);
            }

            var ids = new string[messages.Count];
            for (var first = 0; first < messages.Count; first += RowsPerInsert)
            {
                var rows = Math.Min(RowsPerInsert, messages.Count - first);
                var insert = Statements.Of(c).Command(Inserts[rows], t);
                var parameters = insert.Parameters;
                if (parameters.Count == 0)
                {
                    parameters.AddWithValue("@queue", 0L);
                    parameters.AddWithValue("@client", client);
                    parameters.AddWithValue("@created", 0L);
                    for (var i = 0; i < rows; i++)
                    {
                        parameters.AddWithValue($"@ttl{i}", 0);
                        parameters.AddWithValue($"@body{i}", Array.Empty<byte>());
                        parameters.AddWithValue($"@delay{i}", 0);
                        parameters.AddWithValue($"@encrypted{i}", 0);
                    }
                }

                parameters[0].Value = queueId.Value;
                parameters[1].Value = client;
                parameters[2].Value = created;
                for (var i = 0; i < rows; i++)
                {
                    var message = messages[first + i];
                    var at = SharedParameters + i * RowParameters;
                    parameters[at].Value = message.Ttl;
                    parameters[at + 1].Value = message.Body;
                    parameters[at + 2].Value = message.Delay;
                    parameters[at + 3].Value = message.Encrypted ? 1 : 0;
                }

                // RETURNING promises no order; the markers ascend in the order the rows were listed.
                var markers = new long[rows];
                using (var reader = insert.ExecuteReader())
                {
                    for (var i = 0; reader.Read(); i++)
                    {
                        markers[i] = reader.GetInt64(0);
                    }
                }

                Array.Sort(markers);
                for (var i = 0; i < rows; i++)
                {
                    ids[first + i] = Ids.MessageId(markers[i]);
                }
            }

            driver.Writer.CountMessages(queueId.Value, messages.Count);
            return ids;
        });

    /// <summary>
    /// A post with message groups or deduplication ids (SQS FIFO queues), a row at a time: each
    /// deduplication id is looked up before its row goes in, so a duplicate within the post is caught too.
    /// </summary>
    private string[] PostOneByOne(
        SqliteConnection c, SqliteTransaction t, long queueId, IReadOnlyList<NewMessage> messages, byte[] client, long created)
    {
        var ids = new string[messages.Count];
        var stored = 0;
        var dedupExpires = created + (long)NewMessage.DeduplicationWindow.TotalMilliseconds;
        foreach (var (message, i) in messages.Select((m, i) => (m, i)))
        {
            var scope = message.DeduplicationScope;
            if (message.DeduplicationId is { } dedupId && c.Scalar<long?>(
                    "SELECT marker FROM message_dedup WHERE queue_id = @queueId AND scope = @scope AND dedup_id = @dedupId AND expires > @now",
                    new { queueId, scope, dedupId, now = created }, t) is { } original)
            {
                ids[i] = Ids.MessageId(original);
                continue;
            }

            var marker = c.Scalar<long>(
                """
                INSERT INTO messages (queue_id, client_id, ttl, created, expires, body, visible_at, encrypted, group_id, dedup_id)
                VALUES (@queueId, @client, @ttl, @created, @created + @ttl * 1000, CAST(@body AS TEXT),
                        CASE WHEN @delay = 0 THEN 0 ELSE @created + @delay * 1000 END, @encrypted, @group, @dedupId)
                RETURNING marker
                """,
                new
                {
                    queueId, client, ttl = message.Ttl, created, body = message.Body, delay = message.Delay,
                    encrypted = message.Encrypted ? 1 : 0, group = message.Group, dedupId = message.DeduplicationId,
                },
                t);
            if (message.DeduplicationId is { } newId)
            {
                // An expired entry of the same id may still be there until the collector reaches it.
                c.Exec(
                    """
                    INSERT OR REPLACE INTO message_dedup (queue_id, scope, dedup_id, marker, expires)
                    VALUES (@queueId, @scope, @dedupId, @marker, @expires)
                    """,
                    new { queueId, scope, dedupId = newId, marker, expires = dedupExpires }, t);
            }

            ids[i] = Ids.MessageId(marker);
            stored++;
        }

        driver.Writer.CountMessages(queueId, stored);
        return ids;
    }

    /// <summary>Deletes an unexpired message of the named queue that no live claim holds (contract 3.14 row 2).</summary>
    private const string DeleteFree = $"""
        DELETE FROM messages
        WHERE marker = @marker AND queue_id = ({Sql.QueueId}) AND expires > @now
          AND (claim_expires IS NULL OR claim_expires <= @now)
        RETURNING queue_id
        """;

    /// <summary>Deletes an unexpired message of the named queue held by live claim <c>@claim</c> with <c>@salt</c> (row 5).</summary>
    private const string DeleteHeld = $"""
        DELETE FROM messages
        WHERE marker = @marker AND queue_id = ({Sql.QueueId}) AND expires > @now
          AND claim_id = @claim AND claim_expires > @now
          AND EXISTS (SELECT 1 FROM claims WHERE id = @claim AND salt = @salt AND queue_id = messages.queue_id AND expires > @now)
        RETURNING queue_id
        """;

    public Task<IReadOnlyList<StoredMessage>> ListAsync(
        QueueRef queue, MessageListQuery query, DateTimeOffset now, CancellationToken cancellationToken)
    {
        long after = 0;
        if (query.Marker is not null && !Ids.TryParseMarker(query.Marker, out after))
        {
            // A marker we did not issue names no position: an empty page, never a restart.
            return Task.FromResult<IReadOnlyList<StoredMessage>>([]);
        }

        return driver.ReadAsync<IReadOnlyList<StoredMessage>>("Message listing", c => c.Rows(
                Page,
                new
                {
                    project = queue.Project,
                    name = queue.Name,
                    after,
                    now = now.ToUnixTimeMilliseconds(),
                    echo = query.Echo,
                    client = query.ClientId.ToByteArray(),
                    includeClaimed = query.IncludeClaimed,
                    includeDelayed = query.IncludeDelayed,
                    limit = query.Limit,
                },
                MessageRow.Read)
            .Select(m => m.ToStored())
            .ToList());
    }

    public Task<StoredMessage?> GetAsync(
        QueueRef queue, string messageId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseMessageId(messageId, out var marker))
        {
            return Task.FromResult<StoredMessage?>(null);
        }

        return driver.ReadAsync("Message lookup", c => c.Row<MessageRow>(
                $"""
                SELECT {Sql.MessageColumns} FROM messages AS m {Sql.LiveClaim}
                WHERE m.marker = @marker AND m.queue_id = ({Sql.QueueId}) AND m.expires > @now
                """,
                new { marker, project = queue.Project, name = queue.Name, now = now.ToUnixTimeMilliseconds() })
            ?.ToStored());
    }

    public Task<IReadOnlyList<StoredMessage>> GetManyAsync(
        QueueRef queue, IReadOnlyList<string> messageIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var markers = Markers(messageIds);
        if (markers.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<StoredMessage>>([]);
        }

        return driver.ReadAsync<IReadOnlyList<StoredMessage>>("Message lookup", c => c.Rows(
                $"""
                SELECT {Sql.MessageColumns} FROM messages AS m {Sql.LiveClaim}
                WHERE m.marker IN (SELECT value FROM json_each(@markers)) AND m.queue_id = ({Sql.QueueId}) AND m.expires > @now
                ORDER BY m.marker
                """,
                new { markers = PreparedSql.Json(markers), project = queue.Project, name = queue.Name, now = now.ToUnixTimeMilliseconds() },
                MessageRow.Read)
            .Select(m => m.ToStored())
            .ToList());
    }

    public Task<MessageDeleteOutcome> DeleteAsync(
        QueueRef queue, string messageId, string? claimId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseMessageId(messageId, out _))
        {
            return Task.FromResult(MessageDeleteOutcome.Done);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        return driver.WriteAsync("Message deletion", (c, t) => DeleteIn(c, t, queue, messageId, claimId, nowMs));
    }

    /// <summary>Each message with its claim, in one write of the writer's: the outcomes in the order asked.</summary>
    public Task<IReadOnlyList<MessageDeleteOutcome>> DeleteEachAsync(
        QueueRef queue, IReadOnlyList<(string MessageId, string ClaimId)> deletes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        return driver.WriteAsync<IReadOnlyList<MessageDeleteOutcome>>("Message deletion, each with its claim", (c, t) =>
            [.. deletes.Select(d => DeleteIn(c, t, queue, d.MessageId, d.ClaimId, nowMs))]);
    }

    /// <summary>One delete of contract 3.14's table, inside the writer's transaction.</summary>
    private MessageDeleteOutcome DeleteIn(SqliteConnection c, SqliteTransaction t, QueueRef queue, string messageId, string? claimId, long nowMs)
    {
        if (!Ids.TryParseMessageId(messageId, out var marker))
        {
            return MessageDeleteOutcome.Done;
        }

        long claim = 0, salt = 0;
        // A claim id we did not issue can only be refused: the outcome table decides which way.
        var direct = claimId is null || Ids.TryParseClaimId(claimId, out claim, out salt);
        // The usual case in one statement: the message exists and may go (rows 2 and 5).
        if (direct)
        {
            var deleted = claimId is null
                ? c.Scalar<long?>(DeleteFree, new { marker, project = queue.Project, name = queue.Name, now = nowMs }, t)
                : c.Scalar<long?>(DeleteHeld, new { marker, project = queue.Project, name = queue.Name, now = nowMs, claim, salt }, t);
            if (deleted is { } queueId)
            {
                driver.Writer.CountMessages(queueId, -1);
                return MessageDeleteOutcome.Done;
            }
        }

        // Nothing was deleted: the message is gone or the claim forbids it; find out which.
        var message = c.Row<(long QueueId, long? ClaimId, long? ClaimExpires)>(
            $"""
            SELECT m.queue_id, m.claim_id, m.claim_expires FROM messages AS m
            WHERE m.marker = @marker AND m.queue_id = ({Sql.QueueId}) AND m.expires > @now
            """,
            new { marker, project = queue.Project, name = queue.Name, now = nowMs }, t);
        if (message.QueueId == 0)
        {
            return MessageDeleteOutcome.Done; // row 1: nothing to delete
        }

        var held = message.ClaimId is not null && message.ClaimExpires > nowMs;
        var outcome = Decide(c, t, message.QueueId, held, message.ClaimId, claimId, nowMs);
        if (outcome == MessageDeleteOutcome.Done)
        {
            c.Exec("DELETE FROM messages WHERE marker = @marker", new { marker }, t);
            driver.Writer.CountMessages(message.QueueId, -1);
        }

        return outcome;
    }

    public Task DeleteManyAsync(QueueRef queue, IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        var markers = Markers(messageIds);
        if (markers.Count == 0)
        {
            return Task.CompletedTask;
        }

        return driver.WriteAsync("Message deletion", (c, t) =>
        {
            // The queue is looked up inside the delete; every row it returns names that one queue.
            var deleted = c.Rows<long>(
                $"""
                DELETE FROM messages
                WHERE marker IN (SELECT value FROM json_each(@markers)) AND queue_id = ({Sql.QueueId})
                RETURNING queue_id
                """,
                new { markers = PreparedSql.Json(markers), project = queue.Project, name = queue.Name }, t);
            if (deleted.Count > 0)
            {
                driver.Writer.CountMessages(deleted[0], -deleted.Count);
            }

            return deleted.Count;
        });
    }

    public Task<IReadOnlyList<StoredMessage>> PopAsync(
        QueueRef queue, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        return driver.WriteAsync<IReadOnlyList<StoredMessage>>("Message pop", (c, t) =>
        {
            if (Sql.FindQueue(c, QueueRefArgs.Of(queue), t) is not { } queueId)
            {
                return [];
            }

            // Selected and deleted in the writer's transaction, like a claim: no message is popped twice.
            var claimable = GroupedClaimable.Oldest(c, t, queueId, nowMs, limit, GroupedClaimable.HasGroups(c, t, queueId));
            if (claimable.Count == 0)
            {
                return [];
            }

            var markers = PreparedSql.Json(claimable.Select(m => m.Marker).ToList());

            var popped = c.Rows(
                    $"""
                    SELECT {Sql.MessageColumns} FROM messages AS m {Sql.LiveClaim}
                    WHERE m.marker IN (SELECT value FROM json_each(@markers)) ORDER BY m.marker
                    """,
                    new { markers, now = nowMs }, MessageRow.Read, t)
                .Select(m => m.ToStored())
                .ToList();
            var deleted = c.Exec("DELETE FROM messages WHERE marker IN (SELECT value FROM json_each(@markers))", new { markers }, t);
            driver.Writer.CountMessages(queueId, -deleted);
            return popped;
        });
    }

    public async Task PurgeAsync(QueueRef queue, CancellationToken cancellationToken)
    {
        // The queue row is replaced by a new one (a new id) with the same name, metadata and creation
        // time: the name serves an empty queue at once, and the old id's rows go to the sweeper.
        var buried = await driver.WriteAsync("Queue purge", (c, t) =>
        {
            var row = c.Row<(long Id, string Metadata, long Created)>(
                "SELECT id, metadata, created FROM queues WHERE project = @project AND name = @name",
                QueueRefArgs.Of(queue), t);
            if (row.Id == 0)
            {
                return false;
            }

            c.Exec("DELETE FROM queues WHERE id = @id", new { id = row.Id }, t);
            c.Exec(
                "INSERT INTO queues (project, name, metadata, created) VALUES (@project, @name, @metadata, @created)",
                new { project = queue.Project, name = queue.Name, metadata = row.Metadata, created = row.Created }, t);
            Sql.Bury(c, t, row.Id);
            return true;
        });
        if (buried)
        {
            driver.Sweep.Wake();
        }
    }

    /// <summary>
    /// The oldest free messages of a queue, delayed ones included (a move takes them, see
    /// <see cref="MoveAsync"/>), walking (queue_id, marker) in order.
    /// </summary>
    private const string Movable = $"""
        SELECT m.marker FROM messages AS m INDEXED BY messages_queue
        WHERE m.queue_id = @queueId AND m.expires > @now AND {Sql.Free}
        ORDER BY m.marker LIMIT @limit
        """;

    /// <summary>
    /// The moved messages as new rows of the target, inserted in marker order, so the AUTOINCREMENT
    /// markers they draw ascend in their old order, after every row the target holds. Free, claim
    /// count 0; everything else as it was.
    /// </summary>
    private const string MoveRows = """
        INSERT INTO messages (queue_id, client_id, ttl, created, expires, body, visible_at, claim_count, encrypted, group_id, dedup_id)
        SELECT @targetId, client_id, ttl, created, expires, body, visible_at, 0, encrypted, group_id, dedup_id
        FROM messages WHERE marker IN (SELECT value FROM json_each(@markers))
        ORDER BY marker;
        DELETE FROM messages WHERE marker IN (SELECT value FROM json_each(@markers));
        """;

    public Task<int?> MoveAsync(
        QueueRef from, string toQueueName, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        // Inside the writer's transaction: no claim, post or delete runs between the select and the move.
        return driver.WriteAsync<int?>("Message move", (c, t) =>
        {
            if (Sql.FindQueue(c, new QueueRefArgs(from.Project, toQueueName), t) is not { } targetId)
            {
                return null;
            }

            if (from.Name == toQueueName || Sql.FindQueue(c, QueueRefArgs.Of(from), t) is not { } sourceId)
            {
                return 0;
            }

            var markers = c.Rows<long>(Movable, new { queueId = sourceId, now = nowMs, limit }, t);
            if (markers.Count == 0)
            {
                return 0;
            }

            c.Exec(MoveRows, new { targetId, markers = PreparedSql.Json(markers) }, t);
            driver.Writer.CountMessages(sourceId, -markers.Count);
            driver.Writer.CountMessages(targetId, markers.Count);
            return markers.Count;
        });
    }

    public Task<DateTimeOffset?> NextClaimableAsync(QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken) =>
        driver.ReadAsync("Message look-ahead", c =>
        {
            using var transaction = c.BeginTransaction(deferred: true);
            if (Sql.FindQueue(c, QueueRefArgs.Of(queue), transaction) is not { } queueId)
            {
                return (DateTimeOffset?)null;
            }

            var nowMs = now.ToUnixTimeMilliseconds();
            var grouped = GroupedClaimable.HasGroups(c, transaction, queueId);
            if (GroupedClaimable.Oldest(c, transaction, queueId, nowMs, 1, grouped).Count > 0)
            {
                return now;
            }

            // Nothing claimable: every unexpired message is delayed or claimed, and becomes claimable
            // at the later of its delay's end and its claim's expiry. In a queue with groups a free,
            // visible message may wait too (its group held back by a claimed or delayed message, or
            // it lies past a held group's backlog): the messages holding it back account for it.
            var next = c.Scalar<long?>(
                $"""
                SELECT min(max(m.visible_at, CASE WHEN m.claim_expires > @now THEN m.claim_expires ELSE 0 END))
                FROM messages AS m INDEXED BY messages_queue
                WHERE m.queue_id = @queueId AND m.expires > @now
                  AND NOT (@grouped AND {Sql.Free} AND {Sql.Visible})
                """,
                new { queueId, now = nowMs, grouped }, transaction);
            return next is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null;
        });

    public Task<MessageVolume> GetMessageVolumeAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        driver.ReadAsync("Message volume", c =>
        {
            // The same counting as queue stats, over every queue: row counts minus the expired rows
            // the collector has not reached yet, so no message row is scanned but those.
            using var transaction = c.BeginTransaction(deferred: true);
            var args = new { now = now.ToUnixTimeMilliseconds() };
            var rows = c.Scalar<long>("SELECT coalesce(sum(message_count), 0) FROM queues", transaction: transaction);
            var expired = c.Scalar<long>(
                $"SELECT count(*) FROM messages INDEXED BY messages_expires WHERE expires <= @now AND queue_id {Sql.NotDead}",
                args, transaction);
            var claimed = c.Scalar<long>(
                $"""
                SELECT count(*) FROM claims AS k INDEXED BY claims_expires JOIN messages AS m ON m.claim_id = k.id
                WHERE k.expires > @now AND m.expires > @now AND k.queue_id {Sql.NotDead}
                """,
                args, transaction);
            var total = rows - expired;
            return new MessageVolume(total - claimed, claimed, total);
        });

    /// <summary>The outcome table of contract 3.14, rows 2 to 7.</summary>
    private static MessageDeleteOutcome Decide(
        SqliteConnection c, SqliteTransaction t, long queueId, bool held, long? holder, string? claimId, long now)
    {
        if (claimId is null)
        {
            return held ? MessageDeleteOutcome.HeldByClaim : MessageDeleteOutcome.Done; // rows 3, 2
        }

        if (!held)
        {
            return MessageDeleteOutcome.NotHeldByClaim; // row 4
        }

        var named = Ids.TryParseClaimId(claimId, out var claim, out var salt)
            && c.Scalar<long>(
                "SELECT count(*) FROM claims WHERE id = @claim AND salt = @salt AND queue_id = @queueId AND expires > @now",
                new { claim, salt, queueId, now }, t) == 1;
        if (named && claim == holder)
        {
            return MessageDeleteOutcome.Done; // row 5
        }

        return named ? MessageDeleteOutcome.HeldByClaim : MessageDeleteOutcome.NoSuchLiveClaim; // rows 7, 6
    }

    private static List<long> Markers(IReadOnlyList<string> messageIds)
    {
        var markers = new List<long>(messageIds.Count);
        foreach (var id in messageIds)
        {
            if (Ids.TryParseMessageId(id, out var marker) && !markers.Contains(marker))
            {
                markers.Add(marker);
            }
        }

        return markers;
    }
}
