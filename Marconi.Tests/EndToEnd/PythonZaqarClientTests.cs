using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The real python-zaqarclient (Debian's python3-zaqarclient, which .ci/run installs) against the
/// real host process on SQLite: a v1.1 and a v2 cycle, and the README's snippet verbatim but for the port.
/// </summary>
public sealed class PythonZaqarClientTests : PythonZaqarClientCycles, IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    protected override Task<HostProcess> StartHostAsync() => Task.FromResult(HostProcess.Start(_database.Path));

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
}

/// <summary>The same python-zaqarclient cycles against a host on PostgreSQL: the same answers from the other driver.</summary>
public sealed class PythonZaqarClientOnPostgresTests : PythonZaqarClientCycles, IAsyncLifetime
{
    private PostgresServer _server = null!;
    private string? _schema;

    public async Task InitializeAsync() => _server = await PostgresServer.GetAsync();

    public async Task DisposeAsync()
    {
        if (_schema is not null)
        {
            await _server.DropSchemaAsync(_schema);
        }
    }

    protected override async Task<HostProcess> StartHostAsync()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        _schema = await _server.CreateSchemaAsync();
        return HostProcess.Start("unused.db",
        [
            "--Marconi:Storage:Driver=postgres",
            $"--Marconi:Storage:Postgres:ConnectionString={_server.ConnectionString}",
            $"--Marconi:Storage:Postgres:Schema={_schema}",
        ]);
    }
}

/// <summary>A v1.1 and a v2 cycle of the real python-zaqarclient against whatever host a subclass starts.</summary>
public abstract class PythonZaqarClientCycles
{
    protected const string Missing = "no python3 with zaqarclient here (.ci/run installs Debian's python3-zaqarclient)";

    /// <summary>Starts the host the cycles run against (not yet serving).</summary>
    protected abstract Task<HostProcess> StartHostAsync();

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

    private async Task<string[]> RunScriptAsync(string name)
    {
        var python = Python.With("zaqarclient");
        Skip.If(python is null, Missing);
        await using var host = await StartHostAsync();
        await host.WaitUntilServingAsync();
        var script = Path.Combine(Readme.RepositoryRoot(), "Marconi.Tests", "EndToEnd", "Python", name);
        var output = await Python.RunAsync(python!, script, host.BaseAddress.ToString().TrimEnd('/'));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
