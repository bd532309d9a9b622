using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Marconi.Bench;

/// <summary>
/// The perf bench's own HTTP/1.1 load generator: one keep-alive socket per connection, requests
/// sent as pre-built bytes, responses read by Content-Length or chunked framing. HttpClient costs
/// the client several times what the server's own floor is, and the client shares the cores with
/// the server, so a lean client leaves the server more of the machine (like wrk, but in-process,
/// with per-request latencies and multi-step workloads such as claim-then-delete).
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(Socket socket) => _socket = socket;

    /// <summary>Latency of every answered request while <see cref="Recording"/>, in milliseconds.</summary>
    public List<double> Latencies { get; } = new(200_000);

    public bool Recording { get; set; }

    /// <summary>Counts every answered request across all connections, for the progress line.</summary>
    public static long Answered;

    /// <summary>The project every request names (<c>X-Project-Id</c>).</summary>
    public const string Project = "bench";

    public static async Task<RawHttpConnection> OpenAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawHttpConnection(socket);
    }

    /// <summary>Stops a bench whose set-up or check got an answer other than <paramref name="statuses"/>.</summary>
    public static void Expect((int Status, ReadOnlyMemory<byte> Body) response, params int[] statuses)
    {
        if (!statuses.Contains(response.Status))
        {
            throw new InvalidOperationException($"answered {response.Status}: {System.Text.Encoding.UTF8.GetString(response.Body.Span)}");
        }
    }

    public static byte[] Request(string method, string path, string? body = null, string clientId = "3381af92-2b9e-11e3-b191-71861300734c")
    {
        var bodyBytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder()
            .Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\n")
            .Append("Host: 127.0.0.1\r\n")
            .Append("Client-ID: ").Append(clientId).Append("\r\n")
            .Append("X-Project-Id: ").Append(Project).Append("\r\n");
        if (body is not null)
        {
            head.Append("Content-Type: application/json\r\n").Append("Content-Length: ").Append(bodyBytes.Length).Append("\r\n");
        }

        head.Append("\r\n");
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. bodyBytes];
    }

    /// <summary>Sends one request and reads its whole response; the body is valid until the next call.</summary>
    public async Task<(int Status, ReadOnlyMemory<byte> Body)> SendAsync(byte[] request)
    {
        var started = Stopwatch.GetTimestamp();
        await _socket.SendAsync(request, SocketFlags.None);

        // Head: status line and headers up to the blank line.
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            await FillAsync();
        }

        var head = Encoding.ASCII.GetString(_buffer, _start, headEnd);
        _start += headEnd + 4;
        var status = int.Parse(head.AsSpan(9, 3));
        var length = -1;
        var chunked = false;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line.AsSpan(15).Trim());
            }
            else if (line.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && line.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                chunked = true;
            }
        }

        ReadOnlyMemory<byte> body;
        if (chunked)
        {
            body = await ReadChunkedAsync();
        }
        else
        {
            length = Math.Max(length, 0);
            while (_end - _start < length)
            {
                await FillAsync();
            }

            body = _buffer.AsMemory(_start, length);
            _start += length;
        }

        if (Recording)
        {
            Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        Interlocked.Increment(ref Answered);
        return (status, body);
    }

    private async Task<ReadOnlyMemory<byte>> ReadChunkedAsync()
    {
        var body = new MemoryStream();
        while (true)
        {
            int lineEnd;
            while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
            {
                await FillAsync();
            }

            var size = Convert.ToInt32(Encoding.ASCII.GetString(_buffer, _start, lineEnd).Split(';')[0].Trim(), 16);
            _start += lineEnd + 2;
            while (_end - _start < size + 2)
            {
                await FillAsync();
            }

            body.Write(_buffer, _start, size);
            _start += size + 2;
            if (size == 0)
            {
                return body.GetBuffer().AsMemory(0, (int)body.Length);
            }
        }
    }

    private async Task FillAsync()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            // Keep the unread part; grow when it fills the whole buffer.
            var unread = _end - _start;
            var target = unread > _buffer.Length / 2 ? new byte[_buffer.Length * 2] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, unread);
            _buffer = target;
            _start = 0;
            _end = unread;
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
        if (read == 0)
        {
            throw new IOException("the server closed the connection");
        }

        _end += read;
    }

    public void Dispose() => _socket.Dispose();
}
