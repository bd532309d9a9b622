using System.Net;
using System.Net.Sockets;
using System.Text;
using Marconi.Tests.Http;
using Marconi.Transport.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Overload;

/// <summary>The real host with room for 1,000 bytes of request bodies at once.</summary>
public sealed class SmallBodyBudgetFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Transports:Http:MaxRequestBodyBytesInFlight", "1000");
    }
}

/// <summary>
/// Request bodies held at once are bounded over all connections: while one client is slowly sending
/// an 800-byte body, another 800-byte body is refused with 503 and Retry-After (and not stored); once
/// the first request is answered its bytes are free again.
/// </summary>
public sealed class BodyBudgetTests(SmallBodyBudgetFactory factory) : IClassFixture<SmallBodyBudgetFactory>
{
    [Fact]
    public async Task ABodyPastTheBytesInFlightBudgetIs503UntilTheBytesAreFree()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var budget = factory.Services.GetRequiredService<RequestBodyBudget>();
        var slow = Body("slow");
        var address = factory.ServerAddress;

        using var socket = new TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        var stream = socket.GetStream();
        var head = $"POST /v1/queues/{queue}/messages HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\n" +
            $"X-Project-Id: {client.Project}\r\nClient-ID: {client.ClientId}\r\nContent-Length: {slow.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(slow.AsMemory(0, slow.Length / 2));
        await WaitUntilAsync(() => budget.InFlight >= slow.Length);

        var refused = await client.PostAsync($"/v1/queues/{queue}/messages", Encoding.UTF8.GetString(Body("refused")));
        await refused.ShouldBeErrorAsync(HttpStatusCode.ServiceUnavailable, "Service temporarily unavailable");
        refused.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));

        await stream.WriteAsync(slow.AsMemory(slow.Length / 2));
        var answer = new byte[4096];
        var read = await stream.ReadAsync(answer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Encoding.ASCII.GetString(answer, 0, read).Should().StartWith("HTTP/1.1 201");
        socket.Close();

        await WaitUntilAsync(() => budget.InFlight == 0);
        (await client.PostAsync($"/v1/queues/{queue}/messages", Encoding.UTF8.GetString(Body("after")))).StatusCode
            .Should().Be(HttpStatusCode.Created);

        var stored = await WriterAdmissionTests.StoredBodiesAsync(factory.DatabasePath);
        stored.Should().Contain(["slow", "after"]).And.NotContain("refused");
    }

    /// <summary>A one-message post of exactly 800 bytes whose body is {"tag": …}.</summary>
    private static byte[] Body(string tag)
    {
        var start = "[{\"ttl\":300,\"body\":{\"tag\":\"" + tag + "\",\"pad\":\"";
        const string End = "\"}}]";
        return Encoding.UTF8.GetBytes(start + new string('x', 800 - start.Length - End.Length) + End);
    }

    /// <summary>Waits (bounded) for a condition the server reaches on its own; no event announces it.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the server should get there within 10 s");
            await Task.Delay(10);
        }
    }
}
