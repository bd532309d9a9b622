using System.Globalization;
using Marconi.Tests.EndToEnd;
using Marconi.Tests.Support;

namespace Marconi.Tests.Metrics;

/// <summary>
/// The README's metrics, consume, stores and dashboard benchmarks run as written but shorter (fewer calls,
/// rounds and seconds), on the bench the solution build made, so the commands and their tables stay true.
/// </summary>
public sealed class ReadmeBenchTests
{
    internal const string Run = "dotnet run -c Release --project Marconi.Bench --";

    [Fact]
    public async Task TheMetricsBenchmarksOfTheReadmeRunAndPrintTheirTables()
    {
        var commands = Readme.Block("bench-metrics", "bash").Split('\n').Where(l => l.StartsWith("dotnet", StringComparison.Ordinal)).ToList();
        commands.Should().HaveCount(2);
        commands.Should().OnlyContain(c => c.StartsWith(Run, StringComparison.Ordinal));
        var bench = Bench();

        commands[0].Should().EndWith("-- metrics");
        var (code, output, error) = await Cli.CliScriptTests.BashAsync($"dotnet '{bench}'{commands[0][Run.Length..]} 20000");
        code.Should().Be(0, error);
        output.Should().Contain("| off (no listener) |").And.Contain("| on (OpenTelemetry, Prometheus exporter) |");

        const string Long = "--rounds 4 --seconds 4 --warmup 2";
        commands[1].Should().EndWith(Long);
        var shortened = commands[1].Replace(Long, "--rounds 2 --seconds 1 --warmup 0", StringComparison.Ordinal);
        (code, output, error) = await Cli.CliScriptTests.BashAsync($"dotnet '{bench}'{shortened[Run.Length..]}");
        code.Should().Be(0, error);
        output.Should().Contain("| list-10 [metrics-off] #2 |").And.Contain("| post-1 [base] #1 |").And.Contain("| post-1 [log-information] #2 |");
        output.Should().MatchRegex(@"\| list-10 \| metrics-off \| \d+ → \d+ \| [+-]\d+\.\d% \| [\d.]+ → [\d.]+ \| [+-]\d+\.\d% \| 2 \|");
    }

    [Fact]
    public async Task TheGroupsBenchmarkOfTheReadmeRunsAndPrintsItsTable()
    {
        var command = Readme.Block("bench-groups", "bash").Split('\n').Single(l => l.StartsWith("dotnet", StringComparison.Ordinal));
        command.Should().StartWith(Run + " groups");
        const string Long = "--counts 1000,20000,100000 --iterations 30";
        command.Should().EndWith(Long);
        var shortened = command.Replace(Long, "--counts 100,3000 --iterations 3", StringComparison.Ordinal);
        var (code, output, error) = await Cli.CliScriptTests.BashAsync($"dotnet '{Bench()}'{shortened[Run.Length..]}");
        // The bench fails when a receive does not find the ten messages behind the held group.
        code.Should().Be(0, output + error);
        output.Should().MatchRegex(@"\| 100 \| \d+ / \d+ \| \d+ / \d+ \|").And.MatchRegex(@"\| 3,000 \| \d+ / \d+ \| \d+ / \d+ \|");
    }

