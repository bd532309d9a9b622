using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Marconi.Client;
using Marconi.Tests.Support;
using NetMQ;
using NetMQ.Sockets;

namespace Marconi.Tests.Client;

/// <summary>
/// The client's retries against the real host process: a server that comes up late is waited for,
/// a server that never comes gives up after the bounded retries, and a request that may have
/// reached the server is not repeated unless it is idempotent.
/// </summary>
public sealed class ClientResilienceTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData("http")]
    [InlineData("tcp")]
    public async Task CallsSucceedOnceAServerThatWasDownComesUp(string transport)
    {
        var httpPort = HostProcess.FreePort();
        var zmqPort = HostProcess.FreePort();
        var endpoint = transport == "http" ? $"http://127.0.0.1:{httpPort}" : $"tcp://127.0.0.1:{zmqPort}";
        await using var client = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = new Uri(endpoint),
            Api = MarconiApi.V1, // these check v1's wire (paths, the default namespace)
            ProjectId = "late-server",
            MaxRetries = 30,
            RetryBaseDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromMilliseconds(500),
            Timeout = TimeSpan.FromSeconds(10),
        });

        // Both calls start while nothing listens; posting is retried only because the connection is refused.
        var create = client.CreateQueueAsync("late");
        await Task.Delay(300);
        create.IsCompleted.Should().BeFalse("nothing listens yet, so the client is still retrying");

        await using var host = HostProcess.Start(_database.Path, httpPort,
            ["--Marconi:Transports:Zmq:Enabled=true", $"--Marconi:Transports:Zmq:Endpoint=tcp://127.0.0.1:{zmqPort}"]);
        var queue = await create;
        var id = await queue.PostAsync(new { after = "restart" }, 300);

        (await queue.GetMessageAsync(id)).Body.GetProperty("after").GetString().Should().Be("restart");
        (await client.IsHealthyAsync()).Should().BeTrue();
    }

    [Theory]
    [InlineData("http")]
    [InlineData("tcp")]
    public async Task WithNoServerTheCallFailsAfterTheBoundedRetries(string transport)
    {
        var endpoint = $"{transport}://127.0.0.1:{HostProcess.FreePort()}";
        await using var client = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = new Uri(endpoint),
            Api = MarconiApi.V1, // these check v1's wire (paths, the default namespace)
            MaxRetries = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(50),
            Timeout = TimeSpan.FromSeconds(5),
        });

        var watch = Stopwatch.StartNew();
        var call = () => client.CreateQueueAsync("nowhere");
        var error = (await call.Should().ThrowAsync<MarconiConnectionException>()).Which;

        error.Status.Should().Be(0);
        error.Title.Should().Be("Connection failed");
        error.Description.Should().Contain("after 4 attempts").And.Contain(endpoint);
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "a refused connection fails each attempt at once");
        var ping = () => client.PingAsync();
        await ping.Should().ThrowAsync<MarconiConnectionException>();
    }

    [Fact]
    public async Task OverHttpAnUnansweredPostIsNotRepeatedButAnIdempotentCallIs()
    {
        // A peer that accepts connections and never answers: the request reaches it, no reply comes.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var connection = await silent.AcceptTcpClientAsync(stop.Token);
                    lock (accepted)
                    {
                        accepted.Add(connection);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using (var client = SilentServerClient($"http://127.0.0.1:{port}"))
        {
            await AssertPostIsAttemptedOnceAndCreateRetriedAsync(client);
        }

        await stop.CancelAsync();
        await accepting;
        lock (accepted)
        {
            accepted.Should().NotBeEmpty();
            accepted.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task OverZeroMqAnUnansweredPostIsNotRepeatedButAnIdempotentCallIs()
    {
        using var silent = new RouterSocket();
        silent.Options.Linger = TimeSpan.Zero;
        var port = silent.BindRandomPort("tcp://127.0.0.1");

        await using var client = SilentServerClient($"tcp://127.0.0.1:{port}");
        await AssertPostIsAttemptedOnceAndCreateRetriedAsync(client);

        var received = 0;
        var message = new NetMQMessage();
        while (silent.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(200), ref message))
        {
            received++;
        }

        received.Should().Be(1 + 3, "one post, and the queue creation with its two retries");
    }

    private static MarconiClient SilentServerClient(string endpoint) => new(new MarconiClientOptions
    {
        Endpoint = new Uri(endpoint),
        Api = MarconiApi.V1, // these check v1's wire (paths, the default namespace)
        MaxRetries = 2,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        Timeout = TimeSpan.FromMilliseconds(400),
    });

    private static async Task AssertPostIsAttemptedOnceAndCreateRetriedAsync(MarconiClient client)
    {
        var post = () => client.Queue("q").PostAsync("once", 60);
        var postError = (await post.Should().ThrowAsync<MarconiConnectionException>()).Which;
        postError.Title.Should().Be("Timed out");
        postError.Description.Should().Contain("message_post").And.Contain("after 1 attempt:");

        var create = () => client.CreateQueueAsync("q");
        var createError = (await create.Should().ThrowAsync<MarconiConnectionException>()).Which;
        createError.Title.Should().Be("Timed out");
        createError.Description.Should().Contain("after 3 attempts");
    }

    [Fact]
    public async Task AZeroMqPeerThatAnswersNonsenseFailsTheCallNotTheProcess()
    {
        using var router = new RouterSocket();
        router.Bind("tcp://127.0.0.1:*");
        var endpoint = router.Options.LastEndpoint!;
        var impostor = Task.Run(() =>
        {
            // Echo the request id, so the client correlates the reply, but with a status that is no integer.
            var request = new NetMQMessage();
            router.TryReceiveMultipartMessage(TimeSpan.FromSeconds(10), ref request).Should().BeTrue();
            var payload = System.Text.Json.JsonDocument.Parse(request!.Last.ToByteArray()).RootElement;
            var id = payload.GetProperty("headers").GetProperty("X-Request-ID").GetString();
            var reply = new NetMQMessage();
            foreach (var frame in request.Take(request.FrameCount - 1))
            {
                reply.Append(frame);
            }

            reply.Append($$$"""{"request":{"headers":{"X-Request-ID":"{{{id}}}"}},"headers":{"status":1e3},"body":null}""");
            router.SendMultipartMessage(reply);
        });

        await using var client = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = new Uri(endpoint),
            Api = MarconiApi.V1, // these check v1's wire (paths, the default namespace)
            MaxRetries = 0,
            Timeout = TimeSpan.FromSeconds(5),
        });
        var call = () => client.PingAsync();
        await call.Should().ThrowAsync<MarconiConnectionException>();
        await impostor;
    }
}
