using System.Net;
using System.Text;
using System.Text.Json;
using Marconi.Tests.Auth;
using Marconi.Tests.Http;
using Marconi.Tests.Support;
using Marconi.Tests.Zmq;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Metrics;

/// <summary>
/// An OpenTelemetry meter provider listens to every meter named <c>Marconi</c> in the process, not
/// only its own host's: exact counts need no other host running, so these tests run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics (alone in the process)";
}

/// <summary>Both transports, keys required, queue depths read on every scrape.</summary>
public sealed class MetricsFactory(int topQueues = 20, bool enabled = true) : KeysFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Metrics:Enabled", enabled ? "true" : "false");
        builder.UseSetting("Marconi:Metrics:TopQueues", topQueues.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Marconi:Metrics:DepthRefreshSeconds", "0");
    }
}

/// <summary>
/// <c>/metrics</c> scraped over real HTTP from the real host after a known workload over both
/// transports, and every figure checked against the workload.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests
{
    private const string ClientId = "3381af92-2b9e-11e3-b191-71861300734c";

    [Fact]
    public async Task AScrapeWithoutAKeyCountsAKnownWorkload()
    {
        using var factory = new MetricsFactory();
        var project = "p-" + Guid.NewGuid().ToString("N")[..8];
        var token = await factory.IssueAsync(project);
        using var http = factory.CreateClient(new() { BaseAddress = factory.ServerAddress, AllowAutoRedirect = false });
        const string q = "jobs";

        (await SendAsync(http, HttpMethod.Put, $"/v2/queues/{q}", project, token)).Should().Be(HttpStatusCode.Created);
        var messages = string.Join(',', Enumerable.Range(0, 5).Select(i => $$"""{"ttl":300,"body":{{i}}}"""));
        (await SendAsync(http, HttpMethod.Post, $"/v2/queues/{q}/messages", project, token, $$"""{"messages":[{{messages}}]}"""))
            .Should().Be(HttpStatusCode.Created);
        var claim = await SendForBodyAsync(http, HttpMethod.Post, $"/v2/queues/{q}/claims?limit=3", project, token, """{"ttl":300,"grace":60}""");
        var claimed = claim.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()!).ToList();
        claimed.Should().HaveCount(3);
        foreach (var href in claimed.Take(2))
        {
            (await SendAsync(http, HttpMethod.Delete, href, project, token)).Should().Be(HttpStatusCode.NoContent);
        }

        (await SendAsync(http, HttpMethod.Get, $"/v2/queues/{q}/stats", project, "mk_0000000000000000_refused"))
            .Should().Be(HttpStatusCode.Unauthorized);

        using (var zmq = factory.CreateReqClient())
        {
            zmq.Api = "v2";
            zmq.Project = project;
            zmq.Token = token;
            zmq.Call("queue_get_stats", new { queue_name = q }).Status().Should().Be(200);
            zmq.Call("no_such_action").Status().Should().Be(400);
        }

        // No key: the scrape is outside the API and its authentication.
        var scrape = await ScrapeAsync(http);

        // Requests by transport, version, operation and status; the scrape itself is no API request.
        var http1 = new[] { ("transport", "http"), ("api_version", "v2") };
        scrape.Sum("marconi_requests_total", ("transport", "http")).Should().Be(6);
        scrape.Sum("marconi_requests_total", [.. http1, ("operation", "queue_create"), ("status", "201")]).Should().Be(1);
        scrape.Sum("marconi_requests_total", [.. http1, ("operation", "message_post"), ("status", "201")]).Should().Be(1);
        scrape.Sum("marconi_requests_total", [.. http1, ("operation", "claim_create"), ("status", "201")]).Should().Be(1);
        scrape.Sum("marconi_requests_total", [.. http1, ("operation", "message_delete"), ("status", "204")]).Should().Be(2);
        scrape.Sum("marconi_requests_total", [.. http1, ("operation", "queue_get_stats"), ("status", "401")]).Should().Be(1);
        scrape.Sum("marconi_requests_total", ("transport", "zmq"), ("api_version", "v2"), ("operation", "queue_get_stats"), ("status", "200"))
            .Should().Be(1);
        scrape.Sum("marconi_requests_total", ("transport", "zmq"), ("operation", "unknown"), ("status", "400")).Should().Be(1);
        scrape.Types["marconi_requests_total"].Should().Be("counter");

        // One latency observation per request, series by series.
        scrape.Types["marconi_request_duration_seconds"].Should().Be("histogram");
        foreach (var series in scrape.Series("marconi_requests_total"))
        {
            var labels = series.Labels.Select(l => (l.Key, l.Value)).ToArray();
            scrape.Sum("marconi_request_duration_seconds_count", labels).Should().Be(series.Value, string.Join(',', labels));
            scrape.Sum("marconi_request_duration_seconds_bucket", [.. labels, ("le", "+Inf")]).Should().Be(series.Value);
        }

        scrape.Sum("marconi_messages_posted_total").Should().Be(5);
        scrape.Sum("marconi_messages_claimed_total").Should().Be(3);
        scrape.Sum("marconi_messages_deleted_total").Should().Be(2);
        scrape.Sum("marconi_claims_created_total").Should().Be(1);
        scrape.Sum("marconi_auth_failures_total").Should().Be(1);

        // Depth: 5 posted, 3 claimed, 2 of those deleted.
        scrape.Sum("marconi_queue_messages", ("project", project), ("queue", q), ("state", "free")).Should().Be(2);
        scrape.Sum("marconi_queue_messages", ("project", project), ("queue", q), ("state", "claimed")).Should().Be(1);
        scrape.Sum("marconi_messages", ("state", "free")).Should().Be(2);
        scrape.Sum("marconi_messages", ("state", "claimed")).Should().Be(1);
        scrape.Types["marconi_queue_messages"].Should().Be("gauge");

        // The writer: every write committed in some batch (the key, the queue, the post, the claim, two deletes at least).
        var commits = scrape.Sum("marconi_writer_batch_size_count");
        commits.Should().BeGreaterThanOrEqualTo(1);
        scrape.Sum("marconi_writer_batch_size_sum").Should().BeGreaterThanOrEqualTo(6);
        scrape.Sum("marconi_writer_commit_duration_seconds_count").Should().Be(commits);
    }

    [Fact]
    public async Task QueueDepthGaugesAreBoundedToTheDeepestQueues()
    {
        using var factory = new MetricsFactory(topQueues: 3);
        var project = "p-" + Guid.NewGuid().ToString("N")[..8];
        var token = await factory.IssueAsync(project);
        using var http = factory.CreateClient(new() { BaseAddress = factory.ServerAddress });
        for (var depth = 1; depth <= 5; depth++)
        {
            var messages = string.Join(',', Enumerable.Range(0, depth).Select(i => $$"""{"ttl":300,"body":{{i}}}"""));
            (await SendAsync(http, HttpMethod.Post, $"/v2/queues/q{depth}/messages", project, token, $$"""{"messages":[{{messages}}]}"""))
                .Should().Be(HttpStatusCode.Created);
        }

        var scrape = await ScrapeAsync(http);

        var free = scrape.Series("marconi_queue_messages", ("state", "free")).ToList();
        free.Select(s => (s.Labels["queue"], s.Value)).Should().BeEquivalentTo(new[] { ("q5", 5.0), ("q4", 4.0), ("q3", 3.0) });
        scrape.Series("marconi_queue_messages", ("state", "claimed")).Should().HaveCount(3);
        scrape.Sum("marconi_messages", ("state", "free")).Should().Be(15, "the totals count every queue");
    }

    [Fact]
    public async Task TheCollectorCountsWhatExpiredAndSubscribersCountDeliveries()
    {
        using var factory = new MetricsFactory();
        var project = "p-" + Guid.NewGuid().ToString("N")[..8];
        var token = await factory.IssueAsync(project);
        using var http = factory.CreateClient(new() { BaseAddress = factory.ServerAddress });
        await using var listener = await Zaqar.WebhookListener.StartAsync();
        listener.Answer("/down", 500, 500);

        // A notification's outcome is counted after the subscriber answered: the test waits for the measurements themselves.
        var outcomes = 0;
        var allOutcomes = new TaskCompletionSource();
        using var measurements = new System.Diagnostics.Metrics.MeterListener();
        measurements.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Marconi" && instrument.Name.StartsWith("marconi.subscription.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        measurements.SetMeasurementEventCallback<long>((_, _, _, _) =>
        {
            // Two messages, two subscribers.
            if (Interlocked.Increment(ref outcomes) == 4)
            {
                allOutcomes.TrySetResult();
            }
        });
        measurements.Start();

        // No retry at all for the failing subscriber: one attempt, then it is given up on.
        const string noRetry = """{"_retry_policy": {"retries_with_no_delay": 0, "minimum_delay_retries": 0, "maximum_delay_retries": 0, "minimum_delay": 10, "maximum_delay": 20, "retry_backoff_function": "geometric"}}""";
        foreach (var (path, options) in new[] { ("/up", "{}"), ("/down", noRetry) })
        {
            (await SendAsync(http, HttpMethod.Post, "/v2/queues/hooked/subscriptions", project, token,
                $$"""{"subscriber": "{{listener.BaseUrl}}{{path}}", "options": {{options}}}""")).Should().Be(HttpStatusCode.Created);
        }

        (await SendAsync(http, HttpMethod.Post, "/v2/queues/hooked/messages", project, token, """{"messages":[{"ttl":60,"body":1},{"ttl":60,"body":2}]}"""))
            .Should().Be(HttpStatusCode.Created);
        (await SendAsync(http, HttpMethod.Post, "/v2/queues/hooked/claims?limit=1", project, token, """{"ttl":60,"grace":60}"""))
            .Should().Be(HttpStatusCode.Created);
        await allOutcomes.Task.WaitAsync(TimeSpan.FromSeconds(15));

        // What the collector runs, once everything has expired.
        factory.Clock.Advance(TimeSpan.FromHours(1));
        await factory.Services.GetRequiredService<Marconi.Core.Storage.IDataDriver>().CollectGarbageAsync(factory.Clock.GetUtcNow(), default);

        var scrape = await ScrapeAsync(http);
        scrape.Sum("marconi_subscription_deliveries_total").Should().Be(2, "two messages reached the subscriber that answers 200");
        scrape.Sum("marconi_subscription_delivery_failures_total").Should().Be(2, "the failing subscriber got one attempt per message");
        scrape.Sum("marconi_messages_expired_total").Should().Be(2);
        scrape.Sum("marconi_claims_expired_total").Should().Be(1);
        scrape.Sum("marconi_messages").Should().Be(0);
        scrape.Series("marconi_queue_messages").Should().BeEmpty("a queue holding no message has no depth series");
    }

    [Fact]
    public async Task MetricsOffServeNoScrape()
    {
        using var factory = new MetricsFactory(enabled: false);
        using var http = factory.CreateClient(new() { BaseAddress = factory.ServerAddress });

        using var response = await http.GetAsync("/metrics");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ProbesAnswerAtTheirNewAndFormerPathsWithoutAKey()
    {
        using var factory = new MetricsFactory();
        using var http = factory.CreateClient(new() { BaseAddress = factory.ServerAddress });

        foreach (var path in new[] { "/healthz", "/readyz", "/healthz/live", "/healthz/ready" })
        {
            using var response = await http.GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.OK, path);
            (await response.Content.ReadAsStringAsync()).Should().Be("Healthy");
        }
    }

    private static async Task<PrometheusText> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task<HttpStatusCode> SendAsync(
        HttpClient http, HttpMethod method, string uri, string project, string token, string? body = null)
    {
        using var response = await http.SendAsync(Request(method, uri, project, token, body));
        return response.StatusCode;
    }

    private static async Task<JsonElement> SendForBodyAsync(
        HttpClient http, HttpMethod method, string uri, string project, string token, string? body = null)
    {
        using var response = await http.SendAsync(Request(method, uri, project, token, body));
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static HttpRequestMessage Request(HttpMethod method, string uri, string project, string token, string? body)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Add("X-Project-Id", project);
        request.Headers.Add("Client-ID", ClientId);
        request.Headers.Add("X-Auth-Token", token);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }
}
