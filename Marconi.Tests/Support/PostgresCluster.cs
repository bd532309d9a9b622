using System.Diagnostics;
using Npgsql;

namespace Marconi.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL cluster started from the installed server binaries in a temporary folder,
/// reached through a Unix socket in that folder (so no TCP port is guessed), and stopped when this
/// process exits however it ends, or earlier by <see cref="DisposeAsync"/>. As root it runs as the
/// <c>postgres</c> user, since the server refuses to run as root. Compiled into the tests and, as a
/// linked file, into Marconi.Bench: the tests run it with fsync off, the bench with fsync on.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _pgCtl;
    private readonly string _data;
    private readonly string _folder;
    private readonly bool _asRoot;

    private PostgresCluster(string pgCtl, string data, string folder, bool asRoot, string connectionString, string settings)
    {
        _pgCtl = pgCtl;
        _data = data;
        _folder = folder;
        _asRoot = asRoot;
        ConnectionString = connectionString;
        Settings = settings;
    }

    /// <summary>The connection string to the cluster's <c>postgres</c> database.</summary>
    public string ConnectionString { get; }

    /// <summary>The server settings it was started with (<c>-c name=value</c>, the socket's folder left out).</summary>
    public string Settings { get; }

    /// <summary>
    /// Starts a cluster, or says why it cannot: no server binaries, or root without a postgres user.
    /// Off, <paramref name="fsync"/> also turns full-page writes off: for checks of what a driver
    /// does, not of what survives a power cut.
    /// </summary>
    public static async Task<(PostgresCluster? Cluster, string? Unavailable)> TryStartAsync(bool fsync, int maxConnections = 400)
    {
        if (FindBinaries() is not { } bin)
        {
            return (null, "no PostgreSQL server binaries (initdb, pg_ctl) were found; install Debian's postgresql package");
        }

        var asRoot = Environment.UserName == "root";
        if (asRoot && !await SucceedsAsync("id", ["-u", "postgres"]))
        {
            return (null, "running as root, and there is no postgres user to run the server as");
        }

        var folder = Directory.CreateTempSubdirectory("marconi-pg-").FullName;
        var data = Path.Combine(folder, "data");
        if (asRoot)
        {
            await RunAsync("chown", ["postgres", folder], asRoot: false);
        }

        await RunAsync(Path.Combine(bin, "initdb"),
            ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], asRoot);
        string[] durability = fsync
            ? ["-c fsync=on", "-c full_page_writes=on", "-c synchronous_commit=on"]
            : ["-c fsync=off", "-c full_page_writes=off"];
        var settings = string.Join(' ', [.. durability, $"-c max_connections={maxConnections}"]);
        var pgCtl = Path.Combine(bin, "pg_ctl");
        await RunAsync(pgCtl,
            ["-D", data, "-l", Path.Combine(folder, "log"), "-w", "-o", $"-c listen_addresses='' -c unix_socket_directories={folder} {settings}", "start"],
            asRoot);
        StopWhenThisProcessEnds(pgCtl, data, folder, asRoot);

        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = folder,
            Username = "postgres",
            Database = "postgres",
        };
        return (new PostgresCluster(pgCtl, data, folder, asRoot, connection.ToString(), settings), null);
    }

    /// <summary>The server's version, as <c>SHOW server_version</c> gives it.</summary>
    public async Task<string> VersionAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW server_version", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Stops the cluster now and removes its folder (the watchdog then finds nothing left to do).</summary>
    public async ValueTask DisposeAsync()
    {
        await RunAsync(_pgCtl, ["-D", _data, "-m", "fast", "-w", "stop"], _asRoot);
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>
    /// Starts a small shell that waits for this process to end, however it ends (a test host can be
    /// killed without running exit handlers), then stops the cluster and removes its folder.
    /// </summary>
    private static void StopWhenThisProcessEnds(string pgCtl, string data, string folder, bool asRoot)
    {
        var stop = asRoot ? $"runuser -u postgres -- '{pgCtl}'" : $"'{pgCtl}'";
        AfterThisProcessEnds($"{stop} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{folder}'");
    }

    /// <summary>Starts a small shell that runs <paramref name="cleanup"/> (shell commands) once this process has ended, however it ends.</summary>
    internal static void AfterThisProcessEnds(string cleanup)
    {
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 0.2; done; {cleanup}";
        // Its own pipes, never read: inheriting this process's output would keep whoever reads it
        // (`dotnet test`, a shell capturing the bench's table) waiting for the shell to end.
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
