using System.Net;
using Marconi.Core;
using Marconi.Transport.Zmq;
using Marconi.Tests.Zmq;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace Marconi.Tests.Http;

/// <summary>Both transports over a store that fails, with the default request level (Debug).</summary>
public sealed class FaultyStorageZmqFactory : FaultyStorageFactory
{
    public string ZmqEndpoint
    {
        get
        {
            _ = ServerAddress;
            return Services.GetRequiredService<ZmqServer>().BoundEndpoint!;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Transports:Zmq:Enabled", "true");
        builder.UseSetting("Marconi:Transports:Zmq:Endpoint", "tcp://127.0.0.1:*");
    }
}

/// <summary>
/// A request answered 500 or above is logged at Warning whatever Marconi:Logging:RequestLevel says
/// (Debug here), over HTTP and ZeroMQ alike; the storage failure itself is what makes it fail.
/// </summary>
public sealed class FailedRequestLogTests(FaultyStorageZmqFactory factory) : IClassFixture<FaultyStorageZmqFactory>
{
    [Fact]
    public async Task AnHttpRequestAnswered503IsLoggedAtWarning()
    {
        factory.Failure = () => Errors.StorageUnavailable("Reading the queue");
        using var client = factory.CreateV1Client();
        var path = $"/v1/queues/{V1Client.NewQueueName()}/stats";
        (await client.GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);

        var logged = await factory.Logs.WaitForRequestAsync(path);
        logged.Level.Should().Be(LogEventLevel.Warning);
        logged.Properties["StatusCode"].ToString().Should().Be("503");
        logged.Properties["Transport"].ToString().Should().Be("\"http\"");
    }

    [Fact]
    public async Task AZeroMqRequestAnswered503IsLoggedAtWarningAndOneAnswered400AtDebug()
    {
        factory.Failure = () => Errors.StorageUnavailable("Reading the queue");
        var queue = V1Client.NewQueueName();
        using var zmq = ZmqClient.Req(factory.ZmqEndpoint);
        zmq.Call("queue_get_stats", new { queue_name = queue }).Status().Should().Be(503);
        zmq.Call("no_such_action").Status().Should().Be(400);

        var lines = await WaitForZmqLinesAsync(zmq.Project, 2);
        var failed = lines.Should().ContainSingle(e => e.Properties["StatusCode"].ToString() == "503").Subject;
        failed.Level.Should().Be(LogEventLevel.Warning);
        failed.Properties["Queue"].ToString().Should().Be($"\"{queue}\"");
        failed.Properties["Operation"].ToString().Should().Be("\"queue_get_stats\"");
        lines.Should().ContainSingle(e => e.Properties["StatusCode"].ToString() == "400").Which.Level.Should().Be(LogEventLevel.Debug);
    }

    private async Task<List<LogEvent>> WaitForZmqLinesAsync(string project, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var lines = factory.Logs.Events.Where(e =>
                    e.Properties.TryGetValue("Transport", out var t) && t.ToString() == "\"zmq\""
                    && e.Properties.TryGetValue("Project", out var p) && p.ToString() == $"\"{project}\"")
                .ToList();
            if (lines.Count >= count || DateTime.UtcNow > deadline)
            {
                return lines;
            }

            await Task.Delay(20);
        }
    }
}
