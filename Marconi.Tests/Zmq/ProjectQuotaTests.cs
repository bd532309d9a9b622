using System.Net;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Hosting;

namespace Marconi.Tests.Zmq;

/// <summary>Both transports with <c>Marconi:Quotas</c> on: three requests at once, then one a second, per project.</summary>
public sealed class QuotaFactory : MarconiZmqFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Quotas:Enabled", "true");
        builder.UseSetting("Marconi:Quotas:RequestsPerSecond", "1");
        builder.UseSetting("Marconi:Quotas:Burst", "3");
    }
}

/// <summary>
/// An optional per-project request rate: past it HTTP answers 429 with <c>Retry-After</c> and the
/// envelope carries 429; the budget is the project's, whichever transport spends it, and other
/// projects are not affected.
/// </summary>
public sealed class ProjectQuotaTests(QuotaFactory factory) : IClassFixture<QuotaFactory>
{
    [Fact]
    public async Task APastItsQuotaProjectIsToldWhenToRetryAndOthersAreNot()
    {
        using var http = factory.CreateV1Client();
        using var zmq = factory.CreateReqClient();
        zmq.Project = http.Project!;
        zmq.ClientId = http.ClientId!;

        // The bucket refills once a second, so keep asking until it is empty (a few requests).
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 50 && refused is null; i++)
        {
            var response = await http.GetAsync("/v2/queues/q/stats");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
        }

        refused.Should().NotBeNull("a burst of 3 and 1 a second run out within 50 quick requests");
        await refused!.ShouldBeErrorAsync(HttpStatusCode.TooManyRequests, "Too many requests");
        refused.Headers.RetryAfter!.Delta.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));

        var zmqRefused = Enumerable.Range(0, 50).Select(_ => zmq.Call("queue_get_stats", new { queue_name = "q" }))
            .FirstOrDefault(reply => reply.Status() == 429);
        zmqRefused.ValueKind.Should().NotBe(System.Text.Json.JsonValueKind.Undefined, "ZeroMQ spends the same budget");
        zmqRefused.ShouldBeError(429, "Too many requests");

        using var other = factory.CreateV1Client();
        (await other.GetAsync("/v2/queues/q/stats")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
