using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Marconi.Transport.Zmq;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NetMQ;
using NetMQ.Sockets;

namespace Marconi.Tests.Zmq;

/// <summary>Both transports, with one ZeroMQ request in flight at a time.</summary>
public sealed class OneInFlightFactory : MarconiZmqFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Transports:Zmq:MaxInFlightRequests", "1");
    }
}

/// <summary>Both transports, with a send high-water mark of one reply per peer.</summary>
public sealed class TinySendQueueFactory : MarconiZmqFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Transports:Zmq:SendHighWatermark", "1");
    }
}

/// <summary>
/// ZeroMQ memory and work are bounded: past the in-flight cap a request is answered 503 at once (its
/// request echoed); a frame past twice the request limit gets its peer disconnected unread while the
/// server goes on; requests in flight never exceed the cap.
/// </summary>
public sealed class ZmqInFlightTests(OneInFlightFactory factory) : IClassFixture<OneInFlightFactory>
{
    [Fact]
    public void PastTheInFlightCapARequestIs503AtOnceWithItsRequestEchoed()
    {
        using var setup = factory.CreateReqClient();
        setup.Call("queue_create", new { queue_name = "held" }).Status().Should().Be(201);
        using var dealer = factory.CreateDealerClient();
        dealer.Project = setup.Project;

        string Request(string action, object body, string id) => JsonSerializer.Serialize(new
        {
            action,
            headers = new Dictionary<string, string> { ["X-Project-ID"] = setup.Project, ["Client-ID"] = setup.ClientId, ["X-Request-ID"] = id },
            body,
        });

        using var holder = new SqliteConnection($"Data Source={factory.DatabasePath};Pooling=False");
        holder.Open();
        using (var transaction = holder.BeginTransaction(deferred: false))
        {
            // The post cannot commit while the database is held, so it stays in flight; the ping after it
            // on the same connection is read after it, and finds the one slot taken.
            dealer.Send(Request("message_post", new { queue_name = "held", messages = new[] { new { ttl = 60, body = "held" } } }, "post"));
            dealer.Send(Request("queue_get_stats", new { queue_name = "held" }, "stats"));
            var refused = dealer.Receive();
            refused.ShouldBeError(503, "Service temporarily unavailable");
            refused.GetProperty("request").GetProperty("headers").GetProperty("X-Request-ID").GetString().Should().Be("stats");
            refused.GetProperty("request").GetProperty("action").GetString().Should().Be("queue_get_stats");
            transaction.Rollback();
        }

        var posted = dealer.Receive();
        posted.Status().Should().Be(201);
        posted.GetProperty("request").GetProperty("headers").GetProperty("X-Request-ID").GetString().Should().Be("post");

        // With the slot free again, the same request is served.
        setup.Call("queue_get_stats", new { queue_name = "held" }).Status().Should().Be(200);
    }

    [Fact]
    public async Task APeerDeclaringAHugeFrameIsDisconnectedUnreadAndTheServerGoesOn()
    {
        var endpoint = new Uri(factory.ZmqEndpoint.Replace("tcp://", "http://", StringComparison.Ordinal));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port);
        var stream = tcp.GetStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        // ZMTP 3.0 greeting (NULL security, not as-server), then READY as a DEALER.
        var greeting = new byte[64];
        greeting[0] = 0xFF;
        greeting[9] = 0x7F;
        greeting[10] = 3;
        Encoding.ASCII.GetBytes("NULL").CopyTo(greeting, 12);
        await stream.WriteAsync(greeting, timeout.Token);
        await stream.ReadExactlyAsync(new byte[64], timeout.Token);
        var ready = new List<byte> { 5 };
        ready.AddRange("READY"u8.ToArray());
        ready.Add((byte)"Socket-Type".Length);
        ready.AddRange("Socket-Type"u8.ToArray());
        ready.AddRange(new byte[] { 0, 0, 0, (byte)"DEALER".Length });
        ready.AddRange("DEALER"u8.ToArray());
        await stream.WriteAsync(new byte[] { 0x04, (byte)ready.Count }.Concat(ready).ToArray(), timeout.Token);

        // One long frame declaring 60 MB, of which only a few bytes follow.
        var header = new byte[9];
        header[0] = 0x02;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(1), 60L << 20);
        await stream.WriteAsync(header.Concat(new byte[1024]).ToArray(), timeout.Token);

        // The server closes the connection (reads end) instead of waiting for, and buffering, 60 MB.
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // A reset is a close too.
        }

        timeout.IsCancellationRequested.Should().BeFalse("the server should drop the peer, not wait for its 60 MB");
        using var client = factory.CreateReqClient();
        client.Call("ping_node").ShouldBeEmpty(204);
    }
}

/// <summary>
/// A reply that ZeroMQ cannot queue (the peer does not read, its send high-water mark is reached) is
/// dropped, but counted and logged: every request is accounted for as either received or dropped.
/// </summary>
public sealed class ZmqReplyDropTests(TinySendQueueFactory factory) : IClassFixture<TinySendQueueFactory>
{
    private const int Requests = 200;

    [Fact]
    public async Task RepliesToAPeerThatDoesNotReadAreCountedAndLoggedWhenDropped()
    {
        using var setup = factory.CreateReqClient();
        setup.Call("queue_create", new { queue_name = "big" }).Status().Should().Be(201);
        var posted = setup.Call("message_post", new { queue_name = "big", messages = new[] { new { ttl = 300, body = new string('x', 100_000) } } });
        posted.Status().Should().Be(201);
        var id = posted.Body().GetProperty("resources")[0].GetString()!.Split('/')[^1];
        var server = factory.Services.GetRequiredService<ZmqServer>();
        var droppedBefore = server.RepliesDropped;

        // 200 replies of 100 KB (20 MB) to a peer that queues one and does not read: far more than
        // the socket buffers hold, so most are dropped at the server's send high-water mark.
        using var dealer = new DealerSocket();
        dealer.Options.ReceiveHighWatermark = 1;
        dealer.Options.Linger = TimeSpan.Zero;
        dealer.Connect(factory.ZmqEndpoint);
        var request = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            action = "message_get",
            headers = new Dictionary<string, string> { ["X-Project-ID"] = setup.Project, ["Client-ID"] = setup.ClientId },
            body = new { queue_name = "big", message_id = id },
        }));
        for (var i = 0; i < Requests; i++)
        {
            dealer.SendMoreFrameEmpty().SendFrame(request);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.RepliesDropped == droppedBefore && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        server.RepliesDropped.Should().BeGreaterThan(droppedBefore, "a peer that does not read loses replies");

        // Now read: every request is either answered or counted as dropped, none vanishes.
        var received = 0;
        var message = new NetMQMessage();
        while (received + (server.RepliesDropped - droppedBefore) < Requests && DateTime.UtcNow < deadline)
        {
            if (dealer.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(200), ref message))
            {
                JsonDocument.Parse(message.Last.ToByteArray()).RootElement.GetProperty("headers").GetProperty("status").GetInt32().Should().Be(200);
                received++;
                message = new NetMQMessage();
            }
        }

        (received + (server.RepliesDropped - droppedBefore)).Should().Be(Requests);
        factory.Logs.Events.Should().Contain(e => e.Level == Serilog.Events.LogEventLevel.Warning
            && e.MessageTemplate.Text.Contains("replies dropped", StringComparison.Ordinal));
    }
}
