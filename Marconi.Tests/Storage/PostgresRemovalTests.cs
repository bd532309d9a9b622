using Dapper;
using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Postgres;
using Marconi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marconi.Tests.Storage;

/// <summary>
/// How the PostgreSQL driver removes rows: a deleted or purged queue is gone at once while its rows
/// go later in chunks (the counterpart of SQLite's <see cref="BigQueueRemovalTests"/>), a post waiting
/// on the queue row meanwhile lands where it should, the collector never waits on a row someone
/// holds, and collectors of several hosts sharing one schema remove each expired row once. Rows and
/// posts are written with SQL, so only the queue side of the driver is used.
/// </summary>
public sealed class PostgresRemovalTests : IAsyncLifetime
{
    private const int Chunk = 50;
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly long NowMs = Now.ToUnixTimeMilliseconds();

    private PostgresServer _server = null!;
    private string _schema = null!;
    private readonly List<PostgresDataDriver> _drivers = [];

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.GetAsync();
        if (_server.Unavailable is null)
        {
            _schema = await _server.CreateSchemaAsync();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var driver in _drivers)
        {
            await driver.DisposeAsync();
        }

        if (_schema is not null)
        {
            await _server.DropSchemaAsync(_schema);
        }
    }

    [SkippableTheory]
    [InlineData("delete")]
    [InlineData("purge")]
    public async Task ABigQueueIsGoneAtOnceAndItsRowsGoInChunks(string removal)
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var driver = Open();
        var queue = new QueueRef("p1", "big");
        await driver.Queues.CreateAsync(queue, Now, default, """{"owner":"ops"}""");
        var oldId = await QueueIdAsync(queue);
        await FillAsync(oldId, 500, ttl: 3600);
        await ClaimAsync(oldId, 3, ttl: 600);
        await using var connection = await _server.ConnectAsync();
        await LogDeletedMessagesAsync(connection);

        if (removal == "delete")
        {
            await driver.Queues.DeleteAsync(queue, default);
            (await driver.Queues.ExistsAsync(queue, default)).Should().BeFalse();
            (await driver.Queues.GetStatsAsync(queue, Now, default)).Should().BeNull();
            (await driver.Queues.CreateAsync(queue, Now, default)).Should().BeTrue();
        }
        else
        {
            await ((PostgresQueueController)driver.Queues).PurgeMessagesAsync(queue, default);
            (await driver.Queues.GetMetadataAsync(queue, default)).Should().Be("""{"owner":"ops"}""");
        }

        // The name serves an empty queue while the old rows are still stored.
        (await driver.Queues.GetStatsAsync(queue, Now, default)).Should().Be(new QueueStats(0, 0, null, null));
        (await driver.Queues.ListDeepestAsync(10, Now, default)).Should().BeEmpty();
        (await QueueIdAsync(queue)).Should().NotBe(oldId);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.messages WHERE queue_id = @oldId", new { oldId })).Should().Be(500);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.purges")).Should().Be(1);

        // A row someone holds is left for the next round: the collector does not wait for it.
        long first;
        await using (var holder = await _server.ConnectAsync())
        await using (var hold = await holder.BeginTransactionAsync())
        {
            await holder.ExecuteAsync(
                Sql("SELECT 1 FROM {s}.messages WHERE queue_id = @oldId ORDER BY marker LIMIT 1 FOR UPDATE"), new { oldId }, hold);
            first = await driver.CollectGarbageAsync(Now, default).WaitAsync(TimeSpan.FromSeconds(30));
            (await CountAsync(connection, "SELECT count(*) FROM {s}.purges")).Should().Be(1);
        }

        var second = await driver.CollectGarbageAsync(Now, default);
        first.Should().Be(499 + 3);
        second.Should().Be(1);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.messages")).Should().Be(0);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.claims")).Should().Be(0);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.purges")).Should().Be(0);
        var chunks = (await connection.QueryAsync<long>(Sql("SELECT sum(rows) FROM {s}.deleted GROUP BY tx"))).ToList();
        chunks.Sum().Should().Be(500);
        chunks.Should().HaveCountGreaterThanOrEqualTo(500 / Chunk).And.OnlyContain(rows => rows <= Chunk);
    }

    [SkippableTheory]
    [InlineData("delete")]
    [InlineData("purge")]
    public async Task APostWaitingOnTheQueueRowFollowsAPurgeAndFindsADeletedQueueGone(string removal)
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var driver = Open();
        var queue = new QueueRef("p1", "jobs");
        await driver.Queues.CreateAsync(queue, Now, default);
        // Posts lock the queue row (FOR NO KEY UPDATE) before they draw markers; these stand in for two.
        var lockRow = Sql("SELECT id FROM {s}.queues WHERE project = 'p1' AND name = 'jobs' FOR NO KEY UPDATE");
        await using var first = await _server.ConnectAsync();
        await using var firstPost = await first.BeginTransactionAsync();
        await first.ExecuteScalarAsync<long>(lockRow, transaction: firstPost);

        var removing = removal == "delete"
            ? driver.Queues.DeleteAsync(queue, default)
            : ((PostgresQueueController)driver.Queues).PurgeMessagesAsync(queue, default);
        await _server.WaitForLockWaitersAsync(_schema, 1);
        await using var second = await _server.ConnectAsync();
        await using var secondPost = await second.BeginTransactionAsync();
        var secondId = second.ExecuteScalarAsync<long?>(lockRow, transaction: secondPost);
        await _server.WaitForLockWaitersAsync(_schema, 2);
        await firstPost.CommitAsync();
        await removing;

        if (removal == "delete")
        {
            (await secondId).Should().BeNull();
        }
        else
        {
            (await secondId).Should().Be(await QueueIdAsync(queue));
        }
    }

    [SkippableFact]
    public async Task ASmallQueueLeavesNothingForTheCollector()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var driver = Open();
        var deleted = new QueueRef("p1", "deleted");
        var purged = new QueueRef("p1", "purged");
        foreach (var queue in new[] { deleted, purged })
        {
            await driver.Queues.CreateAsync(queue, Now, default);
            var id = await QueueIdAsync(queue);
            await FillAsync(id, Chunk, ttl: 3600);
            await ClaimAsync(id, 2, ttl: 600);
        }

        await driver.Queues.DeleteAsync(deleted, default);
        await ((PostgresQueueController)driver.Queues).PurgeMessagesAsync(purged, default);

        await using var connection = await _server.ConnectAsync();
        (await CountAsync(connection, "SELECT count(*) FROM {s}.messages")).Should().Be(0);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.claims")).Should().Be(0);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.purges")).Should().Be(0);
        (await driver.Queues.ExistsAsync(purged, default)).Should().BeTrue();
    }

    [SkippableFact]
    public async Task CollectorsOfThreeHostsAtOnceRemoveEachExpiredRowOnce()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var hosts = new[] { Open(), Open(), Open() };
        var queue = new QueueRef("p1", "jobs");
        await hosts[0].Queues.CreateAsync(queue, Now, default);
        var id = await QueueIdAsync(queue);
        await FillAsync(id, 1000, ttl: -1);
        await FillAsync(id, 30, ttl: 3600);
        await ClaimAsync(id, 120, ttl: -1);
        await ClaimAsync(id, 10, ttl: 600);
        await using var connection = await _server.ConnectAsync();
        await connection.ExecuteAsync(Sql(
            """
            INSERT INTO {s}.subscriptions (salt, project, queue, subscriber, ttl, created, expires, options)
            SELECT 1, 'p1', 'jobs', 'http://s/' || i, 60, @now, @now + CASE WHEN i <= 60 THEN -1 ELSE 60000 END, '{}'
            FROM generate_series(1, 65) AS i
            """), new { now = NowMs });
        const int Expired = 1000 + 120 + 60;

        long removed = 0;
        for (var round = 0; round < 5 && removed < Expired; round++)
        {
            using var start = new Barrier(hosts.Length);
            var counts = await Task.WhenAll(hosts.Select(host => Task.Run(async () =>
            {
                start.SignalAndWait();
                return await host.CollectGarbageAsync(Now, default);
            })));
            removed += counts.Sum();
        }

        removed.Should().Be(Expired);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.messages")).Should().Be(30);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.claims")).Should().Be(10);
        (await CountAsync(connection, "SELECT count(*) FROM {s}.subscriptions")).Should().Be(5);
        (await hosts[1].CollectGarbageAsync(Now, default)).Should().Be(0);
    }

    private PostgresDataDriver Open()
    {
        var driver = new PostgresDataDriver(
            Options.Create(new PostgresStorageOptions { ConnectionString = _server.ConnectionString!, Schema = _schema, CollectorChunk = Chunk }),
            NullLogger<PostgresDataDriver>.Instance);
        _drivers.Add(driver);
        return driver;
    }

    private string Sql(string sql) => sql.Replace("{s}", _schema, StringComparison.Ordinal);

    private async Task<long> CountAsync(NpgsqlConnection connection, string sql, object? args = null) =>
        await connection.ExecuteScalarAsync<long>(Sql(sql), args);

    private async Task<long> QueueIdAsync(QueueRef queue)
    {
        await using var connection = await _server.ConnectAsync();
        return await connection.ExecuteScalarAsync<long>(
            Sql("SELECT id FROM {s}.queues WHERE project = @Project AND name = @Name"), new { queue.Project, queue.Name });
    }

    /// <summary>Stores <paramref name="count"/> messages of a queue id, expiring <paramref name="ttl"/> seconds after now.</summary>
    private async Task FillAsync(long queueId, int count, int ttl)
    {
        await using var connection = await _server.ConnectAsync();
        await connection.ExecuteAsync(Sql(
            """
            INSERT INTO {s}.messages (queue_id, marker, client_id, ttl, created, expires, visible_at, body)
            SELECT @queueId, nextval('{s}.markers'), gen_random_uuid(), @ttl, @now, @now + @ttl * 1000, @now, convert_to('{}', 'UTF8')
            FROM generate_series(1, @count)
            """), new { queueId, count, ttl, now = NowMs });
    }

    /// <summary>Stores <paramref name="count"/> claims of a queue id (without messages), expiring <paramref name="ttl"/> seconds after now.</summary>
    private async Task ClaimAsync(long queueId, int count, int ttl)
    {
        await using var connection = await _server.ConnectAsync();
        await connection.ExecuteAsync(Sql(
            """
            INSERT INTO {s}.claims (id, salt, queue_id, ttl, updated, expires, markers)
            SELECT nextval('{s}.claim_ids'), 1, @queueId, @ttl, @now, @now + @ttl * 1000, '{}'
            FROM generate_series(1, @count)
            """), new { queueId, count, ttl, now = NowMs });
    }

    /// <summary>Records how many message rows each transaction deletes, to see the chunks.</summary>
    private async Task LogDeletedMessagesAsync(NpgsqlConnection connection) =>
        await connection.ExecuteAsync(Sql(
            """
            CREATE TABLE {s}.deleted (tx bigint NOT NULL, rows bigint NOT NULL);
            CREATE FUNCTION {s}.log_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO {s}.deleted SELECT txid_current(), count(*) FROM gone;
                RETURN NULL;
            END $$;
            CREATE TRIGGER log_deleted AFTER DELETE ON {s}.messages
            REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION {s}.log_deleted();
            """));
}
