using System.Net;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The per-request line in the real host: off in the shipped configuration (it is Debug, the
/// configuration Information), written when the operator raises Marconi:Logging:RequestLevel.
/// </summary>
public sealed class RequestLogHostTests : IDisposable
{
    private const string ShuttingDown = "Application is shutting down";
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task TheShippedConfigurationWritesNoLinePerRequest()
    {
        var path = $"/v1/queues/log-{Guid.NewGuid():N}/stats";
        var output = await RequestThenStopAsync([], path);

        // Lines leave in order through the async sink, so the shutdown line comes after any line of the request.
        output.Should().Contain(ShuttingDown).And.NotContain(path);
    }

    [Fact]
    public async Task RequestLevelInformationWritesOneLinePerRequest()
    {
        var path = $"/v1/queues/log-{Guid.NewGuid():N}/stats";
        var output = await RequestThenStopAsync(["--Marconi:Logging:RequestLevel=Information"], path);

        output.Should().Contain(ShuttingDown).And.Contain($"HTTP GET {path} responded 404");
    }

    /// <summary>Starts the host, asks for a missing queue's stats, stops it (SIGTERM) and returns its whole output.</summary>
    private async Task<string> RequestThenStopAsync(string[] arguments, string path)
    {
        await using var host = HostProcess.Start(_database.Path, arguments);
        await host.WaitUntilServingAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Client-ID", Guid.NewGuid().ToString());
        request.Headers.Add("X-Project-Id", "logs");
        (await host.Client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        host.Terminate();
        // Waiting for the exit also waits for the end of its redirected output.
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0);
        return host.Output;
    }
}
