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
    private PostgresServer _server = null!;
    private readonly List<string> _schemas = [];

    public async Task InitializeAsync() => _server = await PostgresServer.GetAsync();

    public async Task DisposeAsync()
    {
        foreach (var schema in _schemas)
        {
            await _server.DropSchemaAsync(schema);
        }
    }

    [SkippableFact]
    public async Task ItRefusesAsynchronousCommitUnlessAllowed()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var asynchronous = _server.ConnectionString + ";Options=-c synchronous_commit=off";

        var refused = () => Open(asynchronous, NewSchema());
        refused.Should().Throw<InvalidOperationException>()
            .WithMessage("Marconi:Storage:Postgres:AllowAsyncCommit is false*synchronous_commit is off*");

        await using var allowed = Open(asynchronous, NewSchema(), allowAsyncCommit: true);
        (await allowed.IsAliveAsync(default)).Should().BeTrue();
    }

    [SkippableFact]
    public void AConnectionStringThatDoesNotWorkIsNamed()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);

        var malformed = () => Open("Hots=db1;Database=marconi", NewSchema());
        malformed.Should().Throw<InvalidOperationException>().WithMessage("*Marconi:Storage:Postgres:ConnectionString*");

        var nobodyThere = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Host = Path.Combine(Path.GetTempPath(), "no-such-server"), Timeout = 2 };
        var unreachable = () => Open(nobodyThere.ToString(), NewSchema());
        unreachable.Should().Throw<InvalidOperationException>().WithMessage("*Marconi:Storage:Postgres:ConnectionString*");
    }

    [SkippableFact]
    public async Task TwoDriversMigratingOneFreshSchemaAtOnceBothOpen()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var schema = NewSchema();
        using var start = new Barrier(2);

        var opened = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return Open(_server.ConnectionString!, schema);
        })));

        var created = new List<bool>();
        foreach (var driver in opened)
        {
            created.Add(await driver.Queues.CreateAsync(new Marconi.Core.QueueRef("p1", "jobs"), DateTimeOffset.UtcNow, default));
            await driver.DisposeAsync();
        }

        created.Should().Equal(true, false);

        await using var connection = new NpgsqlConnection(_server.ConnectionString);
        (await connection.QuerySingleAsync<int>($"SELECT version FROM {schema}.schema_version")).Should().Be(PostgresSchema.Latest);
        (await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {schema}.queues")).Should().Be(1);
    }

    private string NewSchema()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        _schemas.Add(schema);
        return schema;
    }

    private static PostgresDataDriver Open(string connectionString, string schema, bool allowAsyncCommit = false) => new(
        Options.Create(new PostgresStorageOptions { ConnectionString = connectionString, Schema = schema, AllowAsyncCommit = allowAsyncCommit }),
        NullLogger<PostgresDataDriver>.Instance);
}
