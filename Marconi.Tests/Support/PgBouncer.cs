using System.Diagnostics;
using Npgsql;

namespace Marconi.Tests.Support;

/// <summary>
/// A throwaway PgBouncer in transaction pool mode in front of the tests' <see cref="PostgresServer"/>,
/// one per test run: the installed <c>pgbouncer</c> started in a temporary folder, reached through a
/// Unix socket there (no TCP port is guessed), and stopped when this process exits however it ends.
/// Its pool holds <see cref="ServerConnections"/> server connections, so clients really do share them
/// between transactions. With <c>MARCONI_TEST_POSTGRES</c> set it points at that server instead (its
/// host, port, user and password; no TLS).
/// </summary>
public sealed class PgBouncer
{
    /// <summary>Server connections PgBouncer keeps for the tests' user and database: far fewer than the clients.</summary>
    public const int ServerConnections = 5;

    private static readonly Lazy<Task<PgBouncer>> Shared = new(StartAsync);

    private PgBouncer(string? connectionString, string? version, string? unavailable)
    {
        ConnectionString = connectionString;
        Version = version;
        Unavailable = unavailable;
    }

    /// <summary>
    /// The connection string to the server's <c>postgres</c> database through PgBouncer, with nothing
    /// added for it (a test adds <c>Max Auto Prepare</c> and the like itself); null when there is none.
    /// </summary>
    public string? ConnectionString { get; }

    /// <summary>PgBouncer's version as <c>pgbouncer --version</c> gives it, e.g. <c>1.18.0</c>.</summary>
    public string? Version { get; }

    /// <summary>Why there is no PgBouncer, for a test to skip with; null when there is one.</summary>
    public string? Unavailable { get; }

    public static Task<PgBouncer> GetAsync() => Shared.Value;

    private static async Task<PgBouncer> StartAsync()
    {
        var server = await PostgresServer.GetAsync();
        if (server.Unavailable is not null)
        {
            return new PgBouncer(null, null, server.Unavailable);
        }

        // Debian installs it in /usr/sbin, which a non-root PATH often lacks.
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Select(folder => Path.Combine(folder, "pgbouncer"));
        if (candidates.FirstOrDefault(File.Exists) is not { } program)
        {
            return new PgBouncer(null, null, "pgbouncer is not installed; install Debian's pgbouncer package");
        }

        var asRoot = Environment.UserName == "root";
        var version = await VersionAsync(program);
        var target = new NpgsqlConnectionStringBuilder(server.ConnectionString);
        var folder = Directory.CreateTempSubdirectory("marconi-pgbouncer-").FullName;
        // PgBouncer's own port number only names its socket file (.s.PGSQL.6432) in this folder.
        const int port = 6432;
        var host = target.Host!.Split(',')[0];
        if (target.Password?.Contains('\'') == true)
        {
            return new PgBouncer(null, null, $"the password in {PostgresServer.Variable} has a quote, which these tests do not pass on to pgbouncer");
        }

        var password = target.Password is { Length: > 0 } given ? $" password='{given}'" : "";
        File.WriteAllText(Path.Combine(folder, "pgbouncer.ini"), $"""
            [databases]
            {target.Database} = host={host} port={target.Port} dbname={target.Database} user={target.Username}{password}

            [pgbouncer]
            listen_addr =
            listen_port = {port}
            unix_socket_dir = {folder}
            auth_type = trust
            auth_file = {Path.Combine(folder, "users.txt")}
            pool_mode = transaction
            default_pool_size = {ServerConnections}
            max_client_conn = 1000
            logfile = {Path.Combine(folder, "pgbouncer.log")}
            """);
        // Trust still wants the user listed; the password to the server is in [databases].
        File.WriteAllText(Path.Combine(folder, "users.txt"), $"\"{target.Username}\" \"\"\n");

        // PgBouncer refuses to run as root: -u makes it the postgres user, as the cluster is.
        var start = new ProcessStartInfo(program, asRoot ? ["-q", "-u", "postgres", Path.Combine(folder, "pgbouncer.ini")] : ["-q", Path.Combine(folder, "pgbouncer.ini")])
        {
            // Its own pipes (quiet, it writes to its log file only): inheriting this process's output
            // would keep `dotnet test` waiting for it.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (asRoot)
        {
            await RunAsync("chown", ["-R", "postgres", folder]);
        }

        using var bouncer = Process.Start(start)!;
        StopWhenThisProcessEnds(bouncer.Id, folder);

        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = folder,
            Port = port,
            Username = target.Username,
            Database = target.Database,
        };
        await WaitUntilServingAsync(bouncer, connection.ToString(), folder);
        return new PgBouncer(connection.ToString(), version, null);
    }

    /// <summary>
    /// Waits until a query goes through: PgBouncer says nothing on its pipes when it is ready, and its
    /// socket appears before it accepts. A PgBouncer that exits meanwhile fails with its log.
    /// </summary>
    private static async Task WaitUntilServingAsync(Process bouncer, string connectionString, string folder)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (bouncer.HasExited)
            {
                throw new InvalidOperationException($"pgbouncer exited ({bouncer.ExitCode}) at start: {Log(folder)}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync();
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
        }
    }

    private static string Log(string folder) =>
        File.Exists(Path.Combine(folder, "pgbouncer.log")) ? File.ReadAllText(Path.Combine(folder, "pgbouncer.log")) : "(no log)";

    /// <summary>
    /// Starts a small shell that waits for this process to end, however it ends (a test host can be
    /// killed without running exit handlers), then stops PgBouncer and removes its folder.
    /// </summary>
    private static void StopWhenThisProcessEnds(int bouncer, string folder) =>
        PostgresCluster.AfterThisProcessEnds($"kill -TERM {bouncer} 2>/dev/null; rm -rf '{folder}'");

    private static async Task<string> VersionAsync(string program)
    {
        // "PgBouncer 1.18.0" on the first line.
        var output = await RunAsync(program, ["--version"]);
        return output.Split('\n')[0].Replace("PgBouncer", "", StringComparison.Ordinal).Trim();
    }

    private static async Task<string> RunAsync(string program, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {await errors}{await output}");
        }

        return await output;
    }
}
