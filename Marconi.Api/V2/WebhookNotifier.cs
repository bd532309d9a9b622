using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Api.V2;

/// <summary>Section <c>Marconi:Notifications</c>: webhook delivery to subscribers (v2 contract 10.3–10.5).</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Marconi:Notifications";

    public bool Enabled { get; set; } = true;

    /// <summary>Only confirmed subscriptions are notified, and new ones are asked to confirm (10.4).</summary>
    public bool RequireConfirmation { get; set; }

    /// <summary>The public base URL of this server, for <c>WSGISubscribeURL</c> in confirmation requests.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>How long one delivery attempt may take.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Requests to subscribers in flight at once; the rest wait their turn.</summary>
    public int MaxConcurrentDeliveries { get; set; } = 32;

    /// <summary>
    /// Posts waiting to be fanned out, and deliveries pending (retries included); beyond it
    /// notifications are dropped (and logged), never the post.
    /// </summary>
    public int Backlog { get; set; } = 10000;
}

/// <summary>
/// Delivers every posted message to the live subscriptions of its queue, after the post and outside
/// it: a post only hands its messages to a bounded backlog, so a slow or dead subscriber never slows
/// or fails it. Each message is POSTed separately; a 5xx or a transport error is retried as the
/// retry policy says. Delivery is best effort and not persisted: nothing is redelivered after a
/// restart. Uses the platform's <see cref="IHttpClientFactory"/>.
/// </summary>
public sealed partial class WebhookNotifier : BackgroundService, IPostObserver
{
    public const string HttpClientName = "webhooks";

    /// <summary>Each queue's live subscriptions, read at most once a second: the fan-out runs once per post, and most queues have none.</summary>
    private readonly QueueCache<IReadOnlyList<Subscription>> _subscriptions = new();
    private readonly Channel<Job> _backlog;
    private readonly IDataDriver _driver;
    private readonly QueueOperations _queues;
    private readonly IHttpClientFactory _http;
    private readonly SignedUrls _signedUrls;
    private readonly NotificationOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<WebhookNotifier> _logger;
    private readonly MarconiMetrics _metrics;
    private readonly SemaphoreSlim _inFlight;
    private readonly SemaphoreSlim _pending;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _perSubscription = new();

    /// <summary>Most deliveries one subscription may have pending, retries included.</summary>
    private int MaxPendingPerSubscription => Math.Max(1, _options.Backlog / 10);