    [Fact]
    public async Task TheConsumeBenchmarkOfTheReadmeRunsAndLongPollTakesOneClaimAndOneDeletePerMessage()
    {
        var command = Readme.Block("bench-consume", "bash").Split('\n').Single(l => l.StartsWith("dotnet", StringComparison.Ordinal));
        command.Should().StartWith(Run + " consume");

        // Two seconds a row, no warm-up and the 100 ms poll only: four rows and the server's start in about 15 s.
        const string Long = "--seconds 10 --interval 50 --consumers 1 --polls 100,1000";
        command.Should().EndWith(Long);
        var shortened = command.Replace(Long, "--seconds 2 --interval 50 --consumers 1 --polls 100 --warmup 0", StringComparison.Ordinal);
        var (code, output, error) = await Cli.CliScriptTests.BashAsync($"dotnet '{Bench()}'{shortened[Run.Length..]}");
        code.Should().Be(0, "every posted message is delivered exactly once: " + output + error);

        // | transport | mode | delivered | p50 | p99 | max | claims (empty) | deletes | requests/message | post p50 |
        var rows = output.Split('\n').Where(l => l.StartsWith("| http v2 |", StringComparison.Ordinal) || l.StartsWith("| zmq v2 |", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToDictionary(c => $"{c[1]} {c[2]}", c => c);
        rows.Keys.Should().BeEquivalentTo("http v2 long-poll (wait=20)", "http v2 poll every 100 ms", "zmq v2 long-poll (wait=20)", "zmq v2 poll every 100 ms");
        foreach (var transport in new[] { "http v2", "zmq v2" })
        {
            var longPoll = rows[$"{transport} long-poll (wait=20)"];
            var poll = rows[$"{transport} poll every 100 ms"];
            // A message every 50 ms for 2 s (fewer when posts lag on a loaded machine); the delivered
            // count is a plain number only when none is missing or twice.
            int.Parse(longPoll[3], CultureInfo.InvariantCulture).Should().BeInRange(10, 40);
            // A waiting claim answers only with a message (or at the end of its 20 s): no empty claims.
            longPoll[7].Should().EndWith("(0)", transport);
            double.Parse(longPoll[9], CultureInfo.InvariantCulture).Should().Be(2.0, transport);
            // Whether a poll finds the queue empty depends on how fast the machine keeps up (under the
            // whole suite's load the consumer can trail the producer for all of the row), so only
            // that every message took its claim and its delete.
            int.Parse(poll[3], CultureInfo.InvariantCulture).Should().BeInRange(10, 40);
            double.Parse(poll[9], CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(2.0, transport);
        }
    }

    [SkippableFact]
    public async Task TheStoresBenchmarkOfTheReadmeRunsEveryWorkloadOnSqliteAndOnPostgresWithOneAndTwoHosts()
    {
        var server = await PostgresServer.GetAsync();
        Skip.If(server.Unavailable is not null, server.Unavailable);
        var command = Readme.Block("bench-stores", "bash").Split('\n').Single(l => l.StartsWith("dotnet", StringComparison.Ordinal));
        command.Should().StartWith(Run + " stores");

        // One second a row and no warm-up: three configurations, six host starts, a cluster of its own, about 40 s.
        const string Long = "--seconds 5";
        command.Should().EndWith(Long);
        var shortened = command.Replace(Long, "--seconds 1 --warmup 0", StringComparison.Ordinal);
        // A server the tests were given is the one there is; else the bench starts its own cluster, as the README says.
        var given = Environment.GetEnvironmentVariable(PostgresServer.Variable) is { Length: > 0 } ? $" --postgres '{server.ConnectionString}'" : "";
        var (code, output, error) = await Cli.CliScriptTests.BashAsync($"dotnet '{Bench()}'{shortened[Run.Length..]}{given}");
        code.Should().Be(0, output + error);

        output.Should().Contain(given == "" ? "postgres: a throwaway cluster the bench started on this machine" : "postgres: the server --postgres names")
            .And.Contain($"{Environment.ProcessorCount} cores shared by the load generator, the hosts and the database");
        if (given == "")
        {
            output.Should().Contain("-c fsync=on", "the bench's cluster is as durable as SQLite with Synchronous=Full");
        }

        // | workload | configuration | req/s | msg/s | p50 ms | p99 ms | ratio to sqlite 1 host |
        var rows = output.Split('\n').Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .Where(c => c.Length == 9 && c[1] is "post-1" or "post-10" or "claim-10+delete").ToList();
        // A claim row's configuration may carry a note: "(N claims found the queue empty)".
        rows.Select(c => $"{c[1]} / {c[2].Split(" (")[0]}").Should().Equal(
            "post-1 / sqlite, 1 host", "post-1 / postgres, 1 host", "post-1 / postgres, 2 hosts",
            "post-10 / sqlite, 1 host", "post-10 / postgres, 1 host", "post-10 / postgres, 2 hosts",
            "claim-10+delete / sqlite, 1 host", "claim-10+delete / postgres, 1 host", "claim-10+delete / postgres, 2 hosts");
        foreach (var row in rows)
        {
            double.Parse(row[3], CultureInfo.InvariantCulture).Should().BePositive(row[1] + " " + row[2]);
            double.Parse(row[4], CultureInfo.InvariantCulture).Should().BePositive(row[1] + " " + row[2]);
            double.Parse(row[7], CultureInfo.InvariantCulture).Should().BePositive(row[1] + " " + row[2]);
        }

        rows.Where(c => c[2].StartsWith("sqlite, 1 host", StringComparison.Ordinal)).Should().OnlyContain(c => c[7] == "1.00");
        // The ten messages of a post-10 request.
        var post10 = rows.Single(c => c[1] == "post-10" && c[2] == "postgres, 2 hosts");
        double.Parse(post10[4], CultureInfo.InvariantCulture).Should().BeApproximately(10 * double.Parse(post10[3], CultureInfo.InvariantCulture), 10);
    }

    [SkippableFact]
    public async Task TheDashboardBenchmarkOfTheReadmeRunsPostOneWithThePageClosedAndOpenOnTheQueueListAndTheQueuePage()
    {
        Dashboard.DashboardBrowser.SkipWithoutBrowser();
        var command = Readme.Block("bench-dashboard", "bash").Split('\n').Single(l => l.StartsWith("dotnet", StringComparison.Ordinal));
        command.Should().StartWith(Run + " dashboard");

        // One second a row, no warm-up, one round: three server starts and two browser starts.
        const string Long = "--seconds 10 --rounds 3";
        command.Should().EndWith(Long);
        var shortened = command.Replace(Long, "--seconds 1 --rounds 1 --warmup 0", StringComparison.Ordinal);
        var (code, output, error) = await Cli.CliScriptTests.BashAsync($"dotnet '{Bench()}'{shortened[Run.Length..]}");
        code.Should().Be(0, output + error);

        output.Should().Contain("dashboard: perf's post-1 at 16 HTTP connections to queue bench-post of project bench")
            .And.Contain($"{Environment.ProcessorCount} cores shared by the load generator, the server and the browser")
            .And.MatchRegex(@"browser: headless Chromium \d+\.");

        // | page | post-1 req/s (mean) | req/s by round | p50 ms | p99 ms | server CPU µs/req | change from closed |
        var rows = output.Split('\n').Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .Where(c => c.Length == 9 && c[1] is "closed" or "queue list" or "queue page").ToList();
        rows.Select(c => c[1]).Should().Equal("closed", "queue list", "queue page");
        foreach (var row in rows)
        {
            double.Parse(row[2], CultureInfo.InvariantCulture).Should().BePositive(row[1]);
            // One round: its rate is the mean.
            row[3].Should().Be(row[2], row[1]);
            double.Parse(row[6], CultureInfo.InvariantCulture).Should().BePositive(row[1]);
        }

        rows[0][7].Should().BeEmpty();
        rows.Skip(1).Should().OnlyContain(c => System.Text.RegularExpressions.Regex.IsMatch(c[7], @"^[+-]\d+\.\d%$"));
        output.Should().MatchRegex(@"queue list open costs -?\d+\.\d% of post-1 \(\d+ → \d+ req/s\)")
            .And.MatchRegex(@"queue page open costs -?\d+\.\d% of post-1 \(\d+ → \d+ req/s\)");
    }

    /// <summary>The bench the solution build made, in the test binaries' configuration (bin/&lt;Configuration&gt;/net10.0).</summary>
    internal static string Bench()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var bench = Path.Combine(Readme.RepositoryRoot(), "Marconi.Bench", "bin", configuration, "net10.0", "Marconi.Bench.dll");
        File.Exists(bench).Should().BeTrue($"building the tests builds {bench} (a project reference)");
        return bench;
    }
}
