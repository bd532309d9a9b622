using Marconi.Client;
using Marconi.Tests.Support;
using NetMQ;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// CurveZMQ: with <c>Marconi:Transports:Zmq:CurveSecretKey</c> the server encrypts every ZeroMQ
/// connection; the .NET client and pyzmq talk to it with the server's public key, and a client
/// without it gets nothing.
/// </summary>
public sealed class CurveZmqTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [SkippableFact]
    public async Task ClientsWithTheServersKeyTalkOverAnEncryptedLink()
    {
        var server = new NetMQCertificate();
        await using var host = HostProcess.Start(_database.Path,
        [
            "--Marconi:Transports:Zmq:Enabled=true", "--Marconi:Transports:Zmq:Endpoint=tcp://127.0.0.1:*",
            $"--Marconi:Transports:Zmq:CurveSecretKey={server.SecretKeyZ85}",
        ]);
        var endpoint = (await host.WaitForOutputAsync(@"ZeroMQ transport listening on (tcp://127\.0\.0\.1:\d+)")).Groups[1].Value;
        host.Output.Should().Contain(server.PublicKeyZ85).And.NotContain(server.SecretKeyZ85);

        await using (var client = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = new Uri(endpoint), ProjectId = "curve", CurveServerKey = server.PublicKeyZ85,
        }))
        {
            var queue = await client.CreateQueueAsync("sealed");
            await queue.PostAsync(new { over = "curve" });
            (await queue.PopAsync(1)).Should().ContainSingle().Which.Body.GetProperty("over").GetString().Should().Be("curve");
        }

        await using (var plain = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = new Uri(endpoint), ProjectId = "curve", Timeout = TimeSpan.FromSeconds(2), MaxRetries = 0,
        }))
        {
            var refused = () => plain.CreateQueueAsync("never");
            await refused.Should().ThrowAsync<MarconiException>();
        }

        var python = Python.With("zmq");
        Skip.If(python is null, "no python3 with pyzmq here (.ci/run installs Debian's python3-zmq)");
        var folder = Directory.CreateTempSubdirectory("marconi-curve-").FullName;
        try
        {
            var script = Path.Combine(folder, "curve.py");
            await File.WriteAllTextAsync(script, """
                import json, sys, zmq
                socket = zmq.Context().socket(zmq.REQ)
                socket.curve_serverkey = sys.argv[2].encode()
                socket.curve_publickey, socket.curve_secretkey = zmq.curve_keypair()
                socket.connect(sys.argv[1])
                socket.send_string(json.dumps({"action": "queue_list", "api": "v2",
                    "headers": {"X-Project-ID": "curve", "Client-ID": "3381af92-2b9e-11e3-b191-71861300734c"}}))
                reply = json.loads(socket.recv_string())
                print(reply["headers"]["status"], [q["name"] for q in reply["body"]["queues"]])
                """);
            (await Python.RunAsync(python!, script, endpoint, server.PublicKeyZ85)).Trim().Should().Be("200 ['sealed']");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
