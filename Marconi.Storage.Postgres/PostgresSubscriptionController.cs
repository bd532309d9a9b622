using Dapper;
using Marconi.Core;
using Marconi.Core.Storage;
using Npgsql;

namespace Marconi.Storage.Postgres;

internal sealed class PostgresSubscriptionController(PostgresDataDriver driver) : ISubscriptionController
{
    private const string Columns = """
        seq AS Seq, salt AS Salt, queue AS Queue, subscriber AS Subscriber, ttl AS Ttl,
        created AS Created, expires AS Expires, options AS Options, confirmed AS Confirmed
        """;

    private readonly PostgresDataDriver _driver = driver;

    private string S => _driver.S;

    private string LiveOne => $"""
        SELECT {Columns} FROM {S}.subscriptions
        WHERE seq = @seq AND salt = @salt AND project = @project AND queue = @queue AND expires > @now
        """;

    /// <summary>
    /// An expired subscription behaves as deleted, so its subscriber is free again; removing the row
    /// before reuse keeps (project, queue, subscriber) unique without waiting for the collector.
    /// </summary>
    private string ForgetExpiredSubscriber => $"""
        DELETE FROM {S}.subscriptions
        WHERE project = @project AND queue = @queue AND subscriber = @subscriber AND expires <= @now
        """;

