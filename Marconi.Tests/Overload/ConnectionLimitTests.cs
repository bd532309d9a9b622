using System.Net.Sockets;
using System.Text;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Hosting;

namespace Marconi.Tests.Overload;

/// <summary>The real host holding at most two connections.</summary>
public sealed class TwoConnectionsFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Transports:Http:MaxConnections", "2");
    }
}

/// <summary>
/// <c>MaxConnections</c> bounds what a flood of connections can cost: past it a new connection is
/// closed unanswered, the ones held are served, and once they close new ones are served again.
/// </summary>
public sealed class ConnectionLimitTests(TwoConnectionsFactory factory) : IClassFixture<TwoConnectionsFactory>
{
    [Fact]
    public async Task AConnectionPastTheLimitIsClosedAndTheHeldOnesAreServed()
    {
        var address = factory.ServerAddress;
        using var first = await ConnectAsync(address);
        using var second = await ConnectAsync(address);
        (await HealthAsync(first)).Should().StartWith("HTTP/1.1 204");
        (await HealthAsync(second)).Should().StartWith("HTTP/1.1 204");

        using (var third = await ConnectAsync(address))
        {
            (await HealthAsync(third)).Should().BeEmpty("a connection past the limit is closed without an answer");
        }

        (await HealthAsync(first)).Should().StartWith("HTTP/1.1 204", "the held connections are still served");
        first.Close();
        second.Close();

        // Kestrel counts a connection as gone once it has seen it close; that takes a moment, so try a few times.
        var answer = "";
        for (var attempt = 0; attempt < 50 && answer.Length == 0; attempt++)
        {
            using var next = await ConnectAsync(address);
            answer = await HealthAsync(next);
        }

        answer.Should().StartWith("HTTP/1.1 204");
    }

    private static async Task<TcpClient> ConnectAsync(Uri address)
    {
        var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port);
        return client;
    }

    /// <summary>Sends one health request on the connection; what came back, or "" if the server closed it.</summary>
    private static async Task<string> HealthAsync(TcpClient client)
    {
        var stream = client.GetStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /v1/health HTTP/1.1\r\nHost: marconi\r\n\r\n"), timeout.Token);
            var buffer = new byte[512];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
