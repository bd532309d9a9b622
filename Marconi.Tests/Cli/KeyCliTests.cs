using System.Text.Json;
using Marconi.Host.Cli;
using Marconi.Tests.Auth;
using Marconi.Tests.Support;

namespace Marconi.Tests.Cli;

/// <summary>
/// The <c>key</c> verbs and <c>--token</c> against the real host with <c>Marconi:Auth:Mode=keys</c>, run
/// in-process: over the admin API (HTTP and ZeroMQ) and on the host's own store file with <c>--db</c>.
/// </summary>
public sealed class KeyCliTests(KeysFactory factory) : IClassFixture<KeysFactory>
{
    private const string TokenPattern = "^mk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$";
    private readonly string _project = "cli-keys-" + Guid.NewGuid().ToString("N")[..8];

    private string Url => factory.ServerAddress.ToString().TrimEnd('/');

    internal static async Task<CliTests.Result> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new ClientCommands(new StringReader(""), stdout, stderr).RunAsync(args);
        return new CliTests.Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The one line of stdout, which must be a token; stderr names the key.</summary>
    internal static string Secret(CliTests.Result result)
    {
        result.Code.Should().Be(0, result.Stderr);
        result.Stdout.Should().MatchRegex(TokenPattern[..^1] + "\n$", "stdout is the secret alone, on one line");
        var secret = result.Stdout.TrimEnd('\n');
        result.Stderr.Should().Contain(secret[3..19], "the key's id goes to stderr").And.NotContain(secret[20..]);
        return secret;
    }

    [Fact]
    public async Task KeyVerbsOverTheApiCreateListGetRotateAndRevoke()
    {
        var admin = await factory.IssueAsync(null);
        string[] api = ["--url", Url, "--token", admin];

        var secret = Secret(await RunAsync(["key", "create", "--name", "ingest", "--project", _project, "--role", "produce", "--expires", "2031-01-01T00:00:00Z", .. api]));
        var id = secret[3..19];

        var listed = await RunAsync(["key", "list", "--project", _project, .. api]);
        var key = listed.ShouldSucceed().EnumerateArray().Should().ContainSingle().Subject;
        key.GetProperty("id").GetString().Should().Be(id);
        key.GetProperty("name").GetString().Should().Be("ingest");
        key.GetProperty("scope").GetString().Should().Be("project");
        key.GetProperty("project").GetString().Should().Be(_project);
        key.GetProperty("role").GetString().Should().Be("produce");
        key.GetProperty("expires").GetString().Should().Be("2031-01-01T00:00:00Z");
        key.GetProperty("revoked").ValueKind.Should().Be(JsonValueKind.Null);
        listed.Stdout.Should().NotContain(secret[20..]).And.NotContain("secret");
        (await RunAsync(["key", "get", id, .. api])).ShouldSucceed().GetProperty("role").GetString().Should().Be("produce");
        var table = await RunAsync(["key", "list", "--project", _project, "-o", "table", .. api]);
        table.Stdout.Split('\n')[0].Should().MatchRegex(@"^ID\s+NAME\s+SCOPE\s+PROJECT\s+ROLE\s+CREATED\s+EXPIRES\s+LAST_USED\s+REVOKED$");
        table.Stdout.Should().Contain(id).And.NotContain(secret[20..]);

        // The project key needs no --project, and its role holds.
        (await RunAsync("queue", "create", "jobs", "--url", Url, "--token", secret)).ShouldSucceed();
        (await RunAsync("message", "post", "jobs", "1", "--url", Url, "--token", secret)).ShouldSucceed();
        var refused = await RunAsync("message", "list", "jobs", "--url", Url, "--token", secret);
        refused.Code.Should().Be(1);
        refused.Stderr.Should().StartWith("marconi: Not authorized").And.Subject.TrimEnd().Should().NotContain("\n");

        var rotated = Secret(await RunAsync(["key", "rotate", id, .. api]));
        rotated.Should().NotBe(secret).And.StartWith($"mk_{id}_");
        (await RunAsync("queue", "stats", "jobs", "--url", Url, "--token", secret)).Code.Should().Be(1);
        (await RunAsync("queue", "stats", "jobs", "--url", Url, "--token", rotated)).ShouldSucceed();

        var revoked = (await RunAsync(["key", "revoke", id, .. api])).ShouldSucceed();
        (revoked.GetProperty("id").GetString(), revoked.GetProperty("revoked").GetBoolean()).Should().Be((id, true));
        (await RunAsync(["key", "get", id, .. api])).ShouldSucceed().GetProperty("revoked").ValueKind.Should().Be(JsonValueKind.String);
        var gone = await RunAsync("queue", "stats", "jobs", "--url", Url, "--token", rotated);
        gone.Code.Should().Be(1);
        gone.Stderr.Should().StartWith("marconi: Authentication required");
        var missing = await RunAsync(["key", "revoke", "0123456789abcdef", .. api]);
        missing.Code.Should().Be(1);
        missing.Stderr.Should().StartWith("marconi: Not found");
    }

