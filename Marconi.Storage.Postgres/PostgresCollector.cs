using Dapper;
using Npgsql;

namespace Marconi.Storage.Postgres;

/// <summary>
/// Removes expired messages, claims, subscriptions and deduplication ids, then the rows of deleted and purged queues,
/// in chunks of <see cref="PostgresDataDriver.CollectorChunk"/> rows. Every host calls it; each chunk
/// is its own short transaction that first tries the schema's collector lock, so one host at a time
/// collects and the others return at once with nothing done, never waiting. Rows are picked with
/// SKIP LOCKED: a row a claim or delete is working on is left for the next round rather than waited for.
/// </summary>
internal static class PostgresCollector
{
    public static async Task<long> CollectAsync(PostgresDataDriver driver, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var s = driver.S;
        var args = new { now = now.ToUnixTimeMilliseconds(), chunk = driver.CollectorChunk };

        var messages = await InChunksAsync(driver, $"""
            DELETE FROM {s}.messages AS m
            USING (SELECT queue_id, marker FROM {s}.messages WHERE expires <= @now LIMIT @chunk FOR UPDATE SKIP LOCKED) AS x
            WHERE m.queue_id = x.queue_id AND m.marker = x.marker
            """, args, cancellationToken);
        if (messages is null)
        {
            return 0;
        }

        var claims = await InChunksAsync(driver, $"""
            DELETE FROM {s}.claims
            WHERE id IN (SELECT id FROM {s}.claims WHERE expires <= @now LIMIT @chunk FOR UPDATE SKIP LOCKED)
            """, args, cancellationToken);
        driver.Metrics?.Collected(messages.Value, claims ?? 0);
        if (claims is null)
        {
            return messages.Value;
        }

        var subscriptions = await InChunksAsync(driver, $"""
            DELETE FROM {s}.subscriptions
            WHERE seq IN (SELECT seq FROM {s}.subscriptions WHERE expires <= @now LIMIT @chunk FOR UPDATE SKIP LOCKED)
            """, args, cancellationToken);
        var removed = messages.Value + claims.Value + (subscriptions ?? 0);
        if (subscriptions is null)
        {
            return removed;
        }

        // Deduplication ids past their window (a post replaces an expired one it meets itself).
        var deduplication = await InChunksAsync(driver, $"""
            DELETE FROM {s}.message_dedup
            WHERE (queue_id, scope, dedup_id) IN (
                SELECT queue_id, scope, dedup_id FROM {s}.message_dedup WHERE expires <= @now LIMIT @chunk FOR UPDATE SKIP LOCKED)
            """, args, cancellationToken);
        removed += deduplication ?? 0;
        if (deduplication is null)
        {
            return removed;
        }

        return removed + await CollectPurgedAsync(driver, cancellationToken);
    }

    /// <summary>
    /// Runs one chunk's statement, each time in a transaction of its own under the collector lock,
    /// until a chunk comes back short. Null when another host holds the lock at the first chunk: it
    /// is collecting, and this host does nothing more in this round.
    /// </summary>
    private static async Task<long?> InChunksAsync(PostgresDataDriver driver, string sql, object args, CancellationToken cancellationToken)
    {
        long removed = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var count = await driver.TransactAsync("Expiry collection", async (c, t) =>
                await LockAsync(driver, c, t, cancellationToken)
                    ? await c.ExecuteAsync(new CommandDefinition(sql, args, t, cancellationToken: cancellationToken))
                    : (int?)null,
                cancellationToken);
            if (count is null)
            {
                return removed == 0 ? null : removed;
            }

            removed += count.Value;
            if (count < driver.CollectorChunk)
            {
                break;
            }
        }

        return removed;
    }

    /// <summary>
    /// Removes the rows of deleted and purged queue ids, a chunk at a time: claims first, then
    /// messages; a purge row goes once nothing of its id is left. An id whose remaining rows are all
    /// locked by someone else is passed over until the next round.
    /// </summary>
    private static async Task<long> CollectPurgedAsync(PostgresDataDriver driver, CancellationToken cancellationToken)
    {
        var s = driver.S;
        long removed = 0;
        long after = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var step = await driver.TransactAsync("Deleted queue collection", async (c, t) =>
            {
                if (!await LockAsync(driver, c, t, cancellationToken))
                {
                    return ((long QueueId, int Removed)?)null;
                }

                var queueId = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
                    $"SELECT queue_id FROM {s}.purges WHERE queue_id > @after ORDER BY queue_id LIMIT 1",
                    new { after }, t, cancellationToken: cancellationToken));
                if (queueId is not { } id)
                {
                    return null;
                }

                var args = new { id, chunk = driver.CollectorChunk };
                var count = await c.ExecuteAsync(new CommandDefinition(
                    $"""
                    DELETE FROM {s}.claims
                    WHERE id IN (SELECT id FROM {s}.claims WHERE queue_id = @id LIMIT @chunk FOR UPDATE SKIP LOCKED)
                    """,
                    args, t, cancellationToken: cancellationToken));
                if (count < driver.CollectorChunk)
                {
                    count += await c.ExecuteAsync(new CommandDefinition(
                        $"""
                        DELETE FROM {s}.messages AS m
                        USING (SELECT marker FROM {s}.messages WHERE queue_id = @id LIMIT @rest FOR UPDATE SKIP LOCKED) AS x
                        WHERE m.queue_id = @id AND m.marker = x.marker
                        """,
                        new { id, rest = driver.CollectorChunk - count }, t, cancellationToken: cancellationToken));
                }

                if (count < driver.CollectorChunk)
                {
                    await c.ExecuteAsync(new CommandDefinition(
                        $"""
                        DELETE FROM {s}.purges WHERE queue_id = @id
                        AND NOT EXISTS (SELECT 1 FROM {s}.claims WHERE queue_id = @id)
                        AND NOT EXISTS (SELECT 1 FROM {s}.messages WHERE queue_id = @id)
                        """,
                        args, t, cancellationToken: cancellationToken));
                }

                return (id, count);
            }, cancellationToken);
            if (step is not { } done)
            {
                break;
            }

            removed += done.Removed;
            if (done.Removed < driver.CollectorChunk)
            {
                // Finished, or what is left is locked: on to the next id.
                after = done.QueueId;
            }
        }

        return removed;
    }

    /// <summary>The schema's collector lock, for this transaction; false when another host holds it.</summary>
    private static Task<bool> LockAsync(PostgresDataDriver driver, NpgsqlConnection c, NpgsqlTransaction t, CancellationToken cancellationToken) =>
        c.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT pg_try_advisory_xact_lock(@space, hashtext(@schema) # @key)",
            new { space = PostgresSchema.LockSpace, schema = driver.Schema, key = PostgresSchema.CollectorLock },
            t, cancellationToken: cancellationToken));
}
