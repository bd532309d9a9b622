using System.Diagnostics;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>The README's curl walkthroughs (v1 and v2), run verbatim (but for the port) against the real server.</summary>
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
