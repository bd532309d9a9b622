using System.Diagnostics;
using Npgsql;

namespace Marconi.Tests.Support;

/// <summary>
/// The PostgreSQL server the tests use, one per test run: the one <c>MARCONI_TEST_POSTGRES</c> names
/// (a connection string), or else a throwaway cluster started from the installed server binaries in
/// a temporary folder, reached through a Unix socket in that folder (so no TCP port is guessed), and
/// stopped when the test process exits. As root the cluster runs as the <c>postgres</c> user, since
/// the server refuses to run as root. Each test takes a schema of its own (<see cref="CreateSchemaAsync"/>).
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

        if (FindBinaries() is not { } bin)
        {
            return new PostgresServer(null,
                $"no PostgreSQL server binaries (initdb, pg_ctl) were found; install Debian's postgresql package or set {Variable}");
        }

        var asRoot = Environment.UserName == "root";
        if (asRoot && !await SucceedsAsync("id", ["-u", "postgres"]))
        {
            return new PostgresServer(null, "running as root, and there is no postgres user to run the server as");
        }

        var folder = Directory.CreateTempSubdirectory("marconi-pg-").FullName;
        var data = Path.Combine(folder, "data");
        if (asRoot)
        {
            await RunAsync("chown", ["postgres", folder], asRoot: false);
        }

        await RunAsync(Path.Combine(bin, "initdb"),
            ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], asRoot);
        // fsync off only here: these tests check what a driver does, not what survives a power cut.
        var options = string.Join(' ',
            "-c listen_addresses=''", $"-c unix_socket_directories={folder}", "-c fsync=off", "-c full_page_writes=off",
            "-c max_connections=400");
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(folder, "log"), "-w", "-o", options, "start"], asRoot);
        StopWhenThisProcessEnds(Path.Combine(bin, "pg_ctl"), data, folder, asRoot);

        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = folder,
            Username = "postgres",
            Database = "postgres",
        };
        return new PostgresServer(connection.ToString(), null);
    }

    /// <summary>
    /// Starts a small shell that waits for the test process to end, however it ends (a test host can
    /// be killed without running exit handlers), then stops the cluster and removes its folder.
    /// </summary>
    private static void StopWhenThisProcessEnds(string pgCtl, string data, string folder, bool asRoot)
    {
        var stop = asRoot ? $"runuser -u postgres -- '{pgCtl}'" : $"'{pgCtl}'";
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 0.2; done; " +
            $"{stop} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{folder}'";
        // Its own pipes, never read: inheriting the test host's output would keep `dotnet test` waiting for it.
        Process.Start(new ProcessStartInfo("sh", ["-c", script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
    }

    /// <summary>The folder of initdb: from pg_config, else Debian's versioned folders, the newest first.</summary>
    private static string? FindBinaries()
    {
        var candidates = new List<string>();
        try
        {
            using var pgConfig = Process.Start(new ProcessStartInfo("pg_config", ["--bindir"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = pgConfig.StandardOutput.ReadToEnd().Trim();
            pgConfig.WaitForExit();
            if (pgConfig.ExitCode == 0)
            {
                candidates.Add(output);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no pg_config on the PATH
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var version) ? version : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static async Task<bool> SucceedsAsync(string program, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await process.WaitForExitAsync();
        return process.ExitCode == 0;
    }

    /// <summary>Runs a server command to its end (as the postgres user when <paramref name="asRoot"/>); a failure says what it printed.</summary>
    private static async Task RunAsync(string program, string[] arguments, bool asRoot)
    {
        var start = asRoot
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. arguments])
            : new ProcessStartInfo(program, arguments);
        // pg_ctl starts the server with its output sent to the log file, so these pipes close with pg_ctl.
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {await errors}{await output}");
        }
    }
}
