using System.Diagnostics;
using System.Globalization;
using Marconi.Tests.Support;
using Npgsql;

namespace Marconi.Bench;

/// <summary>
/// The storage drivers side by side in one run: perf's post-1, post-10 and claim-10+delete at N
/// connections against SQLite with one host (the shipped configuration, Synchronous=Full),
/// PostgreSQL with one host, and PostgreSQL with two hosts sharing one database (the connections
/// spread evenly over them, both hosts' workers claiming from the same queue). PostgreSQL is the
/// server <c>--postgres</c> names, or a throwaway cluster the bench starts with fsync on, so that a
/// 201 is as durable as SQLite's. Each configuration gets a fresh database: a new SQLite file, a
/// new PostgreSQL schema (dropped afterwards).
/// </summary>
internal static class StoresBench
{
    private static readonly string[] Workloads = ["post-1", "post-10", "claim-10+delete"];

    private sealed record Configuration(string Name, bool Postgres, int Hosts);

    private static readonly Configuration[] Configurations =
    [
        new("sqlite, 1 host", false, 1),
        new("postgres, 1 host", true, 1),
        new("postgres, 2 hosts", true, 2),
    ];

    private sealed record Result(Configuration Configuration, int Round, PerfRow Row);

    public static async Task<int> RunAsync(string[] args)
    {
        string? Value(string name) => BenchArgs.Value(args, name);

        var seconds = BenchArgs.Number(args, "--seconds", 5);
        var connections = BenchArgs.Whole(args, "--connections", 16, min: 1);
        var rounds = BenchArgs.Whole(args, "--rounds", 1, min: 1);
        PerfBench.Warmup = BenchArgs.Number(args, "--warmup", 3, min: 0);
        var server = BenchArgs.Server(args);
        var settings = BenchArgs.Settings(args);
        var loadAtStart = PerfBench.LoadAverage();

        PostgresCluster? cluster = null;
        string connectionString;
        string postgresSays;
        if (Value("--postgres") is { } given)
        {
            connectionString = given;
            postgresSays = "the server --postgres names, with its own settings";
        }
        else
        {
            (cluster, var unavailable) = await PostgresCluster.TryStartAsync(fsync: true);
            if (cluster is null)
            {
                Console.Error.WriteLine($"stores: {unavailable}, or name a server with --postgres CONNSTR");
                return 2;
            }

            connectionString = cluster.ConnectionString;
            postgresSays = $"a throwaway cluster the bench started on this machine (PostgreSQL {await cluster.VersionAsync()}, " +
                           $"Unix socket, {cluster.Settings}, the rest at their defaults)";
        }

        var folder = Directory.CreateTempSubdirectory("marconi-stores-").FullName;
        var results = new List<Result>();
        try
        {
            for (var round = 1; round <= rounds; round++)
            {
                // Every other round runs the configurations in reverse order, so drift over a run favours none of them.
                var order = round % 2 == 1 ? Configurations : Configurations.Reverse().ToArray();
                foreach (var configuration in order)
                {
                    var rows = await MeasureAsync(configuration, server, settings, connectionString,
                        Path.Combine(folder, $"stores-{round}-{Array.IndexOf(Configurations, configuration)}.db"), seconds, connections);
                    results.AddRange(rows.Select(r => new Result(configuration, round, r)));
                }
            }
        }
        finally
        {
            Progress.Clear();
            Directory.Delete(folder, recursive: true);
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
        }

        Console.WriteLine($"server: {server}");
        Console.WriteLine($"stores: {connections} HTTP connections spread evenly over the hosts, {seconds} s per row after {PerfBench.Warmup} s of warm-up, " +
                          $"{rounds} round(s) in alternating order; {Environment.ProcessorCount} cores shared by the load generator, the hosts and the database, " +
                          $"load average {loadAtStart} at start, {PerfBench.LoadAverage()} at end");
        Console.WriteLine("sqlite: the shipped configuration (Synchronous=Full, WAL), a new file per configuration");
        Console.WriteLine($"postgres: {postgresSays}; a new schema per configuration");
        Console.WriteLine("msg/s: messages posted, or for claim-10+delete messages claimed and deleted, per second; every request of a claim cycle counts in req/s");
        Print(results, rounds);
        return 0;
    }

