using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Marconi.Tests.Support;

/// <summary>
/// The real server as a child process (the built <c>marconi</c> host next to the tests), on a free
/// loopback port. Its console output is captured for assertions and diagnostics.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private HostProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; private set; }

    public HttpClient Client { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the host with extra command-line settings; does not wait for it to serve.</summary>
    public static HostProcess Start(string databasePath, IEnumerable<string>? arguments = null, IDictionary<string, string>? environment = null) =>
        Start(databasePath, FreePort(), arguments, environment);

    /// <summary>Starts the host with its HTTP API on a given loopback port; does not wait for it to serve.</summary>
    /// <param name="directory">Where marconi.dll is; the tests' own output by default.</param>
    public static HostProcess Start(
        string databasePath, int port, IEnumerable<string>? arguments = null, IDictionary<string, string>? environment = null, string? directory = null)
    {
        directory ??= AppContext.BaseDirectory;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add(Path.Combine(directory, "marconi.dll"));
        start.ArgumentList.Add($"--Marconi:Storage:Sqlite:Path={databasePath}");
        start.ArgumentList.Add($"--Marconi:Transports:Http:Url=http://127.0.0.1:{port}");
        foreach (var argument in arguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var host = new HostProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>
    /// Starts the host on a port the system picks (port 0) and waits until it serves, reading the bound
    /// address from its start-up line.
    /// </summary>
    public static async Task<HostProcess> StartServingAsync(
        string databasePath, IEnumerable<string>? arguments = null, IDictionary<string, string>? environment = null)
    {
        var host = Start(databasePath, 0, arguments, environment);
        try
        {
            var line = await host.WaitForOutputAsync(@"serving on (http://[^\s,;]+)");
            host.BaseAddress = new Uri(line.Groups[1].Value);
            host.Client.BaseAddress = host.BaseAddress;
            await host.WaitUntilServingAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until <c>GET /v1/health</c> answers 204.</summary>
    public async Task WaitUntilServingAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await Client.GetAsync("/v1/health");
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The host did not serve in time:\n{Output}");
    }

    /// <summary>Waits until the host's output matches <paramref name="pattern"/>; returns the match.</summary>
    public async Task<System.Text.RegularExpressions.Match> WaitForOutputAsync(string pattern, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            var match = System.Text.RegularExpressions.Regex.Match(Output, pattern);
            if (match.Success)
            {
                return match;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {_process.ExitCode}:\n{Output}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The host never printed /{pattern}/:\n{Output}");
    }

    /// <summary>Asks the process to stop (SIGTERM), as a service manager would.</summary>
    public void Terminate()
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to end by itself.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancellation.Token);
        return _process.ExitCode;
    }

    /// <summary>Ends the process with SIGKILL: no shutdown code runs.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>A loopback port nothing listens on (at the time of asking).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