    public WebhookNotifier(
        IDataDriver driver, QueueOperations queues, IHttpClientFactory http, SignedUrls signedUrls,
        IOptions<NotificationOptions> options, TimeProvider clock, MarconiMetrics metrics, ILogger<WebhookNotifier> logger)
    {
        _metrics = metrics;
        _driver = driver;
        _queues = queues;
        _http = http;
        _signedUrls = signedUrls;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        _inFlight = new SemaphoreSlim(_options.MaxConcurrentDeliveries);
        _pending = new SemaphoreSlim(_options.Backlog);
        _backlog = Channel.CreateBounded<Job>(new BoundedChannelOptions(_options.Backlog)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });
    }

    private abstract record Job(QueueRef Queue);

    private sealed record PostJob(QueueRef Queue, IReadOnlyList<PostedMessage> Messages) : Job(Queue);

    private sealed record ConfirmationJob(QueueRef Queue, string SubscriptionId, bool Subscribe) : Job(Queue);

    public void Posted(QueueRef queue, IReadOnlyList<PostedMessage> messages)
    {
        if (_options.Enabled && !_backlog.Writer.TryWrite(new PostJob(queue, messages)))
        {
            LogBacklogFull(queue.Name, messages.Count);
        }
    }

    /// <summary>10.4: asks a webhook subscriber to confirm (or tells it it was unsubscribed), when confirmation is on.</summary>
    public void RequestConfirmation(QueueRef queue, string subscriptionId, bool subscribe)
    {
        if (_options.Enabled && _options.RequireConfirmation
            && !_backlog.Writer.TryWrite(new ConfirmationJob(queue, subscriptionId, subscribe)))
        {
            LogBacklogFull(queue.Name, 1);
        }
    }

    /// <summary>The queue's subscriptions changed through this process: look them up again for the next post.</summary>
    public void Forget(QueueRef queue) => _subscriptions.Forget(queue);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in _backlog.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await FanOutAsync(job, stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogFanOutFailed(exception, job.Queue.Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task FanOutAsync(Job job, CancellationToken stoppingToken)
    {
        var now = _clock.GetUtcNow();
        var subscriptions = await _subscriptions.GetAsync(
            job.Queue, () => _driver.Subscriptions.ListLiveAsync(job.Queue, now, stoppingToken));
        if (subscriptions.Count == 0)
        {
            return;
        }

        var queuePolicy = (await _queues.GetSettingsAsync(job.Queue, stoppingToken)).RetryPolicy;
        foreach (var subscription in subscriptions)
        {
            if (subscription.Expires <= now)
            {
                continue;
            }

            if (!Uri.TryCreate(subscription.Subscriber, UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https"))
            {
                continue;
            }

            switch (job)
            {
                case PostJob post when !_options.RequireConfirmation || subscription.Confirmed:
                    foreach (var message in post.Messages)
                    {
                        await StartAsync(subscription, target, queuePolicy, NotificationDocument(job.Queue, message), stoppingToken);
                    }

                    break;
                case ConfirmationJob confirmation when confirmation.SubscriptionId == subscription.Id:
                    var document = await ConfirmationDocumentAsync(job.Queue, subscription, confirmation.Subscribe, stoppingToken);
                    await StartAsync(subscription, target, queuePolicy, document, stoppingToken);
                    break;
            }
        }
    }

    /// <summary>Starts one delivery once a slot is free; it runs on its own so one subscriber never holds up another.</summary>
    private async Task StartAsync(
        Subscription subscription, Uri target, RetryPolicy? queuePolicy, string document, CancellationToken stoppingToken)
    {
        // Deliveries waiting out a retry pause count here, not against the requests in flight; and
        // one subscriber may hold only a share of them, so a dead one cannot stall everyone's.
        if (_perSubscription.AddOrUpdate(subscription.Id, 1, (_, count) => count + 1) > MaxPendingPerSubscription)
        {
            _perSubscription.AddOrUpdate(subscription.Id, 0, (_, count) => count - 1);
            LogSubscriberBacklogFull(subscription.Id, target.GetLeftPart(UriPartial.Path));
            _metrics.DeliveryFailed();
            return;
        }

        await _pending.WaitAsync(stoppingToken);
        _ = Task.Run(async () =>
        {
            try
            {
                await DeliverAsync(subscription, target, queuePolicy, document, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception exception)
            {
                LogDeliveryFailed(exception, subscription.Id);
                _metrics.DeliveryFailed();
            }
            finally
            {
                _pending.Release();
                _perSubscription.AddOrUpdate(subscription.Id, 0, (_, count) => count - 1);
            }
        }, CancellationToken.None);
    }

    private async Task DeliverAsync(
        Subscription subscription, Uri target, RetryPolicy? queuePolicy, string document, CancellationToken stoppingToken)
    {
        using var options = JsonDocument.Parse(subscription.Options);
        var body = document;
        // Options are checked when set; these reads also survive ones stored before that check.
        if (JsonText.TryGetMember(options.RootElement, "post_data", out var postData) && JsonText.TryGetString(postData, out var template))
        {
            body = template.Replace("\"$zaqar_message$\"", document, StringComparison.Ordinal);
        }

        var policy = EffectivePolicy(options.RootElement, queuePolicy);
        var attempt = 0;
        foreach (var pause in Pauses(policy).Prepend(TimeSpan.Zero))
        {
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, _clock, stoppingToken);
            }

            attempt++;
            await _inFlight.WaitAsync(stoppingToken);
            try
            {
                if (await AttemptAsync(target, options.RootElement, body, stoppingToken))
                {
                    _metrics.Delivered();
                    return;
                }
            }
            finally
            {
                _inFlight.Release();
            }
        }

        LogGaveUp(subscription.Id, target.GetLeftPart(UriPartial.Path), attempt);
        _metrics.DeliveryFailed();
    }

    /// <summary>One POST; true when the answer is final (200–499), false when it should be retried.</summary>
    private async Task<bool> AttemptAsync(Uri target, JsonElement options, string body, CancellationToken stoppingToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (JsonText.TryGetMember(options, "post_headers", out var headers) && headers.ValueKind == JsonValueKind.Object)
        {
            foreach (var header in headers.EnumerateObject())
            {
                if (JsonText.NameOf(header) is { } name && JsonText.TryGetString(header.Value, out var value))
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            // Only the status matters: the subscriber's body is never read.
            using var response = await _http.CreateClient(HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (status < 500)
            {
                LogDelivered(target.GetLeftPart(UriPartial.Path), status);
                return true;
            }

            LogAttemptFailed(target.GetLeftPart(UriPartial.Path), $"status {status}");
            return false;
        }
        catch (Exception exception) when (exception is HttpRequestException || (exception is OperationCanceledException && !stoppingToken.IsCancellationRequested))
        {
            LogAttemptFailed(target.GetLeftPart(UriPartial.Path), exception.Message);
            return false;
        }
    }

    /// <summary>10.5: the subscription's policy wins unless either policy says to ignore it.</summary>
    private static RetryPolicy EffectivePolicy(JsonElement options, RetryPolicy? queuePolicy)
    {
        RetryPolicy? own = null;
        if (JsonText.TryGetMember(options, ReservedMetadata.RetryPolicy, out var value) && value.ValueKind == JsonValueKind.Object)
        {
            own = ReservedMetadata.ReadRetryPolicy(value, Errors.InvalidApiRequest);
        }

        if (queuePolicy is not null && (own is null || own.IgnoreSubscriptionOverride || queuePolicy.IgnoreSubscriptionOverride))
        {
            return queuePolicy;
        }

        return own ?? new RetryPolicy();
    }

    /// <summary>
    /// The pauses before each retry (10.5): some at once, some at the minimum delay, a back-off from
    /// the minimum towards the maximum, then some at the maximum.
    /// </summary>
    public static IEnumerable<TimeSpan> Pauses(RetryPolicy policy)
    {
        for (var i = 0; i < policy.RetriesWithNoDelay; i++)
        {
            yield return TimeSpan.Zero;
        }

        for (var i = 0; i < policy.MinimumDelayRetries; i++)
        {
            yield return TimeSpan.FromSeconds(policy.MinimumDelay);
        }

        // Multiplicative curves need a base above zero, or every pause would be zero.
        var from = Math.Max(policy.MinimumDelay, 1);
        for (var step = 1; step <= ReservedMetadata.MaxRetries; step++)
        {
            double delay = policy.BackoffFunction switch
            {
                "arithmetic" => policy.MinimumDelay + 5.0 * step * (step + 1) / 2,
                "geometric" => from * Math.Pow(2, step),
                "exponential" => from * Math.Exp(step),
                _ => policy.MinimumDelay + 5.0 * step,
            };
            if (delay >= policy.MaximumDelay)
            {
                break;
            }

            yield return TimeSpan.FromSeconds(delay);
        }

        for (var i = 0; i < policy.MaximumDelayRetries; i++)
        {
            yield return TimeSpan.FromSeconds(policy.MaximumDelay);
        }
    }

    /// <summary>10.3: the document each subscriber receives per message (no message id).</summary>
    public static string NotificationDocument(QueueRef queue, PostedMessage message) =>
        Encoding.UTF8.GetString(Rendering.Render(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("ttl"u8, message.Ttl);
            w.WritePropertyName("body"u8);
            w.WriteRawValue(message.Body, skipInputValidation: true);
            if (message.Delay > 0)
            {
                w.WriteNumber("delay"u8, message.Delay);
            }

            w.WriteString("Message_Type"u8, "Notification");
            w.WriteString("queue_name"u8, queue.Name);
            w.WriteEndObject();
        }));

    /// <summary>10.4: a grant to PUT the confirm path until the subscription expires.</summary>
    private async Task<string> ConfirmationDocumentAsync(
        QueueRef queue, Subscription subscription, bool subscribe, CancellationToken cancellationToken)
    {
        var path = $"/v2/queues/{queue.Name}/subscriptions/{subscription.Id}/confirm";
        var grant = await _signedUrls.SignAsync([path], ["PUT"], queue.Project, subscription.Expires, cancellationToken);
        return Encoding.UTF8.GetString(Rendering.Render(w =>
        {
            w.WriteStartObject();
            w.WriteString("Message_Type"u8, subscribe ? "SubscriptionConfirmation" : "UnsubscribeConfirmation");
            w.WriteString("Message"u8, $"You have chosen to subscribe to the queue: {queue.Name}");
            w.WriteString("URL-Signature"u8, grant.Signature);
            w.WriteString("URL-Methods"u8, "PUT");
            w.WriteString("URL-Paths"u8, path);
            w.WriteString("X-Project-ID"u8, queue.Project);
            w.WriteString("URL-Expires"u8, grant.Expires);
            w.WriteStartObject("SubscribeBody"u8);
            w.WriteBoolean("confirmed"u8, true);
            w.WriteEndObject();
            w.WriteStartObject("UnsubscribeBody"u8);
            w.WriteBoolean("confirmed"u8, false);
            w.WriteEndObject();
            if (!string.IsNullOrEmpty(_options.PublicUrl))
            {
                w.WriteString("WSGISubscribeURL"u8, _options.PublicUrl.TrimEnd('/') + path);
            }

            w.WriteString("queue_name"u8, queue.Name);
            w.WriteEndObject();
        }));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification backlog full: {Count} notifications of queue {Queue} dropped")]
    private partial void LogBacklogFull(string queue, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notifying the subscribers of queue {Queue} failed")]
    private partial void LogFanOutFailed(Exception exception, string queue);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Notification delivered to {Subscriber}: {Status}")]
    private partial void LogDelivered(string subscriber, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification to {Subscriber} failed ({Reason}); the retry policy decides what follows")]
    private partial void LogAttemptFailed(string subscriber, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering to subscription {Subscription} failed")]
    private partial void LogDeliveryFailed(Exception exception, string subscription);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {Subscription} at {Subscriber} has too many deliveries pending; a notification was dropped")]
    private partial void LogSubscriberBacklogFull(string subscription, string subscriber);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up notifying subscription {Subscription} at {Subscriber} after {Attempts} attempts")]
    private partial void LogGaveUp(string subscription, string subscriber, int attempts);
}
