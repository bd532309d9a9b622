using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Marconi.Tests.Support;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>The SQS endpoint's settings at the host's start: a bad one stops the host with one line naming the key.</summary>
public sealed class SqsHostConfigurationTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData("--Marconi:Transports:Sqs:Url=tcp://127.0.0.1:9324", "Marconi:Transports:Sqs:Url")]
    [InlineData("--Marconi:Transports:Sqs:Enabled=perhaps", "Marconi:Transports:Sqs:Enabled")]
    [InlineData("--Marconi:Transports:Sqs:MaxRequestBytes=0", "Marconi:Transports:Sqs:MaxRequestBytes")]
    [InlineData("--Marconi:Transports:Sqs:MaxRequestBytesInFlight=1000", "Marconi:Transports:Sqs:MaxRequestBytesInFlight")]
    [InlineData("--Marconi:Transports:Sqs:Region=us east", "Marconi:Transports:Sqs:Region")]
    [InlineData("--Marconi:Transports:Sqs:Url=http://0.0.0.0:0", "Marconi:Transports:Sqs:Url")]
    public async Task InvalidSqsSettingsStopTheHostNamingTheKey(string argument, string key)
    {
        await using var host = HostProcess.Start(_database.Path, ["--Marconi:Transports:Sqs:Enabled=true", argument]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain(key);
    }

    [Fact]
    public async Task APortInUseStopsTheHostNamingTheKey()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var host = HostProcess.Start(_database.Path,
            ["--Marconi:Transports:Sqs:Enabled=true", $"--Marconi:Transports:Sqs:Url=http://127.0.0.1:{port}"]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain("Marconi:Transports:Sqs:Url");
    }

    [Fact]
    public async Task TheSqsEndpointAloneIsATransport()
    {
        await using var host = HostProcess.Start(_database.Path,
            ["--Marconi:Transports:Http:Enabled=false", "--Marconi:Transports:Sqs:Enabled=true", "--Marconi:Transports:Sqs:Url=http://127.0.0.1:0"]);
        var started = await host.WaitForOutputAsync(@"serving on SQS (http://127\.0\.0\.1:\d+)");
        using var http = new HttpClient();
        using var answer = await http.PostAsync(started.Groups[1].Value, new FormUrlEncodedContent([new("Action", "ListQueues")]));
        ((int)answer.StatusCode).Should().Be(403, "without a signature no project is named");
        (await answer.Content.ReadAsStringAsync()).Should().Contain("<Code>MissingAuthenticationToken</Code>");
    }
}
