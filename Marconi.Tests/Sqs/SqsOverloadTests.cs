using System.Net.Sockets;
using System.Text;
using FluentAssertions;
using Marconi.Transport.Sqs;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>An SQS host that may hold at most 1 MiB of request bodies at once.</summary>
public sealed class SmallSqsBudgetFactory : SqsFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Transports:Sqs:MaxRequestBytes", "1048576");
        builder.UseSetting("Marconi:Transports:Sqs:MaxRequestBytesInFlight", "1048576");
    }
}

/// <summary>Request bodies held at once are bounded: past the budget a request is 503 in SQS's shape, and the budget comes back.</summary>
public sealed class SqsOverloadTests(SmallSqsBudgetFactory factory) : IClassFixture<SmallSqsBudgetFactory>
{
    private async Task<NetworkStream> StartAsync(TcpClient socket, int length)
    {
        await socket.ConnectAsync(factory.SqsAddress.Host, factory.SqsAddress.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST / HTTP/1.1\r\nHost: {factory.SqsAddress.Authority}\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n" +
            $"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {length}\r\n\r\n"));
        return stream;
    }

    [Fact]
    public async Task ABodyPastTheBudgetIsRefusedWith503AndTheBudgetComesBack()
    {
        var endpoint = factory.Services.GetRequiredService<SqsEndpoint>();
        using var slow = new TcpClient();
        var held = await StartAsync(slow, 1_000_000);
        await held.WriteAsync(new byte[800_000]);
        // The first body is being read once the endpoint holds most of it.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (endpoint.BytesInFlight < 700_000 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        endpoint.BytesInFlight.Should().BeGreaterThanOrEqualTo(700_000);
        using var second = new TcpClient();
        var refused = await StartAsync(second, 400_000);
        await refused.WriteAsync(new byte[400_000]);
        var answer = await new StreamReader(refused).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        answer.Should().Be("HTTP/1.1 503 Service Unavailable");

        slow.Close();
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (endpoint.BytesInFlight != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        endpoint.BytesInFlight.Should().Be(0, "a refused or abandoned body gives its bytes back");
    }
}
