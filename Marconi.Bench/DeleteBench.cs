using System.Diagnostics;
using Dapper;
using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Marconi.Bench;

/// <summary>
/// How long another writer waits while a big queue is deleted: fills a queue to each count (by SQL,
/// straight into the file), then deletes it while one poster posts one message at a time to another
/// queue, and reports the longest post wait until the deleted queue's rows are gone from the file.
/// </summary>
internal static class DeleteBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        Console.WriteLine("SQLite driver, Synchronous=Full, one poster posting 1 message at a time to another queue during the delete");
        Console.WriteLine("Idle: the same poster in the second before the delete, for the machine's own noise");
        Console.WriteLine("| messages in the deleted queue | delete call ms | rows gone after ms | posts meanwhile | post p50 ms | post p99 ms | longest post wait ms | posts over 50 ms | idle p99 / longest ms |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var count in options.Counts)
        {
            var folder = Directory.CreateTempSubdirectory("marconi-delete-").FullName;
            try
            {
                await RunOneAsync(Path.Combine(folder, "delete.db"), count);
            }
            finally
            {
                SqliteConnection.ClearAllPools();
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task RunOneAsync(string path, int count)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Marconi:Storage:Sqlite:Path"] = path,
        });
        builder.AddSqliteStorage();
        using var host = builder.Build();
        // Started, so whatever the storage runs in the background runs here too.
        await host.StartAsync();
        var driver = host.Services.GetRequiredService<IDataDriver>();

        var now = DateTimeOffset.UtcNow;
        var big = new QueueRef("bench", "big");
        var other = new QueueRef("bench", "other");
        await driver.Queues.CreateAsync(big, now, default);
        await driver.Queues.CreateAsync(other, now, default);
        await using var sql = new SqliteConnection($"Data Source={path}");
        sql.Open();
        sql.Execute("PRAGMA busy_timeout = 10000");
        var bigId = Fill(sql, count, now.ToUnixTimeMilliseconds());

        var client = Guid.NewGuid();
        var samples = new List<(long Start, double Ms)>();
        using var stop = new CancellationTokenSource();
        var warm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var poster = Task.Run(async () =>
        {
            NewMessage[] message = [new NewMessage(3600, """{"event":"tick"}""")];
            while (!stop.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                await driver.Messages.PostAsync(other, message, client, now, default);
                samples.Add((start, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
                if (samples.Count == 100)
                {
                    warm.TrySetResult();
                }
            }
        });
        await warm.Task;
        var idleStart = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(1));

        var deleteStart = Stopwatch.GetTimestamp();
        await driver.Queues.DeleteAsync(big, default);
        var deleteMs = Stopwatch.GetElapsedTime(deleteStart).TotalMilliseconds;
        // Polling is fine in a benchmark: it only reads, and 10 ms is finer than what is measured.
        while (sql.ExecuteScalar<long>("SELECT count(*) FROM messages WHERE queue_id = @bigId", new { bigId }) > 0)
        {
            await Task.Delay(10);
        }

        var goneMs = Stopwatch.GetElapsedTime(deleteStart).TotalMilliseconds;
        await stop.CancelAsync();
        await poster;
        await host.StopAsync();

        var idle = samples.Where(s => s.Start >= idleStart && s.Start + (long)(s.Ms * Stopwatch.Frequency / 1000) < deleteStart)
            .Select(s => s.Ms).Order().ToList();
        var during = samples.Where(s => s.Start >= deleteStart || Stopwatch.GetElapsedTime(s.Start, deleteStart).TotalMilliseconds < s.Ms)
            .Select(s => s.Ms).Order().ToList();
        Console.WriteLine(
            $"| {count:N0} | {deleteMs:F0} | {goneMs:F0} | {during.Count} | {Percentiles.At(during, 0.5):F2} | {Percentiles.At(during, 0.99):F2} | {during[^1]:F0} | {during.Count(ms => ms > 50)} | {Percentiles.At(idle, 0.99):F1} / {idle[^1]:F1} |");
    }

    /// <summary>Inserts <paramref name="count"/> messages into the big queue in one statement; returns its row id.</summary>
    private static long Fill(SqliteConnection sql, int count, long now)
    {
        var bigId = sql.ExecuteScalar<long>("SELECT id FROM queues WHERE project = 'bench' AND name = 'big'");
        using var transaction = sql.BeginTransaction();
        sql.Execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count)
            INSERT INTO messages (queue_id, client_id, ttl, created, expires, body)
            SELECT @bigId, @client, 3600, @now, @now + 3600000, '{"n":' || i || ',"pad":"' || @pad || '"}' FROM n
            """,
            new { count, bigId, client = Guid.NewGuid().ToByteArray(), now, pad = new string('x', 64) }, transaction);
        sql.Execute("UPDATE queues SET message_count = @count WHERE id = @bigId", new { count, bigId }, transaction);
        transaction.Commit();
        return bigId;
    }
}
