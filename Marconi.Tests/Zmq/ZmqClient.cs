using System.Text;
using System.Text.Json;
using NetMQ;
using NetMQ.Sockets;

namespace Marconi.Tests.Zmq;

/// <summary>
/// A test client over a real NetMQ socket: REQ (one request, one reply) or DEALER (sends the empty
/// delimiter itself and may pipeline). Receives wait with a timeout, never a sleep.
/// </summary>
public sealed class ZmqClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly NetMQSocket _socket;
    private readonly bool _dealer;

    private ZmqClient(NetMQSocket socket, bool dealer, string endpoint)
    {
        _socket = socket;
        _dealer = dealer;
        _socket.Options.Linger = TimeSpan.Zero;
        _socket.Connect(endpoint);
    }

    public static ZmqClient Req(string endpoint) => new(new RequestSocket(), dealer: false, endpoint);

    public static ZmqClient Dealer(string endpoint) => new(new DealerSocket(), dealer: true, endpoint);

    /// <summary>A fresh project id for test isolation.</summary>
    public string Project { get; set; } = "project-" + Guid.NewGuid().ToString("N");

    public string ClientId { get; set; } = Guid.NewGuid().ToString();

    /// <summary>The API key sent as the <c>X-Auth-Token</c> header (null: none).</summary>
    public string? Token { get; set; }

    /// <summary>The envelope's <c>api</c>; null leaves it out (v1).</summary>
    public string? Api { get; set; }

    /// <summary>Sends an action with the client's project and Client-ID headers and returns the reply.</summary>
    public JsonElement Call(string action, object? body = null, Dictionary<string, string>? headers = null)
    {
        Send(Request(action, body, headers));
        return Receive();
    }

    /// <summary>The request envelope as JSON text.</summary>
    public string Request(string action, object? body = null, Dictionary<string, string>? headers = null)
    {
        headers ??= DefaultHeaders();
        return Api is null
            ? JsonSerializer.Serialize(new { action, headers, body = body ?? new { } })
            : JsonSerializer.Serialize(new { action, headers, body = body ?? new { }, api = Api });
    }

    /// <summary>Sends an action whose body is given as raw JSON text, and returns the reply.</summary>
    public JsonElement CallRaw(string action, string bodyJson)
    {
        var headers = JsonSerializer.Serialize(DefaultHeaders());
        var api = Api is null ? "" : $",\"api\":\"{Api}\"";
        Send($$"""{"action":"{{action}}","headers":{{headers}},"body":{{bodyJson}}{{api}}}""");
        return Receive();
    }

    private Dictionary<string, string> DefaultHeaders()
    {
        var headers = new Dictionary<string, string> { ["X-Project-ID"] = Project, ["Client-ID"] = ClientId };
        if (Token is not null)
        {
            headers["X-Auth-Token"] = Token;
        }

        return headers;
    }

    /// <summary>Sends one payload (a DEALER adds the empty delimiter frame first).</summary>
    public void Send(string payload) => Send(Encoding.UTF8.GetBytes(payload));

    public void Send(byte[] payload)
    {
        if (_dealer)
        {
            _socket.SendMoreFrameEmpty();
        }

        _socket.SendFrame(payload);
    }

    /// <summary>Sends raw frames exactly as given (DEALER only).</summary>
    public void SendFrames(params byte[][] frames)
    {
        for (var i = 0; i < frames.Length; i++)
        {
            _socket.SendFrame(frames[i], more: i < frames.Length - 1);
        }
    }

    /// <summary>Receives one reply payload as JSON.</summary>
    public JsonElement Receive()
    {
        var frames = ReceiveFrames();
        frames[^1].Should().NotBeNull();
        if (_dealer)
        {
            frames.Should().HaveCount(2).And.Subject.First().Should().BeEmpty("the delimiter comes back unchanged");
        }

        return JsonDocument.Parse(frames[^1]).RootElement.Clone();
    }

    /// <summary>Receives one reply if it comes within <paramref name="wait"/>.</summary>
    public bool TryReceive(TimeSpan wait, out JsonElement reply)
    {
        var message = new NetMQMessage();
        if (!_socket.TryReceiveMultipartMessage(wait, ref message))
        {
            reply = default;
            return false;
        }

        reply = JsonDocument.Parse(message!.Last.ToByteArray()).RootElement.Clone();
        return true;
    }

    /// <summary>Receives every frame of one reply message.</summary>
    public List<byte[]> ReceiveFrames()
    {
        var message = new NetMQMessage();
        _socket.TryReceiveMultipartMessage(Timeout, ref message).Should().BeTrue("the server replies within {0}", Timeout);
        return message!.Select(f => f.ToByteArray()).ToList();
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>Assertions on reply envelopes.</summary>
public static class ZmqReplies
{
    public static int Status(this JsonElement reply) => reply.GetProperty("headers").GetProperty("status").GetInt32();

    public static JsonElement Body(this JsonElement reply) => reply.GetProperty("body");

    public static string? Location(this JsonElement reply) =>
        reply.GetProperty("headers").TryGetProperty("location", out var l) ? l.GetString() : null;

    public static void ShouldBeError(this JsonElement reply, int status, string title)
    {
        reply.Status().Should().Be(status, reply.ToString());
        var body = reply.Body();
        body.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("title", "description");
        body.GetProperty("title").GetString().Should().Be(title, reply.ToString());
        body.GetProperty("description").GetString().Should().NotBeNullOrEmpty();
    }

    public static void ShouldBeEmpty(this JsonElement reply, int status)
    {
        reply.Status().Should().Be(status, reply.ToString());
        reply.Body().ValueKind.Should().Be(JsonValueKind.Null);
    }
}