    [Fact]
    public async Task KeyVerbsWorkOverZeroMq()
    {
        string[] zmq = ["--url", factory.ZmqEndpoint, "--token", await factory.IssueAsync(null)];
        var secret = Secret(await RunAsync(["key", "create", "--name", "worker", "--project", _project, "--role", "consume", .. zmq]));
        (await RunAsync(["key", "list", "--project", _project, .. zmq])).ShouldSucceed().EnumerateArray().Single()
            .GetProperty("role").GetString().Should().Be("consume");
        (await RunAsync(["queue", "create", "q", "--project", _project, .. zmq])).ShouldSucceed();
        (await RunAsync("claim", "create", "q", "--url", factory.ZmqEndpoint, "--token", secret)).ShouldSucceed().ValueKind
            .Should().Be(JsonValueKind.Null, "a consumer may claim, over ZeroMQ too");
        (await RunAsync(["key", "revoke", secret[3..19], .. zmq])).ShouldSucceed();
        (await RunAsync("claim", "create", "q", "--url", factory.ZmqEndpoint, "--token", secret)).Code.Should().Be(1);
    }

    [Fact]
    public async Task WithoutAKeyTheServerAnswers401AsOneLineAndExit1()
    {
        var result = await RunAsync("queue", "list", "--url", Url, "--project", _project);
        result.Code.Should().Be(1);
        result.Stdout.Should().BeEmpty();
        result.Stderr.Should().StartWith("marconi: Authentication required").And.EndWith("\n");
        result.Stderr.TrimEnd().Should().NotContain("\n");

        var garbage = await RunAsync("key", "list", "--url", Url, "--token", "garbage");
        garbage.Code.Should().Be(1);
        garbage.Stderr.Should().StartWith("marconi: Authentication required").And.Subject.TrimEnd().Should().NotContain("\n");
    }

    [Fact]
    public async Task AProjectKeyCannotManageKeys()
    {
        var result = await RunAsync("key", "list", "--url", Url, "--token", await factory.IssueAsync(_project));
        result.Code.Should().Be(1);
        result.Stderr.Should().StartWith("marconi: Not authorized").And.Subject.TrimEnd().Should().NotContain("\n");
    }

    [Fact]
    public async Task AKeyMadeOnTheStoreFileWorksAtOnceAgainstTheRunningServer()
    {
        _ = factory.ServerAddress; // the host runs, with its store open
        var admin = Secret(await RunAsync("key", "create", "--admin", "--name", "ops", "--db", factory.DatabasePath));

        var made = Secret(await RunAsync("key", "create", "--name", "app", "--project", _project, "--url", Url, "--token", admin));
        (await RunAsync("queue", "create", "q", "--url", Url, "--token", made)).ShouldSucceed();

        var listed = (await RunAsync("key", "list", "--project", _project, "--db", factory.DatabasePath)).ShouldSucceed();
        listed.EnumerateArray().Select(k => k.GetProperty("id").GetString()).Should().Equal(made[3..19]);
    }
}

