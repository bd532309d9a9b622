using Dapper;
using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Storage.Sqlite;

internal sealed class SqliteSubscriptionController(SqliteDataDriver driver) : ISubscriptionController
{
    private const string Columns = """
        seq AS Seq, salt AS Salt, queue AS Queue, subscriber AS Subscriber, ttl AS Ttl,
        created AS Created, expires AS Expires, options AS Options, confirmed AS Confirmed
        """;

    private const string LiveOne = $"""
        SELECT {Columns} FROM subscriptions
        WHERE seq = @seq AND salt = @salt AND project = @project AND queue = @queue AND expires > @now
        """;

    private const string LiveOfQueue = $"""
        SELECT {Columns} FROM subscriptions INDEXED BY subscriptions_queue
        WHERE project = @project AND queue = @queue AND seq > @after AND expires > @now
        ORDER BY seq LIMIT @limit
        """;

    /// <summary>
    /// An expired subscription behaves as deleted, so its subscriber is free again; removing the row
    /// before reuse keeps (project, queue, subscriber) unique without waiting for the collector.
    /// </summary>
    private const string ForgetExpiredSubscriber = """
        DELETE FROM subscriptions
        WHERE project = @project AND queue = @queue AND subscriber = @subscriber AND expires <= @now
        """;

    public Task<SubscriptionCreated> CreateAsync(
        QueueRef queue, string subscriber, long ttl, string options, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var args = new { project = queue.Project, queue = queue.Name, subscriber, now = nowMs };
        return driver.GrowAsync("Subscription creation", (c, t) =>
        {
            c.Execute(ForgetExpiredSubscriber, args, t);
            var existing = c.QueryFirstOrDefault<(long Seq, long Salt, long Confirmed)>(
                """
                SELECT seq, salt, confirmed FROM subscriptions
                WHERE project = @project AND queue = @queue AND subscriber = @subscriber
                """,
                args, t);
            if (existing.Seq != 0)
            {
                return new SubscriptionCreated(Ids.SubscriptionId(existing.Seq, existing.Salt), false, existing.Confirmed != 0);
            }

            var salt = Ids.NewSubscriptionSalt();
            var seq = c.ExecuteScalar<long>(
                """
                INSERT INTO subscriptions (salt, project, queue, subscriber, ttl, created, expires, options)
                VALUES (@salt, @project, @queue, @subscriber, @ttl, @now, @expires, @options)
                RETURNING seq
                """,
                new
                {
                    salt, project = queue.Project, queue = queue.Name, subscriber, ttl, now = nowMs,
                    expires = nowMs + ttl * 1000, options,
                },
                t);
            return new SubscriptionCreated(Ids.SubscriptionId(seq, salt), true, false);
        });
    }

    public Task<Subscription?> GetAsync(
        QueueRef queue, string subscriptionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseSubscriptionId(subscriptionId, out var seq, out var salt))
        {
            return Task.FromResult<Subscription?>(null);
        }

        return driver.ReadAsync("Subscription lookup", c => c.QueryFirstOrDefault<SubscriptionRow>(
                LiveOne,
                new { seq, salt, project = queue.Project, queue = queue.Name, now = now.ToUnixTimeMilliseconds() })
            ?.ToSubscription());
    }

    public Task<IReadOnlyList<Subscription>> ListAsync(
        QueueRef queue, string? marker, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        long after = 0;
        if (marker is not null && !Ids.TryParseSubscriptionId(marker, out after, out _))
        {
            // A marker we did not issue names no position: an empty page, never a restart.
            return Task.FromResult<IReadOnlyList<Subscription>>([]);
        }

        return ListAsync(queue, after, limit, now);
    }

    public Task<IReadOnlyList<Subscription>> ListLiveAsync(
        QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken) =>
        ListAsync(queue, after: 0, limit: -1, now); // SQLite reads a negative LIMIT as no limit

    public Task<SubscriptionUpdateOutcome> UpdateAsync(
        QueueRef queue, string subscriptionId, SubscriptionUpdate update, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (!Ids.TryParseSubscriptionId(subscriptionId, out var seq, out var salt))
        {
            return Task.FromResult(SubscriptionUpdateOutcome.NotFound);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        return driver.WriteAsync("Subscription update", (c, t) =>
        {
            var current = c.QueryFirstOrDefault<SubscriptionRow>(
                LiveOne, new { seq, salt, project = queue.Project, queue = queue.Name, now = nowMs }, t);
            if (current is null)
            {
                return SubscriptionUpdateOutcome.NotFound;
            }

            if (update.Subscriber is { } subscriber && subscriber != current.Subscriber)
            {
                var args = new { project = queue.Project, queue = queue.Name, subscriber, now = nowMs };
                c.Execute(ForgetExpiredSubscriber, args, t);
                var taken = c.ExecuteScalar<long>(
                    "SELECT count(*) FROM subscriptions WHERE project = @project AND queue = @queue AND subscriber = @subscriber",
                    args, t);
                if (taken != 0)
                {
                    return SubscriptionUpdateOutcome.SubscriberConflict;
                }
            }

            c.Execute(
                """
                UPDATE subscriptions
                SET subscriber = coalesce(@subscriber, subscriber),
                    ttl = coalesce(@ttl, ttl),
                    expires = CASE WHEN @ttl IS NULL THEN expires ELSE @now + @ttl * 1000 END,
                    options = coalesce(@options, options)
                WHERE seq = @seq
                """,
                new { seq, subscriber = update.Subscriber, ttl = update.Ttl, options = update.Options, now = nowMs }, t);
            return SubscriptionUpdateOutcome.Updated;
        });
    }

    public Task<bool> ConfirmAsync(
        QueueRef queue, string subscriptionId, bool confirmed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseSubscriptionId(subscriptionId, out var seq, out var salt))
        {
            return Task.FromResult(false);
        }

        return driver.WriteAsync("Subscription confirmation", (c, t) => c.Execute(
            """
            UPDATE subscriptions SET confirmed = @confirmed
            WHERE seq = @seq AND salt = @salt AND project = @project AND queue = @queue AND expires > @now
            """,
            new { seq, salt, project = queue.Project, queue = queue.Name, confirmed, now = now.ToUnixTimeMilliseconds() },
            t) == 1);
    }

    public Task DeleteAsync(QueueRef queue, string subscriptionId, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseSubscriptionId(subscriptionId, out var seq, out var salt))
        {
            return Task.CompletedTask;
        }

        return driver.WriteAsync("Subscription deletion", (c, t) => c.Execute(
            "DELETE FROM subscriptions WHERE seq = @seq AND salt = @salt AND project = @project AND queue = @queue",
            new { seq, salt, project = queue.Project, queue = queue.Name }, t));
    }

    public Task DeleteAllAsync(QueueRef queue, CancellationToken cancellationToken) =>
        driver.WriteAsync("Subscription purge", (c, t) => c.Execute(
            "DELETE FROM subscriptions WHERE project = @project AND queue = @queue",
            new { project = queue.Project, queue = queue.Name }, t));

    private Task<IReadOnlyList<Subscription>> ListAsync(QueueRef queue, long after, int limit, DateTimeOffset now) =>
        driver.ReadAsync<IReadOnlyList<Subscription>>("Subscription listing", c => c.Query<SubscriptionRow>(
                LiveOfQueue,
                new { project = queue.Project, queue = queue.Name, after, limit, now = now.ToUnixTimeMilliseconds() })
            .Select(s => s.ToSubscription())
            .ToList());
}
