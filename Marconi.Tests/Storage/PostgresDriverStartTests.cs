using Dapper;
using Marconi.Storage.Postgres;
using Marconi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marconi.Tests.Storage;

/// <summary>
/// How the PostgreSQL driver opens: it refuses a server that acknowledges commits before they are
/// durable unless told to accept that, names the setting to fix when it cannot connect, and hosts
/// starting together on a fresh schema all come up.
/// </summary>
public sealed class PostgresDriverStartTests : IAsyncLifetime
{
    private readonly PostgresSchemas _schemas = new();

    public Task InitializeAsync() => _schemas.InitializeAsync();

    public Task DisposeAsync() => _schemas.DisposeAsync();

    private PostgresServer Server => _schemas.Server;

    [SkippableFact]
    public async Task ItRefusesAsynchronousCommitUnlessAllowed()
    {
        _schemas.SkipUnlessAvailable();
        var asynchronous = Server.ConnectionString + ";Options=-c synchronous_commit=off";

        var refused = () => Open(asynchronous, _schemas.NewName());
        refused.Should().Throw<InvalidOperationException>()
            .WithMessage("Marconi:Storage:Postgres:AllowAsyncCommit is false*synchronous_commit is off*");

        await using var allowed = Open(asynchronous, _schemas.NewName(), allowAsyncCommit: true);
        (await allowed.IsAliveAsync(default)).Should().BeTrue();
    }

    [SkippableFact]
    public void AConnectionStringThatDoesNotWorkIsNamed()
    {
        _schemas.SkipUnlessAvailable();

        var malformed = () => Open("Hots=db1;Database=marconi", _schemas.NewName());
        malformed.Should().Throw<InvalidOperationException>().WithMessage("*Marconi:Storage:Postgres:ConnectionString*");

        var nobodyThere = new NpgsqlConnectionStringBuilder(Server.ConnectionString) { Host = Path.Combine(Path.GetTempPath(), "no-such-server"), Timeout = 2 };
        var unreachable = () => Open(nobodyThere.ToString(), _schemas.NewName());
        unreachable.Should().Throw<InvalidOperationException>().WithMessage("*Marconi:Storage:Postgres:ConnectionString*");
    }

    [SkippableFact]
    public async Task TwoDriversMigratingOneFreshSchemaAtOnceBothOpen()
    {
        _schemas.SkipUnlessAvailable();
        var schema = _schemas.NewName();
        using var start = new Barrier(2);

        var opened = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return Open(Server.ConnectionString!, schema);
        })));

        var created = new List<bool>();
        foreach (var driver in opened)
        {
            created.Add(await driver.Queues.CreateAsync(new Marconi.Core.QueueRef("p1", "jobs"), DateTimeOffset.UtcNow, default));
            await driver.DisposeAsync();
        }

        created.Should().Equal(true, false);

        await using var connection = new NpgsqlConnection(Server.ConnectionString);
        (await connection.QuerySingleAsync<int>($"SELECT version FROM {schema}.schema_version")).Should().Be(PostgresSchema.Latest);
        (await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {schema}.queues")).Should().Be(1);
    }

    private static PostgresDataDriver Open(string connectionString, string schema, bool allowAsyncCommit = false) => new(
        Options.Create(new PostgresStorageOptions { ConnectionString = connectionString, Schema = schema, AllowAsyncCommit = allowAsyncCommit }),
        NullLogger<PostgresDataDriver>.Instance);
}
