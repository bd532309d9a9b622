using System.Diagnostics;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// <c>deploy/marconi.service</c>: checked by <c>systemd-analyze verify</c> (and its offline security
/// rating) where systemd is installed. The unit names /usr/local/bin/marconi, which is not installed
/// here, so the copy checked names the host built beside the tests instead.
/// </summary>
public sealed class SystemdUnitTests
{
    private static readonly string Unit = Path.Combine(Readme.RepositoryRoot(), "deploy", "marconi.service");

    [Fact]
    public void TheUnitRunsTheServerHardenedWithItsDatabaseInTheStateDirectory()
    {
        var lines = File.ReadAllLines(Unit).Select(l => l.Trim()).ToList();
        lines.Should().Contain(
        [
            "ExecStart=/usr/local/bin/marconi serve --Marconi:Storage:Sqlite:Path=/var/lib/marconi/marconi.db",
            "DynamicUser=yes", "StateDirectory=marconi", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
        ]);
        lines.Should().NotContain(l => l.StartsWith("MemoryDenyWriteExecute=yes", StringComparison.Ordinal), "the JIT writes code");
    }

    [SkippableFact]
    public async Task SystemdAnalyzeVerifiesTheUnitAndRatesItsExposureOk()
    {
        var analyze = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        Skip.If(analyze is null, "systemd-analyze is not installed here (Debian: apt-get install systemd)");

        var folder = Directory.CreateTempSubdirectory("marconi-unit-").FullName;
        try
        {
            var host = Path.Combine(AppContext.BaseDirectory, "marconi");
            File.Exists(host).Should().BeTrue("the host's launcher is built beside the tests");
            var unit = Path.Combine(folder, "marconi.service");
            await File.WriteAllTextAsync(unit, (await File.ReadAllTextAsync(Unit)).Replace("/usr/local/bin/marconi", host, StringComparison.Ordinal));

            // The README's check, on the copy.
            Readme.Block("systemd-verify", "bash").Trim().Should().Be("systemd-analyze verify deploy/marconi.service");
            var (verify, verifyOutput) = await RunAsync(analyze!, "verify", unit);
            verify.Should().Be(0, verifyOutput);
            verifyOutput.Should().BeEmpty("verify warns about nothing");

            // 4.9 and below is systemd's "OK" band (3.2 when written); a weakened unit rates MEDIUM or worse.
            var (security, securityOutput) = await RunAsync(analyze!, "security", "--offline=true", "--threshold=49", unit);
            security.Should().Be(0, securityOutput);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        // The security table goes to stdout; verify's complaints to stderr.
        return (process.ExitCode, arguments[0] == "verify" ? (await stderr).Trim() : await stdout + await stderr);
    }
}
