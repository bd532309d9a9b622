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
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync($"CREATE SCHEMA {schema}");
        return schema;
    }

    public Task DropSchemaAsync(string schema) => ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE");

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
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
