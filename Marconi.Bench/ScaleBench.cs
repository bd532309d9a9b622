using System.Diagnostics;
using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Marconi.Bench;

/// <summary>
/// Shows that a claim, a page of messages and queue stats cost the same however many messages wait:
/// fills a queue to each count, then times each operation (median and p99 over many runs).
/// </summary>
internal static class ScaleBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        Console.WriteLine($"SQLite driver, Synchronous=Full, median / p99 microseconds over {options.Iterations} runs");
        Console.WriteLine("| messages waiting | claim 10 + release | list first page (20) | list page at the tail | stats | get one |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var count in options.Counts)
        {
            await WithSqliteDriverAsync(driver => RunOneAsync(driver, count, options.Iterations));
        }
    }

    /// <summary>Runs <paramref name="run"/> on the SQLite driver over a new file, removed afterwards.</summary>
    private static async Task WithSqliteDriverAsync(Func<IDataDriver, Task> run)
    {
        var folder = Directory.CreateTempSubdirectory("marconi-scale-").FullName;
        try
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Marconi:Storage:Sqlite:Path"] = Path.Combine(folder, "scale.db"),
            });
            builder.AddSqliteStorage();
            using var host = builder.Build();
            await run(host.Services.GetRequiredService<IDataDriver>());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task RunOneAsync(IDataDriver driver, int count, int iterations)
    {
        var now = DateTimeOffset.UtcNow;
        var queue = new QueueRef("bench", "scale");
        var client = Guid.NewGuid();
        await driver.Queues.CreateAsync(queue, now, default);
        IReadOnlyList<string> lastIds = [];
        for (var posted = 0; posted < count; posted += 1000)
        {
            var batch = Enumerable.Range(0, Math.Min(1000, count - posted))
                .Select(i => new NewMessage(3600, $"{{\"n\":{posted + i},\"pad\":\"{new string('x', 64)}\"}}"))
                .ToList();
            lastIds = (await driver.Messages.PostAsync(queue, batch, client, now, default))!;
        }

        var tail = (await driver.Messages.GetAsync(queue, lastIds[0], now, default))!.Marker;
        var reader = Guid.NewGuid();

        var claim = await TimeAsync(iterations, async () =>
        {
            var c = await driver.Claims.CreateAsync(queue, 60, 60, 10, now, default);
            await driver.Claims.DeleteAsync(queue, c!.Id, default);
        });
        var head = await TimeAsync(iterations, () =>
            driver.Messages.ListAsync(queue, new MessageListQuery(null, 20, false, false, reader), now, default));
        var end = await TimeAsync(iterations, () =>
            driver.Messages.ListAsync(queue, new MessageListQuery(tail, 20, false, false, reader), now, default));
        var stats = await TimeAsync(iterations, () => driver.Queues.GetStatsAsync(queue, now, default));
        var get = await TimeAsync(iterations, () => driver.Messages.GetAsync(queue, lastIds[^1], now, default));

        Console.WriteLine($"| {count:N0} | {claim} | {head} | {end} | {stats} | {get} |");
    }

    /// <summary>
    /// Message groups (SQS FIFO queues) as they grow: a receive of 10 (claims of one message each,
    /// then released) behind one held group holding all the queue's messages but ten of other
    /// groups at its tail, and in a queue of as many groups of one message each.
    /// </summary>
    public static async Task RunGroupsAsync(BenchOptions options)
    {
        Console.WriteLine($"SQLite driver, Synchronous=Full, median / p99 microseconds over {options.Iterations} runs");
        Console.WriteLine("| messages waiting | receive 10 behind a held group of them all | receive 10 of as many one-message groups |");
        Console.WriteLine("| ---: | ---: | ---: |");
        foreach (var count in options.Counts)
        {
            await WithSqliteDriverAsync(async driver =>
            {
                var now = DateTimeOffset.UtcNow;
                var held = await FillGroupsAsync(driver, new QueueRef("bench", "held.fifo"), count, n => n < count - 10 ? "A" : $"B{n}", now);
                _ = await driver.Claims.CreateAsync(held, 3600, 0, 1, now, default)
                    ?? throw new InvalidOperationException("The held group's head could not be claimed.");
                var behind = await TimeAsync(options.Iterations, () => ReceiveAndReleaseAsync(driver, held, now, expected: 10));
                var many = await FillGroupsAsync(driver, new QueueRef("bench", "many.fifo"), count, n => $"G{n}", now);
                var spread = await TimeAsync(options.Iterations, () => ReceiveAndReleaseAsync(driver, many, now, expected: 10));
                Console.WriteLine($"| {count:N0} | {behind} | {spread} |");
            });
        }
    }

    private static async Task<QueueRef> FillGroupsAsync(IDataDriver driver, QueueRef queue, int count, Func<int, string> groupOf, DateTimeOffset now)
    {
        await driver.Queues.CreateAsync(queue, now, default);
        var client = Guid.NewGuid();
        for (var posted = 0; posted < count; posted += 1000)
        {
            var batch = Enumerable.Range(posted, Math.Min(1000, count - posted))
                .Select(n => new NewMessage(3600, $"{{\"n\":{n}}}") { Group = groupOf(n) })
                .ToList();
            await driver.Messages.PostAsync(queue, batch, client, now, default);
        }

        return queue;
    }

    private static async Task ReceiveAndReleaseAsync(IDataDriver driver, QueueRef queue, DateTimeOffset now, int expected)
    {
        var claims = await driver.Claims.CreateEachAsync(queue, 60, 0, 10, now, default);
        if (claims.Count != expected)
        {
            throw new InvalidOperationException($"A receive of 10 took {claims.Count} messages; {expected} were claimable.");
        }

        foreach (var claim in claims)
        {
            await driver.Claims.DeleteAsync(queue, claim.Id, default);
        }
    }

    private static async Task<string> TimeAsync(int iterations, Func<Task> operation)
    {
        for (var i = 0; i < 10; i++)
        {
            await operation();
        }

        var samples = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await operation();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        samples.Sort();
        return $"{Percentiles.At(samples, 0.5):F0} / {Percentiles.At(samples, 0.99):F0}";
    }
}
