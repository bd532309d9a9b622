using System.Net;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The first admin key of a server that requires keys, made with <c>marconi key create --db</c> as real
/// processes: beside the running server, and on a fresh install before its first start. The token
/// works against the server, and no secret ever reaches the server's output.
/// </summary>
public sealed class KeyBootstrapTests : IDisposable
{
    private const string TokenLine = "^mk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$";
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task AnAdminKeyMadeOnTheStoreOfTheRunningServerWorksAtOnce()
    {
        await using var host = HostProcess.Start(_database.Path, ["--Marconi:Auth:Mode=keys", "--Marconi:Auth:KeyCacheSeconds=1"]);
        await host.WaitUntilServingAsync();
        await host.WaitForOutputAsync("No live admin key exists");
        var url = host.BaseAddress.ToString().TrimEnd('/');

        var created = await CliProcess.RunAsync(["key", "create", "--admin", "--name", "ops", "--db", _database.Path]);
        created.Code.Should().Be(0, created.Stderr);
        created.Stdout.Should().MatchRegex(TokenLine, "stdout is the token alone");
        var admin = created.Stdout.TrimEnd('\n');

        (await SendAsync(host, HttpMethod.Get, "/v2/queues", admin, "acme")).Should().Be(HttpStatusCode.OK);
        (await SendAsync(host, HttpMethod.Get, "/v2/queues", null, "acme")).Should().Be(HttpStatusCode.Unauthorized);

        // A project key, over the API, with the admin key from $MARCONI_TOKEN.
        var made = await CliProcess.RunAsync(
            ["key", "create", "--project", "acme", "--role", "produce", "--name", "ci", "--url", url],
            new Dictionary<string, string> { ["MARCONI_TOKEN"] = admin });
        made.Code.Should().Be(0, made.Stderr);
        made.Stdout.Should().MatchRegex(TokenLine);
        var producer = made.Stdout.TrimEnd('\n');
        (await SendAsync(host, HttpMethod.Post, "/v2/queues/jobs/messages", producer, null, """{"messages": [{"body": 1}]}"""))
            .Should().Be(HttpStatusCode.Created, "the key names its project");
        (await SendAsync(host, HttpMethod.Get, "/v2/queues/jobs/messages", producer, null)).Should().Be(HttpStatusCode.Forbidden);

        // Revoked on the store file, the key stops working within Marconi:Auth:KeyCacheSeconds.
        var revoked = await CliProcess.RunAsync(["key", "revoke", producer[3..19], "--db", _database.Path]);
        revoked.Code.Should().Be(0, revoked.Stderr);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await SendAsync(host, HttpMethod.Get, "/v2/queues", producer, null) != HttpStatusCode.Unauthorized)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "a revocation made elsewhere takes effect once the cached key is read again");
            await Task.Delay(100);
        }

        host.Terminate();
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0, host.Output);
        host.Output.Should().NotContain(admin[20..]).And.NotContain(producer[20..]);
        host.Output.Should().Contain(producer[3..19], "refusals are logged with the key's id");
    }

    [Fact]
    public async Task AnAdminKeyMadeBeforeTheFirstStartWorksOnceTheServerRuns()
    {
        File.Exists(_database.Path).Should().BeFalse();
        var created = await CliProcess.RunAsync(["key", "create", "--admin", "--name", "ops", "--db", _database.Path]);
        created.Code.Should().Be(0, created.Stderr);
        created.Stdout.Should().MatchRegex(TokenLine);
        var admin = created.Stdout.TrimEnd('\n');
        File.Exists(_database.Path).Should().BeTrue("the store is created");
        File.Exists(_database.Path + "-wal").Should().BeFalse("the key is in the database file itself, not left in a WAL beside it");

        await using var host = HostProcess.Start(_database.Path, ["--Marconi:Auth:Mode=keys"]);
        await host.WaitUntilServingAsync();
        await host.WaitForOutputAsync("1 live keys, 1 of them admin");
        host.Output.Should().NotContain("No live admin key exists");
        var url = host.BaseAddress.ToString().TrimEnd('/');

        var queue = await CliProcess.RunAsync(["queue", "create", "jobs", "--project", "demo", "--url", url, "--token", admin]);
        queue.Code.Should().Be(0, queue.Stderr);
        var listed = await CliProcess.RunAsync(["queue", "list", "--project", "demo", "--url", url],
            new Dictionary<string, string> { ["MARCONI_TOKEN"] = admin });
        listed.Code.Should().Be(0, listed.Stderr);
        listed.Stdout.Should().Be("""[{"name":"jobs","href":"/v2/queues/jobs"}]""" + "\n");
        var refused = await CliProcess.RunAsync(["queue", "list", "--project", "demo", "--url", url]);
        refused.Code.Should().Be(1);
        refused.Stdout.Should().BeEmpty();
        refused.Stderr.Should().StartWith("marconi: Authentication required").And.Subject.TrimEnd().Should().NotContain("\n");

        host.Terminate();
        await host.WaitForExitAsync(TimeSpan.FromSeconds(30));
        host.Output.Should().NotContain(admin[20..]);
    }

    private static async Task<HttpStatusCode> SendAsync(HostProcess host, HttpMethod method, string path, string? token, string? project, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Client-ID", "3381af92-2b9e-11e3-b191-71861300734c");
        if (token is not null)
        {
            request.Headers.Add("X-Auth-Token", token);
        }

        if (project is not null)
        {
            request.Headers.Add("X-Project-Id", project);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await host.Client.SendAsync(request);
        return response.StatusCode;
    }
}
