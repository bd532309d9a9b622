using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Marconi.Tests.Support;

/// <summary>
/// A program run as its own process with its output captured, for binaries that are not run through
/// <c>dotnet</c> (the published single file) and for shell lines of the README.
/// </summary>
public sealed class FileProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private FileProcess(Process process) => _process = process;

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    public string Output => Stdout + Stderr;

    public int ExitCode => _process.ExitCode;

    public static FileProcess Start(string program, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in new[] { "MARCONI_URL", "MARCONI_PROJECT", "MARCONI_TOKEN" })
        {
            start.Environment.Remove(name);
        }

        var process = new Process { StartInfo = start };
        var started = new FileProcess(process);
        process.OutputDataReceived += (_, e) => Append(started._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(started._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Runs a bash script to its end in <paramref name="workingDirectory"/>.</summary>
    public static Task<FileProcess> BashAsync(string script, string workingDirectory, TimeSpan timeout) =>
        RunAsync("bash", ["-euo", "pipefail", "-c", script], workingDirectory, timeout);

    public static async Task<FileProcess> RunAsync(string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan? timeout = null)
    {
        var run = Start(program, arguments, workingDirectory);
        await run.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return run;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{_process.StartInfo.FileName} did not end in time:\n{Output}");
        }

        // The asynchronous readers may still hold the last lines: this wait returns once they are drained.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits until the output matches <paramref name="pattern"/>; fails at once if the process ends first.</summary>
    public async Task<Match> WaitForOutputAsync(string pattern, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            var match = Regex.Match(Output, pattern);
            if (match.Success)
            {
                return match;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The process exited with {_process.ExitCode} before printing /{pattern}/:\n{Output}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The process never printed /{pattern}/:\n{Output}");
    }

    /// <summary>Asks the process to stop (SIGTERM) and waits for it.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Read(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
