using Marconi.Tests.EndToEnd;

namespace Marconi.Tests.Metrics;

/// <summary>
/// The README's metrics benchmarks run as written but shorter (fewer calls, rounds and seconds), on
/// the bench the solution build made, so the commands and their tables stay true.
/// </summary>
public sealed class ReadmeBenchTests
{
    private const string Run = "dotnet run -c Release --project Marconi.Bench --";

    [Fact]
    public async Task TheMetricsBenchmarksOfTheReadmeRunAndPrintTheirTables()
    {
        var commands = Readme.Block("bench-metrics", "bash").Split('\n').Where(l => l.StartsWith("dotnet", StringComparison.Ordinal)).ToList();
        commands.Should().HaveCount(2);
        commands.Should().OnlyContain(c => c.StartsWith(Run, StringComparison.Ordinal));

        // The test binaries' configuration (bin/<Configuration>/net10.0): the solution build made the bench's too.
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var bench = Path.Combine(Readme.RepositoryRoot(), "Marconi.Bench", "bin", configuration, "net10.0", "Marconi.Bench.dll");
        File.Exists(bench).Should().BeTrue($"building the tests builds {bench} (a project reference)");

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
}
