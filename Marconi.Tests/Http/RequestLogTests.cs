using System.Net;
using Serilog.Events;

namespace Marconi.Tests.Http;

/// <summary>
/// One structured log line per request: Debug below 500 (the factory turns it on, as an operator
/// would), Warning for failures.
/// </summary>
public sealed class RequestLogTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task EachRequestIsLoggedOnceWithMethodPathOperationQueueStatusElapsedAndProject()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var path = $"/v1/queues/{queue}/stats";
        (await client.GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var logged = await factory.Logs.WaitForRequestAsync(path);
        logged.Level.Should().Be(LogEventLevel.Debug);
        Scalar(logged, "RequestMethod").Should().Be("GET");
        Scalar(logged, "StatusCode").Should().Be(404);
        Scalar(logged, "Transport").Should().Be("http");
        Scalar(logged, "Version").Should().Be("v1");
        Scalar(logged, "Operation").Should().Be("queue_get_stats");
        Scalar(logged, "Queue").Should().Be(queue);
        Scalar(logged, "Route").Should().Be("/v1/queues/{queue_name}/stats");
        Scalar(logged, "Project").Should().Be(client.Project);
        Scalar(logged, "Elapsed").Should().BeOfType<double>().Which.Should().BeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public async Task RequestsOutsideAnyRouteAreLoggedToo()
    {
        using var client = factory.CreateV1Client();
        client.Project = null;
        var path = $"/v1/{Guid.NewGuid():N}";
        (await client.GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var logged = await factory.Logs.WaitForRequestAsync(path);
        Scalar(logged, "StatusCode").Should().Be(404);
        Scalar(logged, "Project").Should().Be("(default)");
    }

    private static object? Scalar(LogEvent logEvent, string name) =>
        logEvent.Properties[name].Should().BeOfType<ScalarValue>().Subject.Value;
}
