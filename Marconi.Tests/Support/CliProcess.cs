using System.Diagnostics;

namespace Marconi.Tests.Support;

/// <summary>
/// The built <c>marconi</c> binary run once as a client, as a person or a script runs it: its own
/// process, its exit code, stdout and stderr. No <c>MARCONI_*</c> variable is inherited unless given.
/// </summary>
public static class CliProcess
{
    public sealed record Result(int Code, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "marconi.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in new[] { "MARCONI_URL", "MARCONI_PROJECT", "MARCONI_TOKEN" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"marconi {string.Join(' ', start.ArgumentList.Skip(1))} did not end in time");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
