using System.Diagnostics;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>The README's walkthroughs (curl for v1 and v2; API keys with the command line and curl), run verbatim (but for the port and the database path) against the real server.</summary>
public sealed class ReadmeWalkthroughTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task TheCurlWalkthroughRunsAWholeCycle()
    {
        var output = await RunBlockAsync("walkthrough");
        output.Should().Contain("HTTP/1.1 201 Created\r\n").And.Contain("Location: /v1/queues/demo\r\n");
        output.Should().Contain("\"partial\":false");
        output.Should().Contain("\"body\":\"plain string is fine\"");
        output.Should().Contain("?claim_id=");
        output.Should().Contain("HTTP/1.1 204 No Content");
        output.Should().Contain("{\"messages\":{\"claimed\":1,\"free\":0,\"total\":1,");
    }

    [Fact]
    public async Task TheV2CurlWalkthroughRunsAWholeCycle()
    {
        var output = await RunBlockAsync("walkthrough-v2");
        output.Should().Contain("HTTP/1.1 201 Created\r\n").And.Contain("Location: /v2/queues/jobs\r\n");
        output.Should().Contain("{\"resources\":[\"/v2/queues/jobs/messages/");
        output.Should().Contain("?claim_id=").And.Contain("\"ttl\":600");
        output.Should().Contain("HTTP/1.1 204 No Content");
        output.Should().Contain("\"body\":\"second\",\"claim_id\":null,\"claim_count\":0");
        output.Should().Contain("\"color\":\"red\"").And.Contain("\"_default_message_ttl\":600");
        output.Should().EndWith("{\"messages\":{\"claimed\":0,\"free\":0,\"total\":0}}\n");
    }

    [Fact]
    public async Task TheKeysWalkthroughRunsAgainstAServerThatRequiresKeys()
    {
        // The server is started with the README's own settings.
        var serve = Readme.Block("keys-serve", "bash").Trim();
        serve.Should().StartWith("marconi serve --");
        await using var host = HostProcess.Start(_database.Path, serve["marconi serve ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        await host.WaitUntilServingAsync();

        var script = Readme.Block("keys", "bash");
        script.Should().Contain("M=http://127.0.0.1:8888").And.Contain("--db marconi.db");
        script = script.Replace("M=http://127.0.0.1:8888", $"M={host.BaseAddress.ToString().TrimEnd('/')}")
            .Replace("--db marconi.db", $"--db '{_database.Path}'");

        var (code, stdout, stderr) = await Cli.CliScriptTests.BashAsync("set -euo pipefail\n" + script);

        code.Should().Be(0, stdout + stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(10, stdout);
        lines[0].Should().MatchRegex("""^\{"id":"[0-9a-f]+","href":"/v2/queues/jobs/messages/[0-9a-f]+"\}$""");
        lines[1].Should().StartWith("""{"messages":{"claimed":0,"free":1,"total":1,""");
        lines[2].Should().Be("401");
        lines[3].Should().Be("403");
        lines[4].Should().MatchRegex("""^\{"id":"[0-9a-f]{16}","name":"worker","scope":"project","project":"demo-project","role":"consume",.*"secret":"mk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}","aws_access_key_id":"\1","aws_secret_access_key":"[A-Za-z0-9_-]{43}"\}$""");
        lines[5].Should().Be("""{"projects":[{"name":"demo-project","queues":1}],"links":[{"rel":"next","href":"/v2/admin/projects?marker=demo-project"}]}""");
        lines[6].Should().MatchRegex(@"^ID\s+NAME\s+SCOPE\s+PROJECT\s+ROLE\s+CREATED");
        lines[7].Should().Contain("ingest").And.Contain("produce");
        lines[8].Should().Contain("worker").And.Contain("consume");
        var id = lines[7][..16];
        lines[9].Should().Be($$"""{"id":"{{id}}","revoked":true}""");
        stderr.Should().NotContain("mk_", "the command line prints secrets on stdout only");
        host.Output.Should().NotContain("mk_", "no token is ever logged");
    }

    /// <summary>Runs a README bash block against a fresh server, verbatim but for the address.</summary>
    private async Task<string> RunBlockAsync(string block)
    {
        var script = Readme.Block(block, "bash");
        script.Should().Contain("M=http://127.0.0.1:8888");

        await using var host = HostProcess.Start(_database.Path);
        await host.WaitUntilServingAsync();
        script = script.Replace("M=http://127.0.0.1:8888", $"M={host.BaseAddress.ToString().TrimEnd('/')}");

        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var bash = System.Diagnostics.Process.Start(start)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();

        bash.ExitCode.Should().Be(0, await bash.StandardError.ReadToEndAsync());
        return output;
    }
}
