using System.Diagnostics;

namespace Marconi.Tests.Sqs;

/// <summary>
/// Runs an AWS client (the CLI, boto3, an SDK program) as a process of its own with none of the
/// machine's AWS settings: inherited <c>AWS_*</c> variables are dropped, the config and credentials
/// files are ones that do not exist, and instance metadata is never asked, so a client reads only
/// what the test gives it.
/// </summary>
internal static class AwsClientProcess
{
    /// <summary>
    /// Runs <paramref name="program"/> in <paramref name="folder"/> to its end and returns its standard
    /// output; a non-zero exit fails the test. With <paramref name="homeInFolder"/> HOME is the folder too
    /// (not for <c>dotnet</c>, whose package cache is under HOME).
    /// </summary>
    public static async Task<string> RunAsync(
        string program, IEnumerable<string> arguments, string folder, IDictionary<string, string>? environment = null, bool homeInFolder = true)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["AWS_CONFIG_FILE"] = Path.Combine(folder, "no-aws-config");
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(folder, "no-aws-credentials");
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        if (homeInFolder)
        {
            start.Environment["HOME"] = folder;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not end in time:\n{await stdout}{await stderr}");
        }

        process.ExitCode.Should().Be(0, await stdout + await stderr);
        return (await stdout).Replace("\r", "");
    }
}