/// <summary>The <c>key</c> verbs with <c>--db</c> and no server at all, on a fresh SQLite file.</summary>
public sealed class KeyCliOfflineTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task AMissingStoreIsCreatedAndEveryVerbWorksOnIt()
    {
        File.Exists(_database.Path).Should().BeFalse();
        var db = _database.Path;

        var admin = KeyCliTests.Secret(await KeyCliTests.RunAsync("key", "create", "--admin", "--name", "ops", "--db", db));
        File.Exists(db).Should().BeTrue();
        // Given before the verb, --project still names the key's project.
        var project = KeyCliTests.Secret(await KeyCliTests.RunAsync("--project", "acme", "key", "create", "--name", "ci", "--role", "consume", "--db", db));

        var all = (await KeyCliTests.RunAsync("key", "list", "--db", db)).ShouldSucceed().EnumerateArray().ToList();
        all.Select(k => (k.GetProperty("id").GetString(), k.GetProperty("scope").GetString(), k.GetProperty("role").GetString()))
            .Should().Equal((admin[3..19], "admin", "full"), (project[3..19], "project", "consume"));
        all[0].GetProperty("project").ValueKind.Should().Be(JsonValueKind.Null);
        (await KeyCliTests.RunAsync("key", "list", "--project", "acme", "--db", db)).ShouldSucceed().GetArrayLength().Should().Be(1);
        (await KeyCliTests.RunAsync("key", "get", admin[3..19], "--db", db)).ShouldSucceed().GetProperty("name").GetString().Should().Be("ops");

        var rotated = KeyCliTests.Secret(await KeyCliTests.RunAsync("key", "rotate", project[3..19], "--db", db));
        rotated.Should().NotBe(project);
        (await KeyCliTests.RunAsync("key", "revoke", project[3..19], "--db", db)).ShouldSucceed();
        (await KeyCliTests.RunAsync("key", "get", project[3..19], "--db", db)).ShouldSucceed().GetProperty("revoked").ValueKind
            .Should().Be(JsonValueKind.String);
        var again = await KeyCliTests.RunAsync("key", "rotate", project[3..19], "--db", db);
        again.Code.Should().Be(1);
        again.Stderr.Should().StartWith("marconi: Resource conflict").And.Subject.TrimEnd().Should().NotContain("\n");
        var missing = await KeyCliTests.RunAsync("key", "get", "0123456789abcdef", "--db", db);
        missing.Code.Should().Be(1);
        missing.Stderr.Should().StartWith("marconi: Not found");
    }

    [Theory]
    [InlineData("key", "create", "--admin")]
    [InlineData("key", "create", "--name", "x")]
    [InlineData("key", "create", "--name", "x", "--admin", "--project", "p")]
    [InlineData("key", "create", "--name", "x", "--admin", "--role", "root")]
    [InlineData("key", "create", "--name", "x", "--admin", "--expires", "someday")]
    [InlineData("key", "revoke")]
    [InlineData("key", "frobnicate")]
    public async Task BadInvocationsAreUsageErrorsAndTouchNoFile(params string[] args)
    {
        var result = await KeyCliTests.RunAsync([.. args, "--db", _database.Path]);
        result.Code.Should().Be(2, result.Stderr);
        result.Stdout.Should().BeEmpty();
        result.Stderr.Should().StartWith("marconi: ").And.Subject.TrimEnd().Should().NotContain("\n");
        File.Exists(_database.Path).Should().BeFalse();
    }

    [Fact]
    public async Task WithoutATokenOrAStoreKeyVerbsAreUsageErrors()
    {
        var result = await KeyCliTests.RunAsync("key", "list", "--url", "http://127.0.0.1:9");
        result.Code.Should().Be(2);
        result.Stderr.Should().StartWith("marconi: key verbs need an admin key").And.Subject.TrimEnd().Should().NotContain("\n");
    }

    [Fact]
    public async Task ABadRequestOrAStoreThatCannotBeOpenedFailsWithOneLine()
    {
        var past = await KeyCliTests.RunAsync("key", "create", "--admin", "--name", "x", "--expires", "2001-01-01T00:00:00Z", "--db", _database.Path);
        past.Code.Should().Be(1);
        past.Stdout.Should().BeEmpty();
        past.Stderr.Should().StartWith("marconi: Invalid request body").And.Subject.TrimEnd().Should().NotContain("\n");

        var folder = Path.Combine(Path.GetDirectoryName(_database.Path)!, "missing-folder", "marconi.db");
        var unopenable = await KeyCliTests.RunAsync("key", "create", "--admin", "--name", "x", "--db", folder);
        unopenable.Code.Should().Be(1);
        unopenable.Stdout.Should().BeEmpty();
        unopenable.Stderr.Should().StartWith("marconi: --db").And.Subject.TrimEnd().Should().NotContain("\n");
    }

    [Theory]
    [InlineData("--postgres", "Host=127.0.0.1;Port=1", "--db and --postgres")]
    [InlineData("--schema", "marconi", "--schema goes with --postgres")]
    public async Task PostgresOptionsThatDoNotFitAreUsageErrorsAndTouchNoStore(string option, string value, string message)
    {
        foreach (var args in new[] { ["key", "list", "--db", _database.Path, option, value], new[] { "key", option, value, "--db", _database.Path, "create", "--admin", "--name", "x" } })
        {
            var result = await KeyCliTests.RunAsync(args);
            result.Code.Should().Be(2, result.Stderr);
            result.Stdout.Should().BeEmpty();
            result.Stderr.Should().StartWith($"marconi: {message}").And.Subject.TrimEnd().Should().NotContain("\n");
            File.Exists(_database.Path).Should().BeFalse();
        }
    }

    [Fact]
    public async Task ABadSchemaIsAUsageError()
    {
        var result = await KeyCliTests.RunAsync("key", "list", "--postgres", "Host=127.0.0.1;Port=1", "--schema", "Queues; DROP");
        result.Code.Should().Be(2, result.Stderr);
        result.Stderr.Should().StartWith("marconi: --schema must be a plain lower-case identifier").And.Subject.TrimEnd().Should().NotContain("\n");
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=1;Username=ops;Password=hunter2;Timeout=5")]
    [InlineData("Hots=db;Password=hunter2")]
    public async Task ADatabaseThatCannotBeOpenedFailsWithOneLineNamingTheOptionAndNotThePassword(string connectionString)
    {
        var result = await KeyCliTests.RunAsync("key", "create", "--admin", "--name", "x", "--postgres", connectionString);
        result.Code.Should().Be(1);
        result.Stdout.Should().BeEmpty();
        result.Stderr.Should().StartWith("marconi: --postgres").And.NotContain("hunter2");
        result.Stderr.TrimEnd().Should().NotContain("\n");
    }

    [Fact]
    public async Task HelpExplainsTheStoreAndTheProject()
    {
        var help = await KeyCliTests.RunAsync("key", "create", "--help");
        help.Code.Should().Be(0);
        help.Stdout.Should().Contain("--db").And.Contain("--postgres").And.Contain("--schema").And.Contain("created").And.Contain("--admin").And.Contain("key's project").And.Contain("--token");
    }
}

