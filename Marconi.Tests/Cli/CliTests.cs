using System.Diagnostics;
using System.Text.Json;
using Marconi.Host.Cli;
using Marconi.Tests.Support;
using Marconi.Tests.Zmq;

namespace Marconi.Tests.Cli;

/// <summary>
/// The client verbs of the marconi binary, run in-process against the real server. The older tests
/// check v1's wire and are pinned to it with <c>--api v1</c>; the v2 ones use the default.
/// </summary>
public sealed class CliTests(MarconiZmqFactory factory) : IClassFixture<MarconiZmqFactory>
{
    private readonly string _project = "cli-" + Guid.NewGuid().ToString("N")[..8];

    private string Url => factory.ServerAddress.ToString().TrimEnd('/');

    private static string NewQueue() => "cli-q-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<Result> RunRawAsync(string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new ClientCommands(new StringReader(stdin), stdout, stderr).RunAsync(args);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    private Task<Result> RunAsync(params string[] args) =>
        RunRawAsync("", [.. args, "--url", Url, "--project", _project, "--api", "v1"]);

    private Task<Result> RunV2Async(params string[] args) =>
        RunRawAsync("", [.. args, "--url", Url, "--project", _project]);

    [Fact]
    public async Task QueueVerbsCreateInspectAndDelete()
    {
        var q = NewQueue();
        var created = await RunAsync("queue", "create", q);
        created.ShouldSucceed().GetProperty("href").GetString().Should().Be($"/v1/queues/{q}");

        (await RunAsync("queue", "exists", q)).ShouldSucceed().GetProperty("exists").GetBoolean().Should().BeTrue();
        (await RunAsync("queue", "metadata", "set", q, """{"owner":"ops"}""")).ShouldSucceed();
        (await RunAsync("queue", "metadata", "get", q)).ShouldSucceed().GetRawText().Should().Be("""{"owner":"ops"}""");
        (await RunRawAsync("""{"from":"stdin"}""", "queue", "metadata", "set", q, "--url", Url, "--project", _project, "--api", "v1")).ShouldSucceed();
        (await RunAsync("queue", "metadata", "get", q)).ShouldSucceed().GetProperty("from").GetString().Should().Be("stdin");

        var list = (await RunAsync("queue", "list", "--detailed")).ShouldSucceed();
        list.EnumerateArray().Should().ContainSingle().Which.GetProperty("metadata").GetProperty("from").GetString().Should().Be("stdin");
        var stats = (await RunAsync("queue", "stats", q)).ShouldSucceed();
        stats.GetRawText().Should().Be("""{"messages":{"claimed":0,"free":0,"total":0}}""");

        (await RunAsync("queue", "delete", q)).ShouldSucceed();
        var gone = await RunAsync("queue", "exists", q);
        gone.Code.Should().Be(1);
        gone.Json().GetProperty("exists").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public async Task MessageBodiesWithLoneSurrogateEscapesArePrintedAsStored()
    {
        var q = NewQueue();
        (await RunV2Async("message", "post", q, """{"text":"\ud800 and \udc00"}""")).ShouldSucceed();

        var listed = await RunV2Async("message", "list", q, "--echo");
        listed.Code.Should().Be(0, listed.Stderr);
        listed.Stdout.Should().Contain("""\ud800 and \udc00""");
        var claimed = await RunV2Async("claim", "create", q);
        claimed.Code.Should().Be(0, claimed.Stderr);
        claimed.Stdout.Should().Contain("""\ud800 and \udc00""");
    }

    [Fact]
    public async Task AWholeCycleWithMessageAndClaimVerbs()
    {
        var q = NewQueue();
        (await RunAsync("queue", "create", q)).ShouldSucceed();
        var posted = (await RunRawAsync("""{"job":1}""", "message", "post", q, "--ttl", "300", "--url", Url, "--project", _project, "--api", "v1")).ShouldSucceed();
        var id = posted.GetProperty("id").GetString()!;
        posted.GetProperty("href").GetString().Should().Be($"/v1/queues/{q}/messages/{id}");
        (await RunAsync("message", "post", q, "[1,2]")).ShouldSucceed();

        var listed = (await RunAsync("message", "list", q, "--echo")).ShouldSucceed();
        listed.EnumerateArray().Select(m => m.GetProperty("body").GetRawText()).Should().Equal("""{"job":1}""", "[1,2]");
        (await RunAsync("message", "list", q)).ShouldSucceed().GetArrayLength().Should().Be(2, "each run without --client-id is a new client");
        var producer = Guid.NewGuid().ToString();
        (await RunAsync("message", "post", q, "3", "--client-id", producer)).ShouldSucceed();
        (await RunAsync("message", "list", q, "--client-id", producer)).ShouldSucceed().GetArrayLength().Should().Be(2, "echo is off by default");
        (await RunAsync("message", "list", q, "--client-id", producer, "--echo", "--limit", "10")).ShouldSucceed().GetArrayLength().Should().Be(3);
        (await RunAsync("message", "list", q, "--limit", "1")).ShouldSucceed().GetArrayLength().Should().Be(1);
        (await RunAsync("message", "get", q, id)).ShouldSucceed().GetProperty("ttl").GetInt32().Should().Be(300);

        var claim = (await RunAsync("claim", "create", q, "--limit", "5", "--ttl", "60", "--grace", "60")).ShouldSucceed();
        var claimId = claim.GetProperty("id").GetString()!;
        claim.GetProperty("href").GetString().Should().Be($"/v1/queues/{q}/claims/{claimId}");
        var hrefs = claim.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()).ToList();
        hrefs.Should().HaveCount(3).And.Contain($"/v1/queues/{q}/messages/{id}?claim_id={claimId}");

        (await RunAsync("claim", "get", q, claimId)).ShouldSucceed().GetProperty("messages").GetArrayLength().Should().Be(3);
        (await RunAsync("claim", "update", q, claimId, "--ttl", "120")).ShouldSucceed();
        (await RunAsync("claim", "get", q, claimId)).ShouldSucceed().GetProperty("ttl").GetInt32().Should().Be(120);

        var refused = await RunAsync("message", "delete", q, id);
        refused.Code.Should().Be(1);
        refused.Stderr.Should().StartWith("marconi: Unable to delete").And.Subject.TrimEnd().Should().NotContain("\n");
        (await RunAsync("message", "delete", q, id, "--claim-id", claimId)).ShouldSucceed();
        (await RunAsync("claim", "release", q, claimId)).ShouldSucceed();
        (await RunAsync("claim", "create", q)).ShouldSucceed().GetProperty("messages").GetArrayLength().Should().Be(2);
        (await RunAsync("queue", "stats", q)).ShouldSucceed().GetProperty("messages").GetProperty("total").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task ClaimingAnEmptyQueuePrintsNull()
    {
        var q = NewQueue();
        (await RunAsync("queue", "create", q)).ShouldSucceed();
        var result = await RunAsync("claim", "create", q);
        result.Code.Should().Be(0);
        result.Stdout.Trim().Should().Be("null");
    }

    [Theory]
    [InlineData("queue", "stats")]
    [InlineData("message", "post")]
    [InlineData("claim", "create")]
    [InlineData("message", "list")]
    [InlineData("queue", "metadata", "get")]
    public async Task VerbsOnAMissingQueueFailWithOneLine(params string[] verb)
    {
        var args = verb.Append(NewQueue()).ToList();
        if (verb[1] == "post")
        {
            args.Add("{}");
        }

        var result = await RunAsync([.. args]);
        result.Code.Should().Be(1);
        result.Stdout.Should().BeEmpty();
        result.Stderr.Should().StartWith("marconi: ").And.EndWith("\n");
        result.Stderr.TrimEnd().Should().NotContain("\n");
    }

    [Fact]
    public async Task MessageDeleteOnAMissingQueueFails()
    {
        var result = await RunAsync("message", "delete", NewQueue(), "0000000000000001", "--claim-id", "x");
        result.Code.Should().Be(1);
        result.Stderr.Should().Contain("does not exist");
    }

    [Fact]
    public async Task AStoppedServerFailsWithOneLine()
    {
        var port = System.Net.Sockets.TcpListener.Create(0);
        port.Start();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)port.LocalEndpoint).Port}";
        port.Stop();

        var result = await RunRawAsync("", "queue", "stats", "q", "--url", url, "--api", "v1");
        result.Code.Should().Be(1);
        result.Stderr.Should().StartWith("marconi: ");
        result.Stderr.TrimEnd().Should().NotContain("\n");
    }

    [Theory]
    [InlineData("message", "post", "q", "not json")]
    [InlineData("queue", "metadata", "set", "q", "{oops")]
    public async Task BodiesThatAreNotJsonAreUsageErrors(params string[] args)
    {
        var result = await RunAsync(args);
        result.Code.Should().Be(2);
        result.Stderr.Should().Contain("not valid JSON");
    }

    [Theory]
    [InlineData("queue", "list", "--url", "not-a-url")]
    [InlineData("queue", "frobnicate")]
    [InlineData("queue", "create")]
    [InlineData("queue", "list", "--output", "xml")]
    [InlineData("message", "post", "q", "1", "--ttl", "abc")]
    [InlineData("queue", "list", "--client-id", "nope")]
    public async Task BadInvocationsAreUsageErrorsWithOneLine(params string[] args)
    {
        var result = await RunRawAsync("", args);
        result.Code.Should().Be(2, result.Stderr);
        result.Stdout.Should().BeEmpty();
        result.Stderr.Should().StartWith("marconi: ");
        result.Stderr.TrimEnd().Should().NotContain("\n");
    }

    [Fact]
    public async Task KeyVerbsOnAServerWithoutKeysAreRefusedInOneLine()
    {
        var result = await RunRawAsync("", "key", "list", "--url", Url, "--token", "mk_0123456789abcdef_" + new string('A', 43));
        result.Code.Should().Be(1);
        result.Stderr.Should().StartWith("marconi: Not authorized").And.Contain("Mode=keys").And.Subject.TrimEnd().Should().NotContain("\n");
    }

    [Fact]
    public async Task HealthReportsAHealthyServer() =>
        (await RunAsync("health")).ShouldSucceed().GetProperty("healthy").GetBoolean().Should().BeTrue();

    [Fact]
    public async Task TableOutputIsForPeople()
    {
        var q = NewQueue();
        (await RunAsync("queue", "create", q)).ShouldSucceed();
        (await RunAsync("message", "post", q, "\"hello\"")).ShouldSucceed();
        var table = await RunAsync("message", "list", q, "--echo", "--output", "table");
        table.Code.Should().Be(0);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().MatchRegex(@"^ID\s+TTL\s+AGE\s+BODY$");
        lines[1].Should().Contain("\"hello\"");
    }

    [Fact]
    public async Task HelpListsEveryVerb()
    {
        var help = await RunRawAsync("", "--help");
        help.Code.Should().Be(0);
        help.Stdout.Should().Contain("serve").And.Contain("queue").And.Contain("message").And.Contain("claim").And.Contain("health").And.Contain("key");
        var messageHelp = await RunRawAsync("", "message", "post", "--help");
        messageHelp.Stdout.Should().Contain("--ttl").And.Contain("stdin");
    }

    [Fact]
    public async Task TheSameVerbsWorkOverZeroMq()
    {
        var q = NewQueue();
        string[] zmq = ["--url", factory.ZmqEndpoint, "--project", _project, "--api", "v1"];
        (await RunRawAsync("", ["queue", "create", q, .. zmq])).ShouldSucceed();
        (await RunRawAsync("""{"via":"zmq"}""", ["message", "post", q, .. zmq])).ShouldSucceed();
        var claim = (await RunRawAsync("", ["claim", "create", q, .. zmq])).ShouldSucceed();
        claim.GetProperty("messages")[0].GetProperty("body").GetProperty("via").GetString().Should().Be("zmq");
    }

    [Fact]
    public async Task V2IsTheDefaultAndItsVerbsWork()
    {
        var q = NewQueue();
        (await RunV2Async("queue", "create", q)).ShouldSucceed().GetProperty("href").GetString().Should().Be($"/v2/queues/{q}");
        (await RunV2Async("queue", "exists", q)).ShouldSucceed().GetProperty("exists").GetBoolean().Should().BeTrue();
        var settings = (await RunV2Async("queue", "settings", q, "--default-ttl", "600", "--max-claim-count", "2", "--dead-letter-queue", q + "-dlq")).ShouldSucceed();
        (settings.GetProperty("default_message_ttl").GetInt32(), settings.GetProperty("max_claim_count").GetInt32()).Should().Be((600, 2));
        (await RunV2Async("queue", "settings", q)).ShouldSucceed().GetProperty("dead_letter_queue").GetString().Should().Be(q + "-dlq");
        var patched = (await RunV2Async("queue", "metadata", "patch", q, """[{"op":"add","path":"/metadata/colour","value":"red"}]""")).ShouldSucceed();
        patched.GetProperty("colour").GetString().Should().Be("red");

        var posted = (await RunV2Async("message", "post", q, """{"job":1}""")).ShouldSucceed();
        posted.GetProperty("href").GetString().Should().StartWith($"/v2/queues/{q}/messages/");
        (await RunV2Async("message", "get", q, posted.GetProperty("id").GetString()!)).ShouldSucceed().GetProperty("ttl").GetInt32().Should().Be(600);
        (await RunV2Async("message", "post", q, "2", "--ttl", "300")).ShouldSucceed();
        var popped = (await RunV2Async("message", "pop", q, "--count", "5")).ShouldSucceed();
        popped.EnumerateArray().Select(m => m.GetProperty("body").GetRawText()).Should().Equal("""{"job":1}""", "2");

        var id = (await RunV2Async("subscription", "create", q, "http://127.0.0.1:9/hook", "--ttl", "600", "--options", """{"post_data":"x"}""")).ShouldSucceed()
            .GetProperty("id").GetString()!;
        (await RunV2Async("subscription", "list", q)).ShouldSucceed().EnumerateArray().Single().GetProperty("id").GetString().Should().Be(id);
        (await RunV2Async("subscription", "update", q, id, "--ttl", "120")).ShouldSucceed().GetProperty("ttl").GetInt32().Should().Be(120);
        (await RunV2Async("subscription", "get", q, id)).ShouldSucceed().GetProperty("options").GetRawText().Should().Be("""{"post_data":"x"}""");
        (await RunV2Async("subscription", "confirm", q, id)).ShouldSucceed().GetProperty("confirmed").GetBoolean().Should().BeTrue();
        (await RunV2Async("subscription", "confirm", q, id, "--unconfirm")).ShouldSucceed().GetProperty("confirmed").GetBoolean().Should().BeFalse();
        (await RunV2Async("subscription", "delete", q, id)).ShouldSucceed();
        (await RunV2Async("subscription", "get", q, id)).Code.Should().Be(1);

        (await RunV2Async("message", "post", q, "3")).ShouldSucceed();
        (await RunV2Async("queue", "purge", q, "--messages")).ShouldSucceed();
        (await RunV2Async("queue", "stats", q)).ShouldSucceed().GetProperty("messages").GetProperty("total").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task AGrantFromShareIsUsedWithGrant()
    {
        var q = NewQueue();
        (await RunV2Async("message", "post", q, "\"shared\"")).ShouldSucceed();
        var share = await RunV2Async("queue", "share", q, "--path", "messages", "--method", "GET", "--method", "POST");
        var grant = share.ShouldSucceed();
        grant.GetProperty("paths").EnumerateArray().Select(p => p.GetString()).Should().Equal($"/v2/queues/{q}/messages");
        grant.GetProperty("project").GetString().Should().Be(_project);

        // No --project: the grant carries it.
        var listed = await RunRawAsync("", "message", "list", q, "--grant", share.Stdout.Trim(), "--url", Url);
        var bodies = listed.ShouldSucceed().EnumerateArray().Select(m => m.GetProperty("body").GetString());
        bodies.Should().Equal("shared");
        (await RunRawAsync("", "queue", "stats", q, "--grant", share.Stdout.Trim(), "--url", Url)).Code.Should().Be(1, "the grant does not cover stats");
    }

    [Theory]
    [InlineData("queue", "list")]
    [InlineData("health")]
    public async Task V2WithoutAProjectIsAUsageError(params string[] args)
    {
        var result = await RunRawAsync("", [.. args, "--url", Url]);
        result.Code.Should().Be(2);
        result.Stderr.Should().StartWith("marconi: v2 needs a project").And.Subject.TrimEnd().Should().NotContain("\n");
        (await RunRawAsync("", [.. args, "--url", Url, "--api", "v1"])).Code.Should().Be(0);
    }

    [Theory]
    [InlineData("message", "pop", "q")]
    [InlineData("queue", "purge", "q")]
    [InlineData("subscription", "list", "q")]
    [InlineData("queue", "metadata", "patch", "q", "[]")]
    public async Task V2VerbsUnderV1AreUsageErrors(params string[] args)
    {
        var result = await RunAsync(args);
        result.Code.Should().Be(2);
        result.Stderr.Should().Contain("v2").And.Subject.TrimEnd().Should().NotContain("\n");
    }

    [Theory]
    [InlineData("queue", "list", "--api", "v3")]
    [InlineData("queue", "list", "--grant", "{oops")]
    [InlineData("queue", "metadata", "patch", "q", """{"op":"add"}""", "--project", "p")]
    public async Task BadV2InvocationsAreUsageErrors(params string[] args)
    {
        var result = await RunRawAsync("", [.. args, "--url", Url]);
        result.Code.Should().Be(2, result.Stderr);
        result.Stderr.Should().StartWith("marconi: ").And.Subject.TrimEnd().Should().NotContain("\n");
    }

    public sealed record Result(int Code, string Stdout, string Stderr)
    {
        public JsonElement Json() => JsonDocument.Parse(Stdout).RootElement.Clone();

        public JsonElement ShouldSucceed()
        {
            Code.Should().Be(0, Stderr);
            Stderr.Should().BeEmpty();
            return Json();
        }
    }
}

