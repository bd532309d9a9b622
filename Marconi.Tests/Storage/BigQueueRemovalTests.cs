using System.Diagnostics;
using System.Net;
using Dapper;
using Marconi.Storage.Sqlite;
using Marconi.Tests.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Storage;

/// <summary>
/// Deleting or purging a queue of 400,000 messages on the real host: another client's posts keep being
/// answered while the rows go, the name serves an empty queue at once, and the old rows do go.
/// </summary>
public sealed class BigQueueRemovalTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    private const int Messages = 400_000;

    // Far above a sweep chunk (a few ms) and far below the seconds one big delete used to take, so a
    // loaded CI machine does not make it flaky (500 ms failed once at a load average of 10; unchunked
    // removal of these rows stalls posts for 3–5 s).
    private static readonly TimeSpan LongestAllowedWait = TimeSpan.FromMilliseconds(1000);

    [Theory]
    [InlineData("delete")]
    [InlineData("purge")]
    public async Task RemovingABigQueueKeepsOtherWritersMoving(string removal)
    {
        using var client = factory.CreateV1Client();
        var big = await client.CreateQueueAsync();
        var other = await client.CreateQueueAsync();
        (await client.PutAsync($"/v1/queues/{big}/metadata", """{"owner":"ops"}""")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var oldId = Fill(client.Project!, big);

        var waits = new List<(long Start, TimeSpan Wait)>();
        using var stop = new CancellationTokenSource();
        var warm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var poster = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                await client.PostMessagesAsync(other, """[{"ttl":300,"body":"tick"}]""");
                waits.Add((start, Stopwatch.GetElapsedTime(start)));
                if (waits.Count == 20)
                {
                    warm.TrySetResult();
                }
            }
        });
        await warm.Task;

        var sweep = factory.Services.GetRequiredService<SqliteDataDriver>().Sweep;
        var removalStart = Stopwatch.GetTimestamp();
        if (removal == "delete")
        {
            (await client.DeleteAsync($"/v1/queues/{big}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
            (await client.GetAsync($"/v1/queues/{big}/stats")).StatusCode.Should().Be(HttpStatusCode.NotFound);
            await client.CreateQueueAsync(big);
        }
        else
        {
            (await client.PostAsync($"/v2/queues/{big}/purge", """{"resource_types":["messages"]}"""))
                .StatusCode.Should().Be(HttpStatusCode.NoContent);
            (await (await client.GetAsync($"/v1/queues/{big}/metadata")).JsonAsync()).GetProperty("owner").GetString().Should().Be("ops");
        }

        // The name serves an empty queue while the old rows are still on disk.
        Count("SELECT count(*) FROM messages WHERE queue_id = @oldId", new { oldId }).Should().BeGreaterThan(0);
        (await client.GetAsync($"/v1/queues/{big}/messages?echo=true")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var stats = await (await client.GetAsync($"/v1/queues/{big}/stats")).JsonAsync();
        stats.GetProperty("messages").GetProperty("total").GetInt32().Should().Be(0);

        await sweep.WhenSweptAsync().WaitAsync(TimeSpan.FromMinutes(2));
        await stop.CancelAsync();
        await poster;

        Count("SELECT count(*) FROM messages WHERE queue_id = @oldId", new { oldId }).Should().Be(0);
        Count("SELECT count(*) FROM dead_queues").Should().Be(0);
        var during = waits.Where(w => w.Start >= removalStart).ToList();
        during.Should().HaveCountGreaterThan(5, "the other client went on posting while the rows went");
        waits.Max(w => w.Wait).Should().BeLessThan(LongestAllowedWait);
    }

    /// <summary>Inserts the messages straight into the file, as fast as SQLite can; returns the queue's row id.</summary>
    private long Fill(string project, string queue)
    {
        using var connection = new SqliteConnection($"Data Source={factory.DatabasePath}");
        connection.Open();
        connection.Execute("PRAGMA busy_timeout = 10000");
        var id = connection.ExecuteScalar<long>(
            "SELECT id FROM queues WHERE project = @project AND name = @queue", new { project, queue });
        var now = factory.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        using var transaction = connection.BeginTransaction();
        connection.Execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count)
            INSERT INTO messages (queue_id, client_id, ttl, created, expires, body)
            SELECT @id, @client, 3600, @now, @now + 3600000, '{"n":' || i || '}' FROM n
            """,
            new { count = Messages, id, client = Guid.NewGuid().ToByteArray(), now }, transaction);
        connection.Execute("UPDATE queues SET message_count = @count WHERE id = @id", new { count = Messages, id }, transaction);
        transaction.Commit();
        return id;
    }

    private long Count(string sql, object? args = null)
    {
        using var connection = new SqliteConnection($"Data Source={factory.DatabasePath}");
        connection.Open();
        return connection.ExecuteScalar<long>(sql, args);
    }
}
