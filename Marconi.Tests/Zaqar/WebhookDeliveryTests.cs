using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Zaqar;

/// <summary>
/// A webhook subscriber on 127.0.0.1: a real Kestrel app that records every POST it gets and
/// answers each path with the statuses a test lines up (200 once they run out).
/// </summary>
public sealed class WebhookListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<Delivery> _received = Channel.CreateUnbounded<Delivery>();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentQueue<int>> _statuses = new();

    public sealed record Delivery(string Path, string Body, IReadOnlyDictionary<string, string> Headers, int AnsweredWith);

    private WebhookListener(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public static async Task<WebhookListener> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var listener = new WebhookListener(builder.Build());
        listener._app.MapPost("/{**path}", listener.ReceiveAsync);
        await listener._app.StartAsync();
        listener.BaseUrl = listener._app.Services.GetRequiredService<IServer>().Features
            .GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return listener;
    }

    /// <summary>The next requests to <paramref name="path"/> are answered with these statuses, in order.</summary>
    public void Answer(string path, params int[] statuses)
    {
        var queue = _statuses.GetOrAdd(path, _ => new());
        foreach (var status in statuses)
        {
            queue.Enqueue(status);
        }
    }

    /// <summary>The next delivery, waiting for it (bounded, so a missing delivery fails the test).</summary>
    public async Task<Delivery> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await _received.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>A delivery that has already arrived, if any.</summary>
    public bool TryTake(out Delivery? delivery) => _received.Reader.TryRead(out delivery);

    private async Task<IResult> ReceiveAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var path = request.Path.Value!;
        var status = _statuses.TryGetValue(path, out var queue) && queue.TryDequeue(out var next) ? next : 200;
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        await _received.Writer.WriteAsync(new Delivery(path, body, headers, status));
        return Results.StatusCode(status);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>v2 contract 10.3 and 10.5: posted messages reach webhook subscribers, with retries, and not after expiry.</summary>
public sealed class WebhookDeliveryTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task EachPostedMessageIsDeliveredWithThePostHeaders()
    {
        await using var listener = await WebhookListener.StartAsync();
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        (await client.PostAsync($"/v2/queues/{queue}/subscriptions",
            $$$$"""{"subscriber": "{{{{listener.BaseUrl}}}}/hook", "options": {"post_headers": {"X-Token": "s3cr3t"}}}""")).StatusCode
            .Should().Be(HttpStatusCode.Created);

        // Posted through v1: notifications follow posts in every version.
        await client.PostMessagesAsync(queue, """[{"ttl": 300, "body": {"event": "BackupStarted"}}, {"ttl": 60, "body": 2}]""");
        var deliveries = new[] { await listener.NextAsync(), await listener.NextAsync() };
        deliveries.Should().OnlyContain(d => d.Path == "/hook" && d.Headers["X-Token"] == "s3cr3t"
            && d.Headers["Content-Type"].StartsWith("application/json"));
        var documents = deliveries.Select(d => JsonDocument.Parse(d.Body).RootElement).OrderBy(d => d.GetProperty("ttl").GetInt32()).ToList();
        documents[1].Members().Should().Equal("ttl", "body", "Message_Type", "queue_name");
        documents[1].GetProperty("body").GetRawText().Should().Be("""{"event": "BackupStarted"}""");
        documents[1].GetProperty("Message_Type").GetString().Should().Be("Notification");
        documents[1].GetProperty("queue_name").GetString().Should().Be(queue);
        documents[0].GetProperty("body").GetInt32().Should().Be(2);
    }

    [Fact]
    public async Task AFailingSubscriberIsRetriedAndPostsDoNotWaitForIt()
    {
        await using var listener = await WebhookListener.StartAsync();
        listener.Answer("/flaky", 503, 500);
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostAsync($"/v2/queues/{queue}/subscriptions", $$"""{"subscriber": "{{listener.BaseUrl}}/flaky"}""");

        await client.PostV2Async("v2", queue, """[{"body": "again"}]""");
        (await listener.NextAsync()).AnsweredWith.Should().Be(503);
        (await listener.NextAsync()).AnsweredWith.Should().Be(500);
        var delivered = await listener.NextAsync();
        delivered.AnsweredWith.Should().Be(200);
        JsonDocument.Parse(delivered.Body).RootElement.GetProperty("body").GetString().Should().Be("again");
    }

    [Fact]
    public async Task PostDataWrapsTheDocument()
    {
        await using var listener = await WebhookListener.StartAsync();
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostAsync($"/v2/queues/{queue}/subscriptions",
            $$$"""{"subscriber": "{{{listener.BaseUrl}}}/wrapped", "options": {"post_data": "{\"wrapped\": \"$zaqar_message$\"}"}}""");
        await client.PostV2Async("v2", queue, """[{"body": 7}]""");
        var delivered = JsonDocument.Parse((await listener.NextAsync()).Body).RootElement;
        delivered.GetProperty("wrapped").GetProperty("body").GetInt32().Should().Be(7);
    }

    [Fact]
    public async Task ExpiredSubscriptionsAreNotNotified()
    {
        await using var listener = await WebhookListener.StartAsync();
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostAsync($"/v2/queues/{queue}/subscriptions", $$"""{"subscriber": "{{listener.BaseUrl}}/expired", "ttl": 60}""");
        factory.Clock.Advance(TimeSpan.FromSeconds(61));
        await client.PostV2Async("v2", queue, """[{"body": "nobody hears this"}]""");

        // A later post to a live subscriber: notifications are fanned out in order, so once it
        // arrives the expired subscription's turn has passed.
        var barrier = V1Client.NewQueueName();
        await client.PostAsync($"/v2/queues/{barrier}/subscriptions", $$"""{"subscriber": "{{listener.BaseUrl}}/live"}""");
        await client.PostV2Async("v2", barrier, """[{"body": "barrier"}]""");
        (await listener.NextAsync()).Path.Should().Be("/live");
        listener.TryTake(out _).Should().BeFalse();
    }
}
