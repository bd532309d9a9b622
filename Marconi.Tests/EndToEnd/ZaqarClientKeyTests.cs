using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The real python-zaqarclient and <c>openstack</c> command line (Debian's python3-zaqarclient and
/// python3-openstackclient) against the real host process with <c>Marconi:Auth:Mode=keys</c>, a
/// project key as their token (issue: authentication, tests 3). Keys are made with
/// <c>marconi key create --db</c> before the server starts, as an operator would.
/// </summary>
public sealed class ZaqarClientKeyTests : IDisposable
{
    private const string NoZaqarClient = "no python3 with zaqarclient here (.ci/run installs Debian's python3-zaqarclient)";
    private const string NoOpenStack = "no openstack command here (.ci/run installs Debian's python3-openstackclient)";
    private const string ReadmeUrl = "http://127.0.0.1:8888";
    private const string Project = "demo-project";

    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [SkippableFact]
    public async Task PythonZaqarClientSendsAProjectKeyAsItsTokenAndGets401Or403AsOverHttp()
    {
        var python = Python.With("zaqarclient");
        Skip.If(python is null, NoZaqarClient);
        var (full, produce, consume) = (await KeyAsync("full"), await KeyAsync("produce"), await KeyAsync("consume"));
        await using var host = await StartAsync();

        var script = Path.Combine(Readme.RepositoryRoot(), "Marconi.Tests", "EndToEnd", "Python", "zaqar_key_cycle.py");
        var output = await Python.RunAsync(python!, script, Url(host), full, produce, consume, Project);

        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(
            "posted [1, 2]",
            "implied ['jobs']",
            "producer claims 403",
            "consumer posts 403",
            "consumer claims [1, 2, 3]",
            "consumer stats 3",
            "another project 403",
            "garbage key 401",
            "no key 401",
            "stats 3");
        host.Output.Should().NotContain(full[20..]).And.NotContain(produce[20..]).And.NotContain(consume[20..]);
    }

    [SkippableFact]
    public async Task TheReadmeSnippetRunsWithAProjectKey()
    {
        var python = Python.With("zaqarclient");
        Skip.If(python is null, NoZaqarClient);
        var snippet = Readme.Block("zaqarclient-keys-python", "python");
        snippet.Should().Contain(ReadmeUrl);
        var key = await KeyAsync("full");
        await using var host = await StartAsync();
        var folder = Directory.CreateTempSubdirectory("marconi-zaqarclient-").FullName;
        try
        {
            var file = Path.Combine(folder, "snippet.py");
            await File.WriteAllTextAsync(file, snippet.Replace(ReadmeUrl, Url(host), StringComparison.Ordinal));

            var output = await Python.RunProgramAsync(python!, [file], new Dictionary<string, string> { ["MARCONI_TOKEN"] = key });

            output.Trim().Should().Be("1");
            (await Python.RunProgramAsync(python!, [file], new Dictionary<string, string> { ["MARCONI_TOKEN"] = "garbage" }, expectSuccess: false))
                .Should().Contain("Code: 401", "without a valid key the snippet stops at its first request");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public async Task TheOpenStackCommandLineTakesAProjectKeyAsAnAdminToken()
    {
        Skip.If(!File.Exists("/usr/bin/openstack"), NoOpenStack);
        var (full, produce, consume) = (await KeyAsync("full"), await KeyAsync("produce"), await KeyAsync("consume"));
        await using var host = await StartAsync();
        var url = Url(host);
        const string ClientId = "3381af92-2b9e-11e3-b191-71861300734c";

        var readme = Readme.Block("openstack-keys", "bash");
        readme.Should().Contain(ReadmeUrl);
        (await OpenStackAsync(url, full, "messaging", "queue", "create", "jobs", "-f", "value")).Trim().Should().Be("jobs");
        var listed = await Python.RunProgramAsync("bash", ["-euo", "pipefail", "-c", readme.Replace(ReadmeUrl, url, StringComparison.Ordinal)],
            new Dictionary<string, string> { ["MARCONI_TOKEN"] = full });
        listed.Trim().Should().Be("jobs", "the README's command lists the key's project's queues");

        await OpenStackAsync(url, produce, "messaging", "message", "post", "jobs", """[{"body": {"n": 1}, "ttl": 300}]""", "--client-id", ClientId);
        (await OpenStackAsync(url, consume, "messaging", "message", "list", "jobs", "--client-id", ClientId, "--echo", "-f", "value", "-c", "Body"))
            .Trim().Should().Be("{'n': 1}");

        (await RefusedAsync(url, consume, "messaging", "message", "post", "jobs", """[{"body": 2}]""", "--client-id", ClientId))
            .Should().Contain("Code: 403");
        (await RefusedAsync(url, produce, "messaging", "claim", "create", "jobs")).Should().Contain("Code: 403");
        (await RefusedAsync(url, "garbage", "messaging", "queue", "list")).Should().Contain("Code: 401");
        (await OpenStackAsync(url, full, "messaging", "queue", "stats", "jobs", "-f", "json")).Should().Contain("\"total\": 1",
            "the refused post and claim changed nothing");
    }

    private static string Url(HostProcess host) => host.BaseAddress.ToString().TrimEnd('/');

    private async Task<string> KeyAsync(string role)
    {
        var created = await CliProcess.RunAsync(["key", "create", "--name", role, "--project", Project, "--role", role, "--db", _database.Path]);
        created.Code.Should().Be(0, created.Stderr);
        return created.Stdout.TrimEnd('\n');
    }

    private async Task<HostProcess> StartAsync()
    {
        var host = HostProcess.Start(_database.Path, ["--Marconi:Auth:Mode=keys"]);
        await host.WaitUntilServingAsync();
        return host;
    }

    private static Task<string> OpenStackAsync(string endpoint, string token, params string[] command) =>
        Python.RunProgramAsync("/usr/bin/openstack", ["--os-auth-type", "admin_token", "--os-endpoint", endpoint, "--os-token", token, .. command]);

    /// <summary>Runs an openstack command that must fail, and returns what it said on standard error.</summary>
    private static Task<string> RefusedAsync(string endpoint, string token, params string[] command) =>
        Python.RunProgramAsync(
            "/usr/bin/openstack", ["--os-auth-type", "admin_token", "--os-endpoint", endpoint, "--os-token", token, .. command],
            expectSuccess: false);
}
