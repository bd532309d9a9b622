using System.Text.RegularExpressions;
using Marconi.Host.Cli;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>The server's start-up line, from a real process with both transports.</summary>
public sealed class StartUpLineTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task ItGivesVersionEveryBoundEndpointTheStoreAndItsDurability()
    {
        await using var host = HostProcess.Start(_database.Path,
            ["--Marconi:Transports:Zmq:Enabled=true", "--Marconi:Transports:Zmq:Endpoint=tcp://127.0.0.1:*", "--Marconi:Storage:Sqlite:Synchronous=Normal"]);
        var line = await host.WaitForOutputAsync(@"Marconi (\S+) serving on (\S+), (\S+); store (\S+) \(Synchronous=(\w+)\)");
        line.Groups[1].Value.Should().Be(MarconiCommandLine.Version);
        line.Groups[2].Value.Should().Be(host.BaseAddress.ToString().TrimEnd('/'));
        line.Groups[3].Value.Should().MatchRegex(@"^tcp://127\.0\.0\.1:\d+$", "the bound port, not the configured *");
        line.Groups[4].Value.Should().Be(_database.Path);
        Path.IsPathRooted(line.Groups[4].Value).Should().BeTrue();
        line.Groups[5].Value.Should().Be("Normal");
        Regex.Matches(host.Output, "serving on").Should().ContainSingle();
    }
}
