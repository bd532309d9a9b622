using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Marconi.Tests.Support;
using Marconi.Tests.Zmq;

namespace Marconi.Tests.EndToEnd;

/// <summary>The ZeroMQ transport in the real host process: enabled by configuration alone.</summary>
public sealed class ZmqHostTests : IDisposable
{
    private const string Listening = @"ZeroMQ transport listening on (tcp://127\.0\.0\.1:\d+)";
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task ZeroMqAloneServesWithoutAnyHttpPort()
    {
        await using var host = HostProcess.Start(_database.Path,
        [
            "--Marconi:Transports:Http:Enabled=false",
            "--Marconi:Transports:Zmq:Enabled=true",
            "--Marconi:Transports:Zmq:Endpoint=tcp://127.0.0.1:*",
        ]);
        var endpoint = (await host.WaitForOutputAsync(Listening)).Groups[1].Value;

        using var client = ZmqClient.Req(endpoint);
        client.Call("queue_create", new { queue_name = "only-zmq" }).Status().Should().Be(201);
        client.Call("check_node_health").Status().Should().Be(204);

        var http = async () => await host.Client.GetAsync("/v1/health");
        await http.Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public async Task StoppingTheHostAnswersRequestsInFlightAndExitsCleanly()
    {
        var acknowledged = new List<string>();
        string project;
        await using (var host = HostProcess.Start(_database.Path,
        [
            "--Marconi:Transports:Zmq:Enabled=true",
            "--Marconi:Transports:Zmq:Endpoint=tcp://127.0.0.1:*",
        ]))
        {
            var endpoint = (await host.WaitForOutputAsync(Listening)).Groups[1].Value;
            await host.WaitUntilServingAsync();
            using var client = ZmqClient.Dealer(endpoint);
            project = client.Project;
            client.Call("queue_create", new { queue_name = "drain" }).Status().Should().Be(201);

            for (var i = 0; i < 300; i++)
            {
                client.Send(client.Request("message_post", new { queue_name = "drain", messages = new[] { new { ttl = 600, body = i } } }));
            }

            var first = client.Receive();
            host.Terminate();
            (await host.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0, host.Output);

            // Every reply the server sent before closing arrives; each 201 names a stored message.
            foreach (var reply in new[] { first }.Concat(ReceiveUntilQuiet(client)))
            {
                if (reply.Status() == 201)
                {
                    acknowledged.Add(reply.Body().GetProperty("resources")[0].GetString()!.Split('/')[^1]);
                }
            }

            host.Output.Should().NotContain("[ERR]").And.NotContain("[FTL]");
        }

        acknowledged.Should().NotBeEmpty();
        await using var restarted = HostProcess.Start(_database.Path);
        await restarted.WaitUntilServingAsync();
        foreach (var chunk in acknowledged.Chunk(20))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/queues/drain/messages?ids={string.Join(',', chunk)}");
            request.Headers.Add("X-Project-Id", project);
            using var response = await restarted.Client.SendAsync(request);
            var found = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            found.GetArrayLength().Should().Be(chunk.Length);
        }
    }

    [Fact]
    public async Task AnEndpointInUseStopsTheHostNamingTheKey()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var host = HostProcess.Start(_database.Path,
        [
            "--Marconi:Transports:Zmq:Enabled=true",
            $"--Marconi:Transports:Zmq:Endpoint=tcp://127.0.0.1:{port}",
        ]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain("Marconi:Transports:Zmq:Endpoint");
    }

    [Theory]
    [InlineData("--Marconi:Transports:Zmq:Endpoint=http://127.0.0.1:9999", "Marconi:Transports:Zmq:Endpoint")]
    [InlineData("--Marconi:Transports:Zmq:Enabled=maybe", "Marconi:Transports:Zmq:Enabled")]
    [InlineData("--Marconi:Transports:Zmq:MaxFrameBytes=-1", "Marconi:Transports:Zmq:MaxFrameBytes")]
    public async Task InvalidZeroMqSettingsStopTheHostNamingTheKey(string argument, string key)
    {
        await using var host = HostProcess.Start(_database.Path, ["--Marconi:Transports:Zmq:Enabled=true", argument]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain(key);
    }

    private static IEnumerable<JsonElement> ReceiveUntilQuiet(ZmqClient client)
    {
        while (client.TryReceive(TimeSpan.FromSeconds(2), out var reply))
        {
            yield return reply;
        }
    }
}