    /// <summary>Starts the configuration's hosts on a fresh database, runs the workloads, stops them.</summary>
    private static async Task<List<PerfRow>> MeasureAsync(
        Configuration configuration, string server, string[] settings, string connectionString, string database,
        double seconds, int connections)
    {
        var schema = "marconi_bench_" + Guid.NewGuid().ToString("N");
        string[] store = configuration.Postgres
            ? ["--Marconi:Storage:Driver=postgres", $"--Marconi:Storage:Postgres:ConnectionString={connectionString}", $"--Marconi:Storage:Postgres:Schema={schema}"]
            : [];
        var ports = new int[configuration.Hosts];
        var hosts = new List<Process>();
        try
        {
            for (var i = 0; i < configuration.Hosts; i++)
            {
                ports[i] = PostBench.FreePort();
                hosts.Add(await PerfBench.StartServerAsync(server, database, ports[i], $"tcp://127.0.0.1:{PostBench.FreePort()}", [.. store, .. settings]));
            }

            var rows = await PerfBench.HttpRowsAsync(ports, [.. hosts], seconds, connections, Workloads.Contains);
            rows.ForEach(r => (r.Workload, r.Variant) = (r.Name, configuration.Name));
            return rows;
        }
        finally
        {
            foreach (var host in hosts)
            {
                host.Kill(entireProcessTree: true);
                await host.WaitForExitAsync();
                host.Dispose();
            }

            if (configuration.Postgres)
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
    }

    /// <summary>
    /// Workload × configuration: the mean rate over the rounds and its ratio to SQLite with one host
    /// (the ratio of the means); with more than one round, each round's rate too.
    /// </summary>
    private static void Print(List<Result> results, int rounds)
    {
        Console.WriteLine($"| workload | configuration | req/s | msg/s | p50 ms | p99 ms | ratio to sqlite 1 host |{(rounds > 1 ? " req/s by round |" : "")}");
        Console.WriteLine($"| --- | --- | ---: | ---: | ---: | ---: | ---: |{(rounds > 1 ? " --- |" : "")}");
        foreach (var workload in Workloads)
        {
            var sqlite = results.Where(r => r.Configuration == Configurations[0] && r.Row.Workload == workload).ToList();
            foreach (var configuration in Configurations)
            {
                var rows = results.Where(r => r.Configuration == configuration && r.Row.Workload == workload).OrderBy(r => r.Round).ToList();
                if (rows.Count == 0)
                {
                    continue;
                }

                var rate = rows.Average(r => r.Row.Rate);
                var messages = rows.All(r => r.Row.MessagesPerSecond is not null) ? rows.Average(r => r.Row.MessagesPerSecond!.Value).ToString("F0", CultureInfo.InvariantCulture) : "";
                var ratio = sqlite.Count > 0 ? (rate / sqlite.Average(r => r.Row.Rate)).ToString("F2", CultureInfo.InvariantCulture) : "";
                var notes = string.Join("; ", rows.Select(r => r.Row.Note).OfType<string>());
                Console.WriteLine($"| {workload} | {configuration.Name}{(notes == "" ? "" : $" ({notes})")} | {rate:F0} | {messages} | " +
                                  $"{rows.Average(r => r.Row.P50Ms):F2} | {rows.Average(r => r.Row.P99Ms):F2} | {ratio} |" +
                                  (rounds > 1 ? $" {string.Join(" / ", rows.Select(r => r.Row.Rate.ToString("F0", CultureInfo.InvariantCulture)))} |" : ""));
            }
        }
    }
}
