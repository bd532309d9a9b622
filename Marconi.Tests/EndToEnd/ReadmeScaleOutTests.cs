using System.Diagnostics;
using System.Text.RegularExpressions;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The README's "Scaling out" example run as written: its environment (with the test's database in
/// place of the example's), its three <c>marconi serve</c> lines (on ports the system picks) and its
/// curl calls against those hosts, printing what the README says.
/// </summary>
public sealed partial class ReadmeScaleOutTests : IAsyncLifetime
{
    private readonly PostgresSchemas _schemas = new();

    public Task InitializeAsync() => _schemas.InitializeAsync();

    public Task DisposeAsync() => _schemas.DisposeAsync();

    [SkippableFact]
    public async Task ThreeHostsServeOneQueueAsTheReadmeShows()
    {
        _schemas.SkipUnlessAvailable();
        var schema = await _schemas.CreateAsync();

        var environment = Export().Matches(Readme.Block("scale-out-env", "bash"))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        environment.Keys.Should().Equal("Marconi__Storage__Driver", "Marconi__Storage__Postgres__ConnectionString");
        environment["Marconi__Storage__Postgres__ConnectionString"] = _schemas.Server.ConnectionString!;
        environment["Marconi__Storage__Postgres__Schema"] = schema;

        var script = Readme.Block("scale-out", "bash");
        var hosts = new List<HostProcess>();
        try
        {
            foreach (var line in Readme.Block("scale-out-serve", "bash").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var serve = Serve().Match(line);
                serve.Success.Should().BeTrue(line);
                var host = await HostProcess.StartServingAsync("unused.db",
                    [serve.Groups[1].Value.Replace(serve.Groups[2].Value, "0", StringComparison.Ordinal)], environment);
                hosts.Add(host);
                script = script.Replace($"http://127.0.0.1:{serve.Groups[2].Value}", host.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal);
            }

            hosts.Should().HaveCount(3);
            script.Should().NotContain("127.0.0.1:888", "every address of the example is one of the hosts started");
            var bash = Process.Start(new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var output = await bash.StandardOutput.ReadToEndAsync();
            await bash.WaitForExitAsync();
            bash.ExitCode.Should().Be(0, await bash.StandardError.ReadToEndAsync());

            output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(Readme.PromisedOutput("scale-out"));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    [GeneratedRegex(@"^export (\w+)='?([^'\n]*)'?$", RegexOptions.Multiline)]
    private static partial Regex Export();

    [GeneratedRegex(@"^marconi serve (--Marconi:Transports:Http:Url=http://127\.0\.0\.1:(\d+)) &$")]
    private static partial Regex Serve();
}
