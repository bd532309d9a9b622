using System.Diagnostics;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>The README's ZeroMQ client examples, run verbatim (but for the port) against the real server.</summary>
public sealed class ReadmeZmqExamplesTests : IDisposable
{
    private const string ReadmeEndpoint = "tcp://127.0.0.1:9999";
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [SkippableFact]
    public async Task ThePythonExampleRunsAgainstTheServer()
    {
        var python = Python.With("zmq");
        Skip.If(python is null, "no python3 with pyzmq here (.ci/run installs Debian's python3-zmq)");

        var script = Readme.Block("zmq-python", "python");
        var output = await RunAgainstServerAsync(script, (endpoint, code, folder) =>
        {
            var file = Path.Combine(folder, "example.py");
            File.WriteAllText(file, code.Replace(ReadmeEndpoint, endpoint));
            return new ProcessStartInfo(python!, [file]);
        });

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(3);
        lines[0].Should().Be("(201, None)");
        lines[1].Should().StartWith("(201, {'resources': ['/v1/queues/demo/messages/");
        lines[2].Should().StartWith("(201, [{'href': '/v1/queues/demo/messages/").And.Contain("?claim_id=").And.Contain("'BackupStarted'");
    }

    [Fact]
    public async Task TheCSharpExampleRunsAgainstTheServer()
    {
        var program = Readme.Block("zmq-csharp", "csharp");
        var output = await RunAgainstServerAsync(program, (endpoint, code, folder) =>
        {
            File.WriteAllText(Path.Combine(folder, "Program.cs"), code.Replace(ReadmeEndpoint, endpoint));
            ExampleProject.Write(folder, "ZmqDemo", "NetMQ", "4.0.4.5");
            return new ProcessStartInfo("dotnet", ["run", "--project", folder]);
        });

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(3, output);
        lines[0].Should().Be("201 ");
        lines[1].Should().StartWith("201 {\"resources\":[\"/v1/queues/demo/messages/");
        lines[2].Should().StartWith("201 [{\"href\":\"/v1/queues/demo/messages/").And.Contain("?claim_id=");
    }

    private async Task<string> RunAgainstServerAsync(
        string code, Func<string, string, string, ProcessStartInfo> prepare)
    {
        code.Should().Contain(ReadmeEndpoint);
        await using var host = HostProcess.Start(_database.Path,
            ["--Marconi:Transports:Zmq:Enabled=true", "--Marconi:Transports:Zmq:Endpoint=tcp://127.0.0.1:*"]);
        var endpoint = (await host.WaitForOutputAsync(@"ZeroMQ transport listening on (tcp://127\.0\.0\.1:\d+)")).Groups[1].Value;

        var folder = Directory.CreateTempSubdirectory("marconi-example-").FullName;
        try
        {
            var start = prepare(endpoint, code, folder);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.WorkingDirectory = folder;
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            process.ExitCode.Should().Be(0, await stdout + await stderr);
            return (await stdout).Replace("\r", "");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>Code blocks of the README, found between <c>&lt;!-- name:start --&gt;</c> and <c>&lt;!-- name:end --&gt;</c>.</summary>
internal static class Readme
{
    /// <summary>The repository's root: the nearest folder above the test binaries that holds Marconi.sln.</summary>
    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Marconi.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Marconi.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Block(string name, string language)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var start = readme.IndexOf($"<!-- {name}:start -->", StringComparison.Ordinal);
        var end = readme.IndexOf($"<!-- {name}:end -->", StringComparison.Ordinal);
        start.Should().BeGreaterThan(0, $"the README has a {name} block");
        var block = readme[start..end];
        var fence = $"```{language}\n";
        var open = block.IndexOf(fence, StringComparison.Ordinal) + fence.Length;
        var close = block.LastIndexOf("```", StringComparison.Ordinal);
        return block[open..close];
    }

    /// <summary>
    /// Runs a bash block of the README verbatim against a real server process, but for its address
    /// (the block sets <c>M=http://127.0.0.1:8888</c>), and returns the lines it printed.
    /// </summary>
    public static async Task<string[]> RunAgainstServerAsync(string name, string databasePath)
    {
        var script = Block(name, "bash");
        script.Should().Contain("M=http://127.0.0.1:8888");
        await using var host = HostProcess.Start(databasePath);
        await host.WaitUntilServingAsync();
        script = script.Replace("M=http://127.0.0.1:8888", $"M={host.BaseAddress.ToString().TrimEnd('/')}");

        var start = new System.Diagnostics.ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var bash = System.Diagnostics.Process.Start(start)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();
        bash.ExitCode.Should().Be(0, await bash.StandardError.ReadToEndAsync());
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The lines of the first <c>text</c> block after block <paramref name="name"/>: what the README says it prints.</summary>
    public static string[] PromisedOutput(string name)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var promised = readme[readme.IndexOf($"<!-- {name}:end -->", StringComparison.Ordinal)..];
        promised = promised[(promised.IndexOf("```text\n", StringComparison.Ordinal) + "```text\n".Length)..];
        promised = promised[..promised.IndexOf("```", StringComparison.Ordinal)];
        return promised.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
