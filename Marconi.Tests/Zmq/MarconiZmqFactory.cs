using Marconi.Tests.Http;
using Marconi.Transport.Zmq;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Zmq;

/// <summary>The real host with both transports: HTTP on Kestrel and ZeroMQ on a free loopback port.</summary>
public class MarconiZmqFactory : MarconiHttpFactoryBase
{
    /// <summary>The endpoint the ROUTER socket bound (the server is started on first use).</summary>
    public string ZmqEndpoint
    {
        get
        {
            _ = ServerAddress;
            return Services.GetRequiredService<ZmqServer>().BoundEndpoint!;
        }
    }

    public ZmqClient CreateReqClient() => ZmqClient.Req(ZmqEndpoint);

    public ZmqClient CreateDealerClient() => ZmqClient.Dealer(ZmqEndpoint);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Transports:Zmq:Enabled", "true");
        builder.UseSetting("Marconi:Transports:Zmq:Endpoint", "tcp://127.0.0.1:*");
    }
}
