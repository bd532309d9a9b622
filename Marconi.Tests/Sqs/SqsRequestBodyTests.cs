using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using FluentAssertions;
using Marconi.Tests.Http;
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
}