/// <summary>The README's command-line cycle, run verbatim (but for the URL) through the real binary and a shell.</summary>
public sealed class CliScriptTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task TheReadmeCycleRunsFromAShell()
    {
        await using var host = HostProcess.Start(_database.Path);
        await host.WaitUntilServingAsync();
        var script = Marconi.Tests.EndToEnd.Readme.Block("cli", "bash");
        script.Should().Contain("M=http://127.0.0.1:8888");
        script = script.Replace("M=http://127.0.0.1:8888", $"M={host.BaseAddress.ToString().TrimEnd('/')}");

        var (code, stdout, stderr) = await BashAsync("set -euo pipefail\n" + script);

        code.Should().Be(0, stdout + stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(5, stdout);
        lines[0].Should().Be("""{"name":"jobs","href":"/v2/queues/jobs"}""");
        lines[1].Should().MatchRegex("""^\{"id":"[0-9a-f]+","href":"/v2/queues/jobs/messages/[0-9a-f]+"\}$""");
        lines[2].Should().MatchRegex("""^\{"id":"[0-9a-f]+","href":"/v2/queues/jobs/claims/[0-9a-f]+","ttl":60,"age":0,"messages":\[\{"id":"[0-9a-f]+","href":"/v2/queues/jobs/messages/[0-9a-f]+\?claim_id=[0-9a-f]+",.*"body":\{"job":1\}\}\]\}$""");
        lines[3].Should().Contain("\"deleted\"");
        lines[4].Should().Be("""{"messages":{"claimed":0,"free":0,"total":0}}""");
    }

    [Fact]
    public async Task AMissingQueueOrAStoppedServerExitsNonZeroWithOneLine()
    {
        await using var host = HostProcess.Start(_database.Path);
        await host.WaitUntilServingAsync();
        var url = host.BaseAddress.ToString().TrimEnd('/');

        var missing = await BashAsync($"marconi queue stats missing --url {url} --project p --api v1");
        missing.Code.Should().Be(1);
        missing.Stdout.Should().BeEmpty();
        missing.Stderr.Should().StartWith("marconi: ").And.EndWith("\n");
        missing.Stderr.TrimEnd().Should().NotContain("\n");

        var post = await BashAsync($"echo '{{\"job\":1}}' | marconi message post missing --ttl 300 --url {url} --project p --api v1");
        post.Code.Should().Be(1);
        post.Stderr.TrimEnd().Should().NotContain("\n");

        await host.DisposeAsync();
        var stopped = await BashAsync($"marconi queue create jobs --url {url} --project p");
        stopped.Code.Should().Be(1);
        stopped.Stderr.Should().StartWith("marconi: ");
        stopped.Stderr.TrimEnd().Should().NotContain("\n");
    }

    /// <summary>Runs a bash script with the built <c>marconi</c> binary first on the PATH.</summary>
    internal static async Task<(int Code, string Stdout, string Stderr)> BashAsync(string script)
    {
        var folder = Directory.CreateTempSubdirectory("marconi-cli-").FullName;
        try
        {
            var start = new ProcessStartInfo("bash", ["-c", script])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = folder,
            };
            start.Environment["PATH"] = AppContext.BaseDirectory + ":" + Environment.GetEnvironmentVariable("PATH");
            start.Environment.Remove("MARCONI_URL");
            start.Environment.Remove("MARCONI_PROJECT");
            using var bash = Process.Start(start)!;
            var stdout = bash.StandardOutput.ReadToEndAsync();
            var stderr = bash.StandardError.ReadToEndAsync();
            await bash.WaitForExitAsync();
            return (bash.ExitCode, await stdout, await stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
