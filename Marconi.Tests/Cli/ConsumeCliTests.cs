using System.Diagnostics;
using System.Text.Json;
using Marconi.Client;
using Marconi.Host.Cli;
using Marconi.Tests.Zmq;

namespace Marconi.Tests.Cli;

/// <summary>
/// <c>marconi message consume</c> against the real server: JSON lines (then deleted), <c>--exec</c> deleting only
/// on exit 0, <c>--max</c> and <c>--once</c> to stop, and SIGTERM to the real binary stopping cleanly with nothing held.
/// </summary>
public sealed class ConsumeCliTests(MarconiZmqFactory factory) : IClassFixture<MarconiZmqFactory>, IAsyncLifetime
{
    private readonly string _project = "consume-cli-" + Guid.NewGuid().ToString("N")[..8];
    private MarconiClient _client = null!;

    private string Url => factory.ServerAddress.ToString().TrimEnd('/');

    public Task InitializeAsync()
    {
        _client = new MarconiClient(Url, projectId: _project);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public async Task EachMessageIsPrintedAsOneJsonLineAndDeleted()
    {
        var queue = await _client.CreateQueueAsync("lines");
        var ids = await queue.PostAsync(Enumerable.Range(1, 3).Select(n => new OutgoingMessage(new { job = n }, 3600)));

        var result = await RunAsync("message", "consume", "lines", "--once");

        result.Code.Should().Be(0, result.Stderr);
        result.Stderr.Should().BeEmpty();
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        lines.Select(l => l.GetProperty("id").GetString()).Should().Equal(ids, "one line per message, oldest first (one handler at a time)");
        lines.Select(l => l.GetProperty("body").GetProperty("job").GetInt32()).Should().Equal(1, 2, 3);
        lines.Should().OnlyContain(l => l.GetProperty("claim_id").GetString()!.Length > 0 && l.GetProperty("href").GetString()!.Contains("?claim_id="));
        (await queue.GetStatsAsync()).Total.Should().Be(0, "each printed message was deleted");
    }

    [Fact]
    public async Task MaxStopsAfterThatManyMessages()
    {
        var queue = await _client.CreateQueueAsync("max");
        var ids = await queue.PostAsync(Enumerable.Range(1, 5).Select(n => new OutgoingMessage(new { job = n }, 3600)));

        var result = await RunAsync("message", "consume", "max", "--max", "2", "--concurrency", "4", "--wait", "1");

        result.Code.Should().Be(0, result.Stderr);
        result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(2);
        var stats = await queue.GetStatsAsync();
        (stats.Total, stats.Free).Should().Be((3, 3), "two were deleted, and nothing more is held");
        (await queue.GetMessagesAsync(ids)).Select(m => m.Id).Should().Equal(ids.Skip(2), "the oldest two went first");
    }

    [Fact]
    public async Task ExecDeletesOnlyWhenTheCommandExitsZero()
    {
        var queue = await _client.CreateQueueAsync("exec");
        var ids = await queue.PostAsync(Enumerable.Range(1, 3).Select(n => new OutgoingMessage(new { job = n }, 3600)));

        // Job 2 fails; its claim is left to expire, so --once finds the queue empty and stops.
        var script = """body=$(cat); echo "$MARCONI_MESSAGE_ID $body"; case "$body" in *2*) exit 3;; esac""";
        var result = await RunAsync("message", "consume", "exec", "--once", "--exec", script, "--expire-failed");

        result.Code.Should().Be(1, "a command failed");
        result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(
            $$"""{{ids[0]}} {"job":1}""", $$"""{{ids[1]}} {"job":2}""", $$"""{{ids[2]}} {"job":3}""");
        result.Stderr.Should().Be($"marconi: '{script}' exited 3 for message {ids[1]}; it is given back\n");
        var stats = await queue.GetStatsAsync();
        (stats.Total, stats.Claimed).Should().Be((1, 1), "only job 2 is left, still claimed until its claim expires");
        (await queue.GetMessageAsync(ids[1])).Body.GetProperty("job").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task AFailedCommandsMessageIsReleasedAtOnce()
    {
        var queue = await _client.CreateQueueAsync("released");
        var id = await queue.PostAsync(new { job = 1 }, ttl: 3600);

        var result = await RunAsync("message", "consume", "released", "--exec", "exit 1", "--max", "2", "--wait", "1");

        result.Code.Should().Be(1);
        result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(2, "released, it came back at once and failed again");
        var claim = await queue.ClaimAsync(limit: 10, ttl: 60);
        claim.Should().NotBeNull("nothing holds the message");
        claim!.Messages.Select(m => m.Id).Should().Equal(id);
    }

    [Fact]
    public async Task SigtermStopsTheBinaryCleanlyAndReleasesTheMessageItHeld()
    {
        var queue = await _client.CreateQueueAsync("sigterm");
        var id = await queue.PostAsync(new { job = 1 }, ttl: 3600);

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "marconi.dll"), "message", "consume", "sigterm",
                     "--exec", "cat > /dev/null; echo started; sleep 60", "--url", Url, "--project", _project })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            (await process.StandardOutput.ReadLineAsync(patience.Token)).Should().Be("started");
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(patience.Token);
            }

            await process.WaitForExitAsync(patience.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        process.ExitCode.Should().Be(0, "a stop asked for is a clean one: " + await stderr);
        var claim = await queue.ClaimAsync(limit: 10, ttl: 60);
        claim.Should().NotBeNull("the consumer released its claim on the way out");
        claim!.Messages.Select(m => m.Id).Should().Equal(id);
    }

    [Fact]
    public async Task TheReadmeConsumeExampleRunsFromAShell()
    {
        using var database = new Marconi.Tests.Support.TempDatabase();
        await using var host = Marconi.Tests.Support.HostProcess.Start(database.Path);
        await host.WaitUntilServingAsync();
        var script = Marconi.Tests.EndToEnd.Readme.Block("consume-cli", "bash");
        script.Should().Contain("M=http://127.0.0.1:8888");
        script = script.Replace("M=http://127.0.0.1:8888", $"M={host.BaseAddress.ToString().TrimEnd('/')}");

        var (code, stdout, stderr) = await CliScriptTests.BashAsync("set -euo pipefail\n" + script);

        code.Should().Be(0, stdout + stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(4, stdout);
        lines[0].Should().MatchRegex("""^\{"id":"[0-9a-f]+","href":"/v2/queues/jobs/messages/[0-9a-f]+\?claim_id=[0-9a-f]+","ttl":3600,"age":[0-9]+,"claim_id":"[0-9a-f]+","body":\{"job":1\}\}$""");
        lines[1].Should().MatchRegex("""^job [0-9a-f]+: \{"job":2\}$""");
        lines[2].Should().MatchRegex("""^job [0-9a-f]+: \{"job":3\}$""");
        lines[3].Should().Be("""{"messages":{"claimed":0,"free":0,"total":0}}""");
    }

    [Theory]
    [InlineData("--max", "0")]
    [InlineData("--concurrency", "0")]
    [InlineData("--wait", "-1")]
    public async Task BadNumbersAreUsageErrors(string option, string value)
    {
        var result = await RunAsync("message", "consume", "q", option, value);
        result.Code.Should().Be(2);
        result.Stderr.Should().StartWith("marconi: ").And.Subject.TrimEnd().Should().NotContain("\n");
    }

    private async Task<CliTests.Result> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new ClientCommands(new StringReader(""), stdout, stderr).RunAsync([.. args, "--url", Url, "--project", _project]);
        return new CliTests.Result(code, stdout.ToString(), stderr.ToString());
    }
}
