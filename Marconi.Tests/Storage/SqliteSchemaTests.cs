using Dapper;
using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Sqlite;
using Marconi.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marconi.Tests.Storage;

/// <summary>What only the SQLite driver promises: its migrations and the shape of its hot queries.</summary>
public sealed class SqliteSchemaTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task ADatabaseOfTheFirstSchemaKeepsItsMessagesVisibleAndClaimable()
    {
        var created = new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
        await using (var connection = new SqliteConnection($"Data Source={_database.Path}"))
        {
            connection.Open();
            Schema.Migrate(connection, 1);
            connection.Execute(
                """
                INSERT INTO queues (project, name, created, message_count) VALUES ('p1', 'old', @created, 1);
                INSERT INTO messages (queue_id, client_id, ttl, created, expires, body)
                VALUES (1, @client, 600, @created, @expires, '{"n":0}');
                """,
                new { created = created.ToUnixTimeMilliseconds(), expires = created.AddSeconds(600).ToUnixTimeMilliseconds(), client = Guid.NewGuid().ToByteArray() });
        }

        var driver = Open();
        await using var _ = driver;
        var queue = new QueueRef("p1", "old");
        var now = created.AddSeconds(10);
        var listed = await driver.Messages.ListAsync(queue, new MessageListQuery(null, 10, true, false, Guid.NewGuid()), now, default);
        listed.Should().ContainSingle().Which.Should().Match<StoredMessage>(m =>
            m.ClaimCount == 0 && m.ClaimId == null && !m.Encrypted && m.Body == """{"n":0}""" && m.Created == created);
        var claim = await driver.Claims.CreateAsync(queue, 60, 60, 10, now, default);
        claim!.Messages.Single().ClaimCount.Should().Be(1);
        (await driver.GetOrAddSettingAsync("k", "v", default)).Should().Be("v");
    }

    [Fact]
    public async Task MessageBodiesAreStoredAsTheTextThatWasSentByteForByte()
    {
        // Bodies reach the store as UTF-8 bytes; they must land as TEXT (not BLOB), unchanged.
        var body = "{\"s\":\"é€😀\",\"lone\":\"\\ud800\"}"u8.ToArray();
        var driver = Open();
        await using (driver)
        {
            var queue = new QueueRef("p1", "bodies");
            await driver.Queues.CreateAsync(queue, DateTimeOffset.UtcNow, default);
            await driver.Messages.PostAsync(queue, [new NewMessage(60, body)], Guid.NewGuid(), DateTimeOffset.UtcNow, default);
        }

        await using var connection = new SqliteConnection($"Data Source={_database.Path}");
        connection.Open();
        var row = connection.QuerySingle<(string Type, byte[] Bytes)>("SELECT typeof(body), CAST(body AS BLOB) FROM messages");
        row.Type.Should().Be("text");
        row.Bytes.Should().Equal(body);
    }

    [Fact]
    public async Task ClaimsPopsAndPagesWalkTheQueueIndexInMarkerOrder()
    {
        await using (Open())
        {
        }

        await using var connection = new SqliteConnection($"Data Source={_database.Path}");
        connection.Open();
        var claimable = Plan(connection, Sql.Claimable, new { queueId = 1, after = 0, now = 0, limit = 10 });
        var page = Plan(connection, SqliteMessageController.Page, new
        {
            project = "p", name = "q", after = 0, now = 0, echo = true, client = Guid.Empty.ToByteArray(),
            includeClaimed = false, includeDelayed = false, limit = 10,
        });

        // An index range in marker order, stopping at the limit: no full scan and no sort, so the cost
        // does not grow with the messages waiting behind.
        claimable.Should().Contain(p => p.Contains("USING INDEX messages_queue (queue_id=? AND rowid>?)"));
        page.Should().Contain(p => p.Contains("USING INDEX messages_queue (queue_id=? AND rowid>?)"));
        page.Should().Contain(p => p.Contains("USING INTEGER PRIMARY KEY (rowid=?)")); // the live claim
        claimable.Concat(page).Should().NotContain(p => p.Contains("TEMP B-TREE") || p.StartsWith("SCAN"));
    }

    [Fact]
    public async Task TheDelayedCountReadsOnlyTheDelayedMessagesOfItsQueue()
    {
        await using (Open())
        {
        }

        await using var connection = new SqliteConnection($"Data Source={_database.Path}");
        connection.Open();
        var plan = Plan(connection, SqliteQueueController.DelayedCount, new { queue = 1, now = 0 });

        // A range of the partial index, which holds delayed messages only: not the queue's depth.
        plan.Should().ContainSingle().Which.Should().Contain("USING INDEX messages_delayed (queue_id=? AND visible_at>?)");
    }

    private static List<string> Plan(SqliteConnection connection, string sql, object args) =>
        connection.Query<(long Id, long Parent, long NotUsed, string Detail)>("EXPLAIN QUERY PLAN " + sql, args)
            .Select(row => row.Detail)
            .ToList();

    private SqliteDataDriver Open() => new(
        Options.Create(new SqliteStorageOptions { Path = _database.Path }), NullLogger<SqliteDataDriver>.Instance);
}
