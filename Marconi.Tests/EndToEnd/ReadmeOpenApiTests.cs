using System.Diagnostics;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>The README's OpenAPI block, run verbatim (but for the address) against the real server process.</summary>
public sealed class ReadmeOpenApiTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task TheOpenApiExampleOfTheReadmePrintsWhatItSays()
    {
        var script = Readme.Block("operating-openapi", "bash");
        script.Should().Contain("M=http://127.0.0.1:8888");
        await using var host = HostProcess.Start(_database.Path);
        await host.WaitUntilServingAsync();
        script = script.Replace("M=http://127.0.0.1:8888", $"M={host.BaseAddress.ToString().TrimEnd('/')}");

        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var bash = Process.Start(start)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();
        bash.ExitCode.Should().Be(0, await bash.StandardError.ReadToEndAsync());

        var readme = File.ReadAllText(Path.Combine(Readme.RepositoryRoot(), "README.md"));
        var promised = readme[readme.IndexOf("<!-- operating-openapi:end -->", StringComparison.Ordinal)..];
        promised = promised[(promised.IndexOf("```text\n", StringComparison.Ordinal) + "```text\n".Length)..];
        promised = promised[..promised.IndexOf("```", StringComparison.Ordinal)];
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Should().Equal(promised.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
