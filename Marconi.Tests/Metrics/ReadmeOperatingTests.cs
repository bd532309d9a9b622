using System.Diagnostics;
using Marconi.Tests.EndToEnd;
using Marconi.Tests.Support;

namespace Marconi.Tests.Metrics;

/// <summary>The README's probes and scrape, run verbatim (but for the address) against the real server process.</summary>
public sealed class ReadmeOperatingTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task TheProbesAndTheScrapeOfTheReadmeAnswerAsItSays()
    {
        var script = Readme.Block("operating-metrics", "bash");
        script.Should().Contain("M=http://127.0.0.1:8888");
        await using var host = HostProcess.Start(_database.Path);
        await host.WaitUntilServingAsync();
        script = script.Replace("M=http://127.0.0.1:8888", $"M={host.BaseAddress.ToString().TrimEnd('/')}");

        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var bash = Process.Start(start)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();
        bash.ExitCode.Should().Be(0, await bash.StandardError.ReadToEndAsync());

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be("Healthy");
        lines[1].Should().Be("Healthy");
        lines[2].Should().StartWith("""{"resources":["/v1/queues/demo/messages/""");
        var readme = File.ReadAllText(Path.Combine(Readme.RepositoryRoot(), "README.md"));
        var promised = readme[readme.IndexOf("<!-- operating-metrics:end -->", StringComparison.Ordinal)..];
        promised = promised[(promised.IndexOf("```text\n", StringComparison.Ordinal) + "```text\n".Length)..];
        promised = promised[..promised.IndexOf("```", StringComparison.Ordinal)];
        // The harness's own wait for the server asked /v1/health, which the README's reader did not.
        lines[3..].Where(l => !l.Contains("operation=\"check_node_health\"", StringComparison.Ordinal)).Should().Equal(promised.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
