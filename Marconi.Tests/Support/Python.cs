using System.Diagnostics;

namespace Marconi.Tests.Support;

/// <summary>Finds a Python interpreter that has a given module (Debian's packages install into /usr/bin/python3).</summary>
public static class Python
{
    public static string? With(string module)
    {
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                using var probe = Process.Start(new ProcessStartInfo(candidate, ["-c", $"import {module}"])
                {
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                })!;
                probe.WaitForExit();
                if (probe.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed
            }
        }

        return null;
    }

    /// <summary>Runs a script file with arguments and returns its standard output; a failure fails the test.</summary>
    public static Task<string> RunAsync(string python, string script, params string[] arguments) =>
        RunProgramAsync(python, [script, .. arguments]);

    /// <summary>
    /// Runs a program to its end and returns its standard output; a non-zero exit fails the test.
    /// With <paramref name="expectSuccess"/> false it is a zero exit that fails, and standard error is returned.
    /// </summary>
    public static async Task<string> RunProgramAsync(
        string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, bool expectSuccess = true)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (!expectSuccess)
        {
            process.ExitCode.Should().NotBe(0, await stdout);
            return (await stderr).Replace("\r", "");
        }

        process.ExitCode.Should().Be(0, await stdout + await stderr);
        return (await stdout).Replace("\r", "");
    }
}
