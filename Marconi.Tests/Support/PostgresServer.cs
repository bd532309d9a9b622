using Npgsql;

namespace Marconi.Tests.Support;

/// <summary>
/// The PostgreSQL server the tests use, one per test run: the one <c>MARCONI_TEST_POSTGRES</c> names
/// (a connection string), or else a throwaway <see cref="PostgresCluster"/> with fsync off, stopped
/// when the test process exits. Each test takes a schema of its own (<see cref="CreateSchemaAsync"/>).
/// </summary>
public sealed class PostgresServer
{
    public const string Variable = "MARCONI_TEST_POSTGRES";

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);

    private PostgresServer(string? connectionString, string? unavailable)
    {
        ConnectionString = connectionString;
        Unavailable = unavailable;
    }

    /// <summary>The server's connection string (to its <c>postgres</c> database), or null when there is none.</summary>
    public string? ConnectionString { get; }

    /// <summary>Why there is no server, for a test to skip with; null when there is one.</summary>
    public string? Unavailable { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>A new, empty schema named <c>t_…</c>; the driver creates its tables in it.</summary>
    public async Task<string> CreateSchemaAsync()
    {
        var schema = NewSchemaName();
        await ExecuteAsync($"CREATE SCHEMA {schema}");
        return schema;
    }

    /// <summary>A schema name no test has used, <c>t_…</c>.</summary>
    public static string NewSchemaName() => "t_" + Guid.NewGuid().ToString("N");

    public Task DropSchemaAsync(string schema) => ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE");

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await ConnectAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>An open connection of a test's own, beside the drivers' pools.</summary>
    public async Task<NpgsqlConnection> ConnectAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Waits until <paramref name="count"/> sessions whose statements name <paramref name="schema"/> wait for a lock.</summary>
    public async Task WaitForLockWaitersAsync(string schema, int count)
    {
        await using var connection = await ConnectAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 IN query) > 0", connection);
        command.Parameters.Add(new() { Value = schema });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((long)(await command.ExecuteScalarAsync(timeout.Token))! < count)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static async Task<PostgresServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            return new PostgresServer(given, null);
        }

        // Never disposed: the cluster's watchdog stops it when the test process ends.
        var (cluster, unavailable) = await PostgresCluster.TryStartAsync(fsync: false);
        return cluster is null
            ? new PostgresServer(null, $"{unavailable}, or set {Variable}")
            : new PostgresServer(cluster.ConnectionString, null);
    }
}

/// <summary>
/// The schemas one test uses on the test server, dropped together when it ends: created here, or only
/// named, for the code under test to create. A test class keeps one and forwards its
/// <see cref="IAsyncLifetime"/> calls to it.
/// </summary>
public sealed class PostgresSchemas : IAsyncLifetime
{
    private readonly List<string> _names = [];

    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.GetAsync();

    /// <summary>Skips the test, with the reason, when there is no server here.</summary>
    public void SkipUnlessAvailable() => Skip.If(Server.Unavailable is not null, Server.Unavailable);

    /// <summary>A new schema's name, not created: the code under test creates it.</summary>
    public string NewName()
    {
        var schema = PostgresServer.NewSchemaName();
        _names.Add(schema);
        return schema;
    }

    public async Task<string> CreateAsync()
    {
        var schema = NewName();
        await Server.ExecuteAsync($"CREATE SCHEMA {schema}");
        return schema;
    }

    public async Task DisposeAsync()
    {
        foreach (var schema in _names)
        {
            await Server.DropSchemaAsync(schema);
        }
    }
}
