using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Postgres;
using Marconi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marconi.Tests.Storage;

/// <summary>
/// The storage contract run against the PostgreSQL driver through a real PgBouncer in transaction
/// pool mode, whose few server connections every driver and peer share between transactions: the
/// driver keeps no session state, so whichever server connection a transaction lands on will do.
/// Prepared statements are off (<c>Max Auto Prepare=0</c>), as a PgBouncer older than 1.21 needs;
/// peers also turn Npgsql's reset off. Schemas are created and dropped directly on the server.
/// </summary>
public sealed class PostgresBehindPgBouncerTests : DataDriverContract
{
    /// <summary>What the README tells an operator to add behind a PgBouncer without prepared statements.</summary>
    private const string WithoutPreparedStatements = "Max Auto Prepare=0";

    /// <summary>
    /// Peers (other hosts) also skip Npgsql's reset of a pooled connection (DISCARD ALL), which behind
    /// transaction pooling resets whichever server connection it lands on, to no purpose: both ways work.
    /// </summary>
    private const string WithoutReset = WithoutPreparedStatements + ";No Reset On Close=true";

    private PostgresServer _server = null!;
    private PgBouncer _bouncer = null!;
    private string _schema = null!;

    protected override async Task<IDataDriver> OpenAsync()
    {
        _server = await PostgresServer.GetAsync();
        _bouncer = await PgBouncer.GetAsync();
        Skip.If(_bouncer.Unavailable is not null, _bouncer.Unavailable);
        _schema = await _server.CreateSchemaAsync();
        return Open(WithoutPreparedStatements);
    }

    /// <summary>A driver on the test's schema through PgBouncer; each has a pool of its own, as a separate host would.</summary>
    private PostgresDataDriver Open(string settings) => new(
        Options.Create(new PostgresStorageOptions { ConnectionString = $"{_bouncer.ConnectionString};{settings}", Schema = _schema }),
        NullLogger<PostgresDataDriver>.Instance);

    protected override Task<IDataDriver?> OpenPeerAsync() => Task.FromResult<IDataDriver?>(Open(WithoutReset));

    protected override async Task<IDataDriver> ReopenAsync(IDataDriver driver)
    {
        await ((PostgresDataDriver)driver).DisposeAsync();
        return Open(WithoutPreparedStatements);
    }

    protected override async Task CloseAsync(IDataDriver driver)
    {
        await ((PostgresDataDriver)driver).DisposeAsync();
        await _server.DropSchemaAsync(_schema);
    }

    /// <summary>
    /// More clients than PgBouncer has server connections, all connected at once, all get answers:
    /// only transaction pooling does that (in session mode the sixth would wait for a server
    /// connection forever), so the contract above really did share server connections.
    /// </summary>
    [SkippableFact]
    public async Task ManyClientsShareTheFewServerConnections()
    {
        var clients = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < PgBouncer.ServerConnections * 4; i++)
            {
                var client = new NpgsqlConnection($"{_bouncer.ConnectionString};Pooling=false;{WithoutPreparedStatements};Command Timeout=10");
                clients.Add(client);
                await client.OpenAsync();
            }

            var backends = new HashSet<int>();
            foreach (var client in clients)
            {
                await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", client);
                backends.Add((int)(await command.ExecuteScalarAsync())!);
            }

            backends.Count.Should().BeLessThanOrEqualTo(PgBouncer.ServerConnections,
                $"{clients.Count} connected clients are served by at most PgBouncer's {PgBouncer.ServerConnections} server connections");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Why the README asks for <c>Max Auto Prepare=0</c> behind a PgBouncer older than 1.21: with the
    /// driver's default, a statement used often enough is prepared on one server connection, and a
    /// later transaction that PgBouncer puts on another one finds no such prepared statement.
    /// </summary>
    [SkippableFact]
    public async Task WithPreparedStatementsOnAnOldPgBouncerLosesThem()
    {
        Skip.IfNot(System.Version.Parse(_bouncer.Version!) < new System.Version(1, 21),
            $"PgBouncer {_bouncer.Version} can keep prepared statements in transaction mode");
        await using var driver = Open("");
        var queue = new QueueRef("p1", "jobs");
        await driver.Queues.CreateAsync(queue, DateTimeOffset.UtcNow, default);
        // Npgsql prepares a statement on its fifth use (Auto Prepare Min Usages); PgBouncer gives the
        // driver's one client connection the same, most recently used server connection each time.
        for (var i = 0; i < 6; i++)
        {
            (await driver.Queues.ExistsAsync(queue, default)).Should().BeTrue();
        }

        // Another client holds that server connection in a transaction, so the driver's next
        // transaction goes to another, which never saw the statement prepared.
        await using var other = new NpgsqlConnection($"{_bouncer.ConnectionString};Pooling=false;{WithoutPreparedStatements}");
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT 1", other, transaction))
        {
            await hold.ExecuteScalarAsync();
        }

        var exists = () => driver.Queues.ExistsAsync(queue, default);
        var failure = await exists.Should().ThrowAsync<MarconiException>();
        failure.Which.InnerException.Should().BeOfType<PostgresException>()
            .Which.SqlState.Should().Be(PostgresErrorCodes.InvalidSqlStatementName, "the prepared statement does not exist there");
    }
}
