using Dapper;
using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Sqlite;
using Marconi.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marconi.Tests.Storage;

/// <summary>
/// How the SQLite driver removes what a deletion leaves behind: the rows of a deleted or purged queue
/// go later, in chunks of <c>CollectorChunk</c>, and the sweep resumes after a restart.
/// </summary>
public sealed class SqliteSweepTests : IDisposable
{
    private const int Chunk = 10;
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task ADeletedQueuesRowsGoInChunksAndTheSweepResumesAfterARestart()
    {
        var queue = new QueueRef("p1", "jobs");
        long oldId;
        await using (var driver = Open())
        {
            await driver.Queues.CreateAsync(queue, Now, default);
            oldId = Count("SELECT id FROM queues");
            await PostAsync(driver, queue, 25);
            await driver.Claims.CreateAsync(queue, 60, 60, 2, Now, default);
            await driver.Claims.CreateAsync(queue, 60, 60, 1, Now, default);

            await driver.Queues.DeleteAsync(queue, default);
            await driver.Queues.CreateAsync(queue, Now, default);
            await PostAsync(driver, queue, 3);
            Count("SELECT count(*) FROM messages WHERE queue_id = @oldId", new { oldId }).Should().Be(25);

            (await driver.SweepChunkAsync()).Should().Be(new SweptChunk(oldId, Chunk, Finished: false));
        }

        // dead_queues is on disk: a restarted driver goes on where the last one stopped.
        await using (var driver = Open())
        {
            (await driver.SweepChunkAsync()).Should().Be(new SweptChunk(oldId, Chunk, Finished: false));
            (await driver.SweepChunkAsync()).Should().Be(new SweptChunk(oldId, 5 + 2, Finished: true));
            (await driver.SweepChunkAsync()).Should().BeNull();

            Count("SELECT count(*) FROM messages WHERE queue_id = @oldId", new { oldId }).Should().Be(0);
            Count("SELECT count(*) FROM claims WHERE queue_id = @oldId", new { oldId }).Should().Be(0);
            Count("SELECT count(*) FROM dead_queues").Should().Be(0);
            (await driver.Messages.ListAsync(queue, new MessageListQuery(null, 10, true, true, Guid.NewGuid()), Now, default))
                .Should().HaveCount(3);
        }
    }

    [Fact]
    public async Task APurgedQueuesOldRowsGoToTheSweepAndItsNewMessagesStay()
    {
        var queue = new QueueRef("p1", "jobs");
        await using var driver = Open();
        await driver.Queues.CreateAsync(queue, Now, default);
        await PostAsync(driver, queue, 12);
        var oldId = Count("SELECT id FROM queues");

        await driver.Messages.PurgeAsync(queue, default);
        await PostAsync(driver, queue, 2);
        while (await driver.SweepChunkAsync() is { Finished: false })
        {
        }

        Count("SELECT count(*) FROM messages WHERE queue_id = @oldId", new { oldId }).Should().Be(0);
        Count("SELECT count(*) FROM messages").Should().Be(2);
        (await driver.Queues.GetStatsAsync(queue, Now, default))!.Total.Should().Be(2);
    }

    [Fact]
    public async Task TheCollectorRemovesMoreExpiredClaimsThanOneChunk()
    {
        var queue = new QueueRef("p1", "jobs");
        await using var driver = Open();
        await driver.Queues.CreateAsync(queue, Now, default);
        await PostAsync(driver, queue, 3 * Chunk);
        for (var i = 0; i < 3 * Chunk; i++)
        {
            await driver.Claims.CreateAsync(queue, 60, 60, 1, Now, default);
        }

        // Messages live past their claims (grace), so only the claims have expired.
        (await driver.CollectGarbageAsync(Now.AddSeconds(61), default)).Should().Be(3 * Chunk);
        Count("SELECT count(*) FROM claims").Should().Be(0);
        Count("SELECT count(*) FROM messages").Should().Be(3 * Chunk);
    }

    private static Task PostAsync(SqliteDataDriver driver, QueueRef queue, int count) =>
        driver.Messages.PostAsync(
            queue, Enumerable.Range(0, count).Select(i => new NewMessage(300, $"{{\"n\":{i}}}")).ToList(), Guid.NewGuid(), Now, default);

    private long Count(string sql, object? args = null)
    {
        using var connection = new SqliteConnection($"Data Source={_database.Path}");
        connection.Open();
        return connection.ExecuteScalar<long>(sql, args);
    }

    private SqliteDataDriver Open() => new(
        Options.Create(new SqliteStorageOptions { Path = _database.Path, CollectorChunk = Chunk }),
        NullLogger<SqliteDataDriver>.Instance);
}
