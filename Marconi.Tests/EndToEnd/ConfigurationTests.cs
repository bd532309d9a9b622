using System.Net;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>Invalid configuration stops the host at start with a message naming the key.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData("--Marconi:Storage:Driver=mongodb", "Marconi:Storage:Driver")]
    [InlineData("--Marconi:Limits:MaxMessagesPerPage=0", "Marconi:Limits:MaxMessagesPerPage")]
    [InlineData("--Marconi:Limits:DefaultMessagesPerClaim=21", "Marconi:Limits:DefaultMessagesPerClaim")]
    [InlineData("--Marconi:Limits:MaxClaimTtl=59", "Marconi:Limits:MaxClaimTtl")]
    [InlineData("--Marconi:Transports:Pigeon:Enabled=true", "Marconi:Transports:Pigeon")]
    [InlineData("--Marconi:Transports:Http:Enabled=false", "Marconi:Transports:Http:Enabled")]
    [InlineData("--Marconi:Transports:Http:Url=not a url", "Marconi:Transports:Http:Url")]
    [InlineData("--Marconi:Storage:Sqlite:Synchronous=Sometimes", "Marconi:Storage:Sqlite:Synchronous")]
    [InlineData("--Marconi:Storage:Sqlite:MaxPendingWrites=-1", "Marconi:Storage:Sqlite:MaxPendingWrites")]
    [InlineData("--Marconi:Transports:Http:MaxRequestBodyBytesInFlight=0", "Marconi:Transports:Http:MaxRequestBodyBytesInFlight")]
    [InlineData("--Marconi:Storage:Sqlite:MinFreeBytes=-1", "Marconi:Storage:Sqlite:MinFreeBytes")]
    [InlineData("--Marconi:Transports:Http:MaxConnections=-1", "Marconi:Transports:Http:MaxConnections")]
    [InlineData("--Marconi:Transports:Http:ReadinessPath=/v2/ready", "Marconi:Transports:Http:ReadinessPath")]
    [InlineData("--Marconi:Collector:IntervalSeconds=0", "Marconi:Collector:IntervalSeconds")]
    [InlineData("--Marconi:Limits:DefaultMessageTtl=59", "Marconi:Limits:DefaultMessageTtl")]
    [InlineData("--Marconi:Limits:DefaultClaimGrace=43201", "Marconi:Limits:DefaultClaimGrace")]
    [InlineData("--Marconi:Limits:ClientIdFormat=loose", "Marconi:Limits:ClientIdFormat")]
    [InlineData("--Marconi:Api:Versions:0=3", "Marconi:Api:Versions")]
    [InlineData("--Marconi:Subscriptions:SubscriberTypes:0=mailto", "Marconi:Subscriptions:SubscriberTypes")]
    [InlineData("--Marconi:Notifications:TimeoutSeconds=0", "Marconi:Notifications:TimeoutSeconds")]
    [InlineData("--Marconi:Messages:EnableChecksum=true", "Marconi:Messages:EnableChecksum")]
    [InlineData("--Marconi:Auth:Mode=ldap", "Marconi:Auth:Mode")]
    [InlineData("--Marconi:Quotas:RequestsPerSecond=0", "Marconi:Quotas:RequestsPerSecond")]
    [InlineData("--Marconi:Transports:Http:Url=http://0.0.0.0:0", "Marconi:Auth:AllowAnonymousRemote")]
    [InlineData("--Marconi:Transports:Http:Url=http://[::]:0", "Marconi:Transports:Http:Url")]
    public async Task InvalidSettingsStopTheHostNamingTheKey(string argument, string key)
    {
        await using var host = HostProcess.Start(_database.Path, [argument]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain(key);
    }

    [Fact]
    public async Task AZeroMqEndpointOnAllInterfacesIsRefusedWithoutAuthentication()
    {
        await using var host = HostProcess.Start(_database.Path,
            ["--Marconi:Transports:Zmq:Enabled=true", "--Marconi:Transports:Zmq:Endpoint=tcp://*:0"]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain("Marconi:Transports:Zmq:Endpoint").And.Contain("Marconi:Auth:Mode");
    }

    [Fact]
    public async Task AMalformedCurveKeyStopsTheHostNamingTheKey()
    {
        await using var host = HostProcess.Start(_database.Path,
            ["--Marconi:Transports:Zmq:Enabled=true", "--Marconi:Transports:Zmq:CurveSecretKey=short"]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain("Marconi:Transports:Zmq:CurveSecretKey");
    }

    [Fact]
    public async Task AnonymousRemoteAccessIsADecision()
    {
        var port = HostProcess.FreePort();
        await using var host = HostProcess.Start(_database.Path, port,
            [$"--Marconi:Transports:Http:Url=http://0.0.0.0:{port}", "--Marconi:Auth:AllowAnonymousRemote=true"]);
        await host.WaitUntilServingAsync();
    }

    [Fact]
    public async Task AServerThatRequiresKeysMayListenOnEveryInterface()
    {
        var port = HostProcess.FreePort();
        await using var host = HostProcess.Start(_database.Path, port,
            [$"--Marconi:Transports:Http:Url=http://0.0.0.0:{port}", "--Marconi:Auth:Mode=keys"]);
        await host.WaitUntilServingAsync();

        using var response = await host.Client.GetAsync("/v2/queues");
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnUnopenableDatabasePathStopsTheHostNamingTheKey()
    {
        var path = Path.Combine(Path.GetDirectoryName(_database.Path)!, "missing-folder", "x.db");
        await using var host = HostProcess.Start(path);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain("Marconi:Storage:Sqlite:Path");
    }

    [Fact]
    public async Task EnvironmentVariablesOverrideTheSettingsFile()
    {
        await using var host = HostProcess.Start(
            _database.Path, environment: new Dictionary<string, string>
            {
                ["Marconi__Limits__MaxMessagesPerPage"] = "5",
                ["Marconi__Limits__DefaultMessagesPerPage"] = "5",
            });
        await host.WaitUntilServingAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/queues/q/messages?limit=6");
        request.Headers.Add("Client-ID", Guid.NewGuid().ToString());
        using var response = await host.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("5");
    }
}