/// <summary>The <c>key</c> verbs with <c>--postgres</c> and no server at all, on a schema that does not exist yet.</summary>
public sealed class KeyCliPostgresTests : IAsyncLifetime
{
    private readonly PostgresSchemas _schemas = new();

    public Task InitializeAsync() => _schemas.InitializeAsync();

    public Task DisposeAsync() => _schemas.DisposeAsync();

    [SkippableFact]
    public async Task AMissingSchemaIsCreatedAndEveryVerbWorksOnIt()
    {
        _schemas.SkipUnlessAvailable();
        string[] store = ["--postgres", _schemas.Server.ConnectionString!, "--schema", _schemas.NewName()];

        var admin = KeyCliTests.Secret(await KeyCliTests.RunAsync(["key", "create", "--admin", "--name", "ops", .. store]));
        var project = KeyCliTests.Secret(await KeyCliTests.RunAsync(["key", "create", "--project", "acme", "--name", "ci", "--role", "consume", .. store]));

        var all = (await KeyCliTests.RunAsync(["key", "list", .. store])).ShouldSucceed().EnumerateArray().ToList();
        all.Select(k => (k.GetProperty("id").GetString(), k.GetProperty("scope").GetString(), k.GetProperty("role").GetString()))
            .Should().BeEquivalentTo([(admin[3..19], "admin", "full"), (project[3..19], "project", "consume")]);
        (await KeyCliTests.RunAsync(["key", "list", "--project", "acme", .. store])).ShouldSucceed().GetArrayLength().Should().Be(1);
        (await KeyCliTests.RunAsync(["key", "get", admin[3..19], .. store])).ShouldSucceed().GetProperty("name").GetString().Should().Be("ops");

        KeyCliTests.Secret(await KeyCliTests.RunAsync(["key", "rotate", project[3..19], .. store])).Should().NotBe(project);
        (await KeyCliTests.RunAsync(["key", "revoke", project[3..19], .. store])).ShouldSucceed();
        (await KeyCliTests.RunAsync(["key", "get", project[3..19], .. store])).ShouldSucceed().GetProperty("revoked").ValueKind
            .Should().Be(JsonValueKind.String);
        var missing = await KeyCliTests.RunAsync(["key", "get", "0123456789abcdef", .. store]);
        missing.Code.Should().Be(1);
        missing.Stderr.Should().StartWith("marconi: Not found");

        // Another schema of the same database holds other keys: --schema is honoured.
        var other = await _schemas.CreateAsync();
        (await KeyCliTests.RunAsync("key", "list", "--postgres", _schemas.Server.ConnectionString!, "--schema", other)).ShouldSucceed()
            .GetArrayLength().Should().Be(0);
    }
}