    public Task<SubscriptionCreated> CreateAsync(
        QueueRef queue, string subscriber, long ttl, string options, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var args = new { project = queue.Project, queue = queue.Name, subscriber, now = nowMs };
        return _driver.TransactAsync("Subscription creation", async (c, t) =>
        {
            await c.ExecuteAsync(new CommandDefinition(ForgetExpiredSubscriber, args, t, cancellationToken: cancellationToken));
            var salt = Ids.NewSubscriptionSalt();
            // A concurrent creation of the same subscriber makes this insert wait for it and then do
            // nothing; the read below, a statement of its own, sees the row that won.
            var seq = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
                $"""
                INSERT INTO {S}.subscriptions (salt, project, queue, subscriber, ttl, created, expires, options)
                VALUES (@salt, @project, @queue, @subscriber, @ttl, @now, @expires, @options)
                ON CONFLICT (project, queue, subscriber) DO NOTHING
                RETURNING seq
                """,
                new
                {
                    salt, project = queue.Project, queue = queue.Name, subscriber, ttl, now = nowMs,
                    expires = nowMs + ttl * 1000, options,
                },
                t, cancellationToken: cancellationToken));
            if (seq is { } created)
            {
                return new SubscriptionCreated(Ids.SubscriptionId(created, salt), true, false);
            }

            var existing = await c.QuerySingleAsync<(long Seq, long Salt, bool Confirmed)>(new CommandDefinition(
                $"""
                SELECT seq, salt, confirmed FROM {S}.subscriptions
                WHERE project = @project AND queue = @queue AND subscriber = @subscriber
                """,
                args, t, cancellationToken: cancellationToken));
            return new SubscriptionCreated(Ids.SubscriptionId(existing.Seq, existing.Salt), false, existing.Confirmed);
        }, cancellationToken);
    }

    public Task<Subscription?> GetAsync(
        QueueRef queue, string subscriptionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseSubscriptionId(subscriptionId, out var seq, out var salt))
        {
            return Task.FromResult<Subscription?>(null);
        }

        return _driver.RunAsync("Subscription lookup", async c => (await c.QueryFirstOrDefaultAsync<SubscriptionRow>(new CommandDefinition(
                LiveOne,
                new { seq, salt, project = queue.Project, queue = queue.Name, now = now.ToUnixTimeMilliseconds() },
                cancellationToken: cancellationToken)))
            ?.ToSubscription(), cancellationToken);
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

        return ListAsync(queue, after, limit, now, cancellationToken);
    }

    public Task<IReadOnlyList<Subscription>> ListLiveAsync(
        QueueRef queue, DateTimeOffset now, CancellationToken cancellationToken) =>
        ListAsync(queue, after: 0, limit: null, now, cancellationToken); // LIMIT NULL is no limit

    public Task<SubscriptionUpdateOutcome> UpdateAsync(
        QueueRef queue, string subscriptionId, SubscriptionUpdate update, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (!Ids.TryParseSubscriptionId(subscriptionId, out var seq, out var salt))
        {
            return Task.FromResult(SubscriptionUpdateOutcome.NotFound);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        return _driver.TransactAsync("Subscription update", async (c, t) =>
        {
            var current = await c.QueryFirstOrDefaultAsync<SubscriptionRow>(new CommandDefinition(
                LiveOne + " FOR UPDATE",
                new { seq, salt, project = queue.Project, queue = queue.Name, now = nowMs }, t, cancellationToken: cancellationToken));
            if (current is null)
            {
                return SubscriptionUpdateOutcome.NotFound;
            }

            var renamed = update.Subscriber is { } subscriber && subscriber != current.Subscriber;
            if (renamed)
            {
                await c.ExecuteAsync(new CommandDefinition(
                    ForgetExpiredSubscriber,
                    new { project = queue.Project, queue = queue.Name, subscriber = update.Subscriber, now = nowMs },
                    t, cancellationToken: cancellationToken));
                await t.SaveAsync("renamed", cancellationToken);
            }

            try
            {
                await c.ExecuteAsync(new CommandDefinition(
                    $"""
                    UPDATE {S}.subscriptions
                    SET subscriber = coalesce(@subscriber, subscriber),
                        ttl = coalesce(@ttl, ttl),
                        expires = CASE WHEN @ttl IS NULL THEN expires ELSE @now + @ttl * 1000 END,
                        options = coalesce(@options, options)
                    WHERE seq = @seq
                    """,
                    new { seq, subscriber = update.Subscriber, ttl = update.Ttl, options = update.Options, now = nowMs },
                    t, cancellationToken: cancellationToken));
            }
            catch (PostgresException exception) when (renamed && exception.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Another live subscription of the queue has the new subscriber (perhaps created
                // just now, by another host): the unique key is the check that cannot race.
                await t.RollbackAsync("renamed", cancellationToken);
                return SubscriptionUpdateOutcome.SubscriberConflict;
            }

            return SubscriptionUpdateOutcome.Updated;
        }, cancellationToken);
    }

    public Task<bool> ConfirmAsync(
        QueueRef queue, string subscriptionId, bool confirmed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseSubscriptionId(subscriptionId, out var seq, out var salt))
        {
            return Task.FromResult(false);
        }

        return _driver.RunAsync("Subscription confirmation", async c => await c.ExecuteAsync(new CommandDefinition(
            $"""
            UPDATE {S}.subscriptions SET confirmed = @confirmed
            WHERE seq = @seq AND salt = @salt AND project = @project AND queue = @queue AND expires > @now
            """,
            new { seq, salt, project = queue.Project, queue = queue.Name, confirmed, now = now.ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    public Task DeleteAsync(QueueRef queue, string subscriptionId, CancellationToken cancellationToken)
    {
        if (!Ids.TryParseSubscriptionId(subscriptionId, out var seq, out var salt))
        {
            return Task.CompletedTask;
        }

        return _driver.RunAsync("Subscription deletion", c => c.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {S}.subscriptions WHERE seq = @seq AND salt = @salt AND project = @project AND queue = @queue",
            new { seq, salt, project = queue.Project, queue = queue.Name }, cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task DeleteAllAsync(QueueRef queue, CancellationToken cancellationToken) =>
        _driver.RunAsync("Subscription purge", c => c.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {S}.subscriptions WHERE project = @project AND queue = @queue",
            new { project = queue.Project, queue = queue.Name }, cancellationToken: cancellationToken)), cancellationToken);

    private Task<IReadOnlyList<Subscription>> ListAsync(QueueRef queue, long after, int? limit, DateTimeOffset now, CancellationToken cancellationToken) =>
        _driver.RunAsync<IReadOnlyList<Subscription>>("Subscription listing", async c =>
            (await c.QueryAsync<SubscriptionRow>(new CommandDefinition(
                $"""
                SELECT {Columns} FROM {S}.subscriptions
                WHERE project = @project AND queue = @queue AND seq > @after AND expires > @now
                ORDER BY seq LIMIT @limit
                """,
                new { project = queue.Project, queue = queue.Name, after, limit, now = now.ToUnixTimeMilliseconds() },
                cancellationToken: cancellationToken)))
            .Select(s => s.ToSubscription())
            .ToList(), cancellationToken);
}
