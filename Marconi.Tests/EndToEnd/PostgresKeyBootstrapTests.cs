using System.Net;
using System.Text.Json;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The first admin key of hosts on PostgreSQL that require keys, made with <c>marconi key create --postgres</c>
/// as real processes, before any host ever ran on the database; then keys listed and revoked the same
/// way while a host runs, taking effect on it.
/// </summary>
public sealed class PostgresKeyBootstrapTests : IAsyncLifetime
{
    private const string TokenLine = "^mk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$";

    // Not created beforehand: the command line creates and migrates it, as a host's start would.
    private readonly PostgresSchemas _schemas = new();

    public Task InitializeAsync() => _schemas.InitializeAsync();

    public Task DisposeAsync() => _schemas.DisposeAsync();

    [SkippableFact]
    public async Task AnAdminKeyMadeOnAFreshDatabaseWorksOnTheHostAndOfflineRevocationsReachIt()
    {
        _schemas.SkipUnlessAvailable();
        var schema = _schemas.NewName();
        string[] store = ["--postgres", _schemas.Server.ConnectionString!, "--schema", schema];

        var created = await CliProcess.RunAsync(["key", "create", "--admin", "--name", "ops", .. store]);
        created.Code.Should().Be(0, created.Stderr);
        created.Stdout.Should().MatchRegex(TokenLine, "stdout is the token alone");
        var admin = created.Stdout.TrimEnd('\n');

        await using var host = await HostProcess.StartServingAsync("unused.db",
        [
            "--Marconi:Storage:Driver=postgres",
            $"--Marconi:Storage:Postgres:ConnectionString={_schemas.Server.ConnectionString}",
            $"--Marconi:Storage:Postgres:Schema={schema}",
            "--Marconi:Auth:Mode=keys",
            "--Marconi:Auth:KeyCacheSeconds=1",
        ]);
        await host.WaitForOutputAsync("1 live keys, 1 of them admin");
        host.Output.Should().NotContain("No live admin key exists");
        var url = host.BaseAddress.ToString().TrimEnd('/');

        (await SendAsync(host, "/v2/queues", admin, "acme")).Should().Be(HttpStatusCode.OK);
        (await SendAsync(host, "/v2/queues", null, "acme")).Should().Be(HttpStatusCode.Unauthorized);

        // A project key over the API, with the admin key; the offline listing sees it.
        var made = await CliProcess.RunAsync(["key", "create", "--project", "acme", "--name", "ci", "--url", url, "--token", admin]);
        made.Code.Should().Be(0, made.Stderr);
        var producer = made.Stdout.TrimEnd('\n');
        (await SendAsync(host, "/v2/queues", producer, null)).Should().Be(HttpStatusCode.OK);
        var listed = await CliProcess.RunAsync(["key", "list", .. store]);
        listed.Code.Should().Be(0, listed.Stderr);
        JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray().Select(k => (k.GetProperty("id").GetString(), k.GetProperty("scope").GetString()))
            .Should().BeEquivalentTo([(admin[3..19], "admin"), (producer[3..19], "project")]);
        listed.Stdout.Should().NotContain(admin[20..]).And.NotContain(producer[20..]);

        // Revoked offline, the key stops working on the running host within Marconi:Auth:KeyCacheSeconds.
        var revoked = await CliProcess.RunAsync(["key", "revoke", producer[3..19], .. store]);
        revoked.Code.Should().Be(0, revoked.Stderr);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await SendAsync(host, "/v2/queues", producer, null) != HttpStatusCode.Unauthorized)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "a revocation made elsewhere takes effect once the cached key is read again");
            await Task.Delay(100);
        }

        (await SendAsync(host, "/v2/queues", admin, "acme")).Should().Be(HttpStatusCode.OK, "only the revoked key stops working");
        host.Terminate();
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0, host.Output);
        host.Output.Should().NotContain(admin[20..]).And.NotContain(producer[20..]);
    }

    private static async Task<HttpStatusCode> SendAsync(HostProcess host, string path, string? token, string? project)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Client-ID", "3381af92-2b9e-11e3-b191-71861300734c");
        if (token is not null)
        {
            request.Headers.Add("X-Auth-Token", token);
        }

        if (project is not null)
        {
            request.Headers.Add("X-Project-Id", project);
        }

        using var response = await host.Client.SendAsync(request);
        return response.StatusCode;
    }
}
