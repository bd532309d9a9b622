using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using FluentAssertions;
using Marconi.Tests.Http;
using Marconi.Transport.Sqs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>An SQS host whose log events also go to a channel, so a test awaits the event it expects.</summary>
public sealed class SqsLogChannelFactory : SqsFactory
{
    public Channel<LogEvent> Events { get; } = Channel.CreateUnbounded<LogEvent>();

    protected override void ReplaceServices(IServiceCollection services) =>
        services.AddSingleton<ILogEventSink>(new ChannelSink(Events.Writer));

    private sealed class ChannelSink(ChannelWriter<LogEvent> writer) : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => writer.TryWrite(logEvent);
    }
}

/// <summary>
/// How the SQS endpoint reads request bodies: a body Kestrel itself finds bad (shorter than its
/// Content-Length when the client stops sending) is the client's fault, a 4xx in SQS's shape and
/// not a logged 500.
/// </summary>
public sealed class SqsRequestBodyTests(SqsLogChannelFactory factory) : IClassFixture<SqsLogChannelFactory>
{
    private const string Headers = "X-Amz-Target: AmazonSQS.ListQueues\r\nContent-Type: application/x-amz-json-1.0\r\n";

    /// <summary>Connects, with the host's events until now (its start-up) set aside: they are not this request's.</summary>
    private async Task<TcpClient> ConnectAsync()
    {
        var address = factory.SqsAddress;
        var socket = new TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        while (factory.Events.Reader.TryRead(out _))
        {
        }

        return socket;
    }

    private Task WriteAsync(TcpClient socket, string text) =>
        socket.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    /// <summary>Every event up to the request's own log line (it comes once the request is answered), and that line's status.</summary>
    private async Task<(int Status, List<LogEvent> Seen)> RequestLoggedAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<LogEvent>();
        while (true)
        {
            var next = await factory.Events.Reader.ReadAsync(timeout.Token);
            seen.Add(next);
            if (next.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: "Marconi.Transport.Sqs.SqsEndpoint" }
                && next.Properties.TryGetValue("StatusCode", out var status))
            {
                return ((int)((ScalarValue)status).Value!, seen);
            }
        }
    }

    [Fact]
    public async Task ABodyShorterThanItsContentLengthIsAClientError()
    {
        using var socket = await ConnectAsync();
        await WriteAsync(socket, $"POST / HTTP/1.1\r\nHost: {factory.SqsAddress.Authority}\r\n{Headers}Content-Length: 100\r\n\r\n{{\"a\":\"123\"}}");
        socket.Client.Shutdown(SocketShutdown.Send);

        // Kestrel may see the end of the body first (a bad request) or the closed connection (aborted): a 4xx either way.
        var (status, seen) = await RequestLoggedAsync();
        status.Should().BeInRange(400, 499);
        seen.Should().NotContain(e => e.Level >= LogEventLevel.Warning, "a client's truncated body is no failure of the server's");
    }

    [Fact]
    public async Task ABodyKestrelFindsMalformedIs400InSqsShape()
    {
        using var socket = await ConnectAsync();
        await WriteAsync(socket, $"POST / HTTP/1.1\r\nHost: {factory.SqsAddress.Authority}\r\n{Headers}Transfer-Encoding: chunked\r\n\r\nzz\r\n");

        var (status, seen) = await RequestLoggedAsync();
        status.Should().Be(400, string.Join("\n", seen.Select(e => e.RenderMessage() + e.Exception)));
        seen.Should().NotContain(e => e.Level >= LogEventLevel.Warning);
        var answer = await new StreamReader(socket.GetStream()).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        answer.Should().StartWith("HTTP/1.1 400 ").And.Contain("x-amzn-query-error: InvalidParameterValue;Sender")
            .And.Contain("\"__type\":\"com.amazonaws.sqs#InvalidParameterValue\"");
    }

    /// <summary>
    /// Bytes the endpoint allocates on this thread to answer a request with a body of <paramref name="length"/>
    /// bytes (a JSON request by GET: refused once read, before it is parsed; a body in memory is read synchronously).
    /// </summary>
    private long AllocatedFor(SqsEndpoint endpoint, byte[] body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers["X-Amz-Target"] = "AmazonSQS.ListQueues";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var handled = endpoint.HandleAsync(context);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        handled.IsCompletedSuccessfully.Should().BeTrue("a body in memory is read without waiting");
        context.Response.StatusCode.Should().Be(400);
        return allocated;
    }

    [Theory]
    [InlineData(10_000, 10_000)]
    [InlineData(1 << 20, 2 << 20)]
    public void ABodyOfAKnownLengthIsReadWithoutCopies(int length, int most)
    {
        var endpoint = factory.Services.GetRequiredService<SqsEndpoint>();
        var small = new byte[1];
        var body = new byte[length];
        // The first requests load what the endpoint needs; only the body's own cost is compared.
        AllocatedFor(endpoint, small);
        AllocatedFor(endpoint, body);

        var extra = AllocatedFor(endpoint, body) - AllocatedFor(endpoint, small);
        // Up to 64 KiB the body is one array of its length; past that, buffers that double up to it (not counted
        // until read, so a large declared body costs no more than has arrived, twice over).
        extra.Should().BeLessThan(most + 1_000);
        endpoint.BytesInFlight.Should().Be(0);
    }

    [Fact]
    public async Task AChunkedBodyPastTheLimitIs413()
    {
        using var socket = await ConnectAsync();
        await WriteAsync(socket, $"POST / HTTP/1.1\r\nHost: {factory.SqsAddress.Authority}\r\n{Headers}Transfer-Encoding: chunked\r\n\r\n");
        var chunk = Encoding.ASCII.GetBytes($"{1 << 20:x}\r\n{new string(' ', 1 << 20)}\r\n");
        try
        {
            // 5 MiB against the 4 MiB limit; the server may answer and close before all of it is sent.
            for (var i = 0; i < 5; i++)
            {
                await socket.GetStream().WriteAsync(chunk);
            }

            await WriteAsync(socket, "0\r\n\r\n");
        }
        catch (IOException)
        {
        }

        var (status, _) = await RequestLoggedAsync();
        status.Should().Be(413);
        endpointBytes().Should().Be(0, "a refused body gives its bytes back");

        long endpointBytes() => factory.Services.GetRequiredService<SqsEndpoint>().BytesInFlight;
    }
}
