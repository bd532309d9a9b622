using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The real python-zaqarclient (Debian's python3-zaqarclient, which .ci/run installs) against the
/// real host process: a v1.1 and a v2 cycle, and the README's snippet verbatim but for the port.
/// </summary>
public sealed class PythonZaqarClientTests : IDisposable
{
    private const string Missing = "no python3 with zaqarclient here (.ci/run installs Debian's python3-zaqarclient)";

    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [SkippableFact]
    public async Task AV1_1CycleWorks()
    {
        var lines = await RunScriptAsync("zaqar_v1_1_cycle.py");
        lines.Should().Equal(
            "health True",
            "metadata {'color': 'red'}",
            "listed [1, 2, 3]",
            "ttls [300, 3600, 3600]",
            "popped [1]",
            "claimed [2, 3]",
            "stats {'claimed': 0, 'free': 0, 'total': 0}",
            "queues ['cycle']",
            "deleted []");
    }

    [SkippableFact]
    public async Task AV2CycleWorks()
    {
        var lines = await RunScriptAsync("zaqar_v2_cycle.py");
        lines.Should().Equal(
            "ping True",
            "health True",
            "homedoc True",
            "metadata red 300 262144",
            "replaced ['shape']",
            "ttls [3600, 3600, 3600, 3600]",
            "by ids [1, 2]",
            "popped [1]",
            "claimed [2, 3]",
            "renewed 180",
            "stats 1",
            "subscription True ['http://127.0.0.1:9/hook']",
            "updated 900",
            "signed [4]",
            "purged 0 []",
            "queues [] 0");
    }

    [SkippableFact]
    public async Task TheReadmeSnippetRuns()
    {
        var python = Python.With("zaqarclient");
        Skip.If(python is null, Missing);
        const string readmeUrl = "http://127.0.0.1:8888";
        var snippet = Readme.Block("zaqarclient-python", "python");
        snippet.Should().Contain(readmeUrl);

        await using var host = HostProcess.Start(_database.Path);
        await host.WaitUntilServingAsync();
        var folder = Directory.CreateTempSubdirectory("marconi-zaqarclient-").FullName;
        try
        {
            var file = Path.Combine(folder, "snippet.py");
            await File.WriteAllTextAsync(file, snippet.Replace(readmeUrl, host.BaseAddress.ToString().TrimEnd('/')));
            var output = await Python.RunAsync(python!, file);
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(
                "{'report': 1}", "{'report': 2}", "{'claimed': 0, 'free': 0, 'total': 0}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<string[]> RunScriptAsync(string name)
    {
        var python = Python.With("zaqarclient");
        Skip.If(python is null, Missing);
        await using var host = HostProcess.Start(_database.Path);
        await host.WaitUntilServingAsync();
        var script = Path.Combine(Readme.RepositoryRoot(), "Marconi.Tests", "EndToEnd", "Python", name);
        var output = await Python.RunAsync(python!, script, host.BaseAddress.ToString().TrimEnd('/'));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
