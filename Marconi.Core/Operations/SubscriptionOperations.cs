using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Core.Operations;

/// <summary>Section <c>Marconi:Subscriptions</c> (v2 contract 13.1).</summary>
public sealed class SubscriptionOptions
{
    public const string SectionName = "Marconi:Subscriptions";

    /// <summary>
    /// Accepted subscriber URI schemes. <c>mailto</c> needs an SMTP relay and <c>trust+http(s)</c>
    /// needs Keystone; neither is offered, so only http and https are valid here.
    /// </summary>
    public string[]? SubscriberTypes { get; set; }

    public static readonly string[] Offered = ["http", "https"];

    public IReadOnlyList<string> Schemes => SubscriberTypes ?? Offered;
}

/// <summary>A page of subscriptions and the marker of the next one (the last id on the page).</summary>
public sealed record SubscriptionPage(IReadOnlyList<Subscription> Subscriptions, string? NextMarker, DateTimeOffset Now);

/// <summary>Subscriptions of a queue (v2 contract 10.1–10.2).</summary>
public sealed class SubscriptionOperations(IDataDriver driver, IOptions<LimitsOptions> limits, TimeProvider clock)
{
    private readonly LimitsOptions _limits = limits.Value;

    /// <summary>
    /// Creates the subscription, or finds the live one of the same subscriber (unchanged); the queue
    /// is created if it does not exist (v2 queues are lazy).
    /// </summary>
    public async Task<SubscriptionCreated> CreateAsync(
        QueueRef queue, string subscriber, long? ttl, string options, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var lifetime = CheckTtl(ttl ?? _limits.DefaultSubscriptionTtl, now);
        await driver.Queues.CreateAsync(queue, now, cancellationToken);
        return await driver.Subscriptions.CreateAsync(queue, subscriber, lifetime, options, now, cancellationToken);
    }

    public async Task<SubscriptionPage> ListAsync(QueueRef queue, string? marker, long? limit, CancellationToken cancellationToken)
    {
        var pageSize = PageLimit.Resolve(limit, _limits.DefaultSubscriptionsPerPage, _limits.MaxSubscriptionsPerPage);
        var now = clock.GetUtcNow();
        var page = await driver.Subscriptions.ListAsync(
            queue, string.IsNullOrEmpty(marker) ? null : marker, pageSize, now, cancellationToken);
        return new SubscriptionPage(page, page.Count > 0 ? page[^1].Id : null, now);
    }

    public async Task<(Subscription Subscription, DateTimeOffset Now)> GetAsync(
        QueueRef queue, string id, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var subscription = await driver.Subscriptions.GetAsync(queue, id, now, cancellationToken)
            ?? throw Errors.NotFound("The subscription does not exist or has expired.");
        return (subscription, now);
    }

    /// <summary>Replaces the given members; a new TTL restarts the expiry. 404 unknown, 409 subscriber taken.</summary>
    public async Task UpdateAsync(QueueRef queue, string id, SubscriptionUpdate update, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (update.Ttl is { } ttl)
        {
            CheckTtl(ttl, now);
        }

        switch (await driver.Subscriptions.UpdateAsync(queue, id, update, now, cancellationToken))
        {
            case SubscriptionUpdateOutcome.NotFound:
                throw Errors.NotFound("The subscription does not exist or has expired.");
            case SubscriptionUpdateOutcome.SubscriberConflict:
                throw Errors.Conflict("Another subscription of the queue already uses this subscriber.");
        }
    }

    public async Task ConfirmAsync(QueueRef queue, string id, bool confirmed, CancellationToken cancellationToken)
    {
        if (!await driver.Subscriptions.ConfirmAsync(queue, id, confirmed, clock.GetUtcNow(), cancellationToken))
        {
            throw Errors.NotFound("The subscription does not exist or has expired.");
        }
    }

    public Task DeleteAsync(QueueRef queue, string id, CancellationToken cancellationToken) =>
        driver.Subscriptions.DeleteAsync(queue, id, cancellationToken);

    /// <summary>At least the fixed minimum; no upper bound but the end of the calendar.</summary>
    private static long CheckTtl(long ttl, DateTimeOffset now)
    {
        var max = (long)(DateTimeOffset.MaxValue - now).TotalSeconds - 1;
        if (ttl < LimitsOptions.MinSubscriptionTtl || ttl > max)
        {
            throw Errors.InvalidApiRequest(
                $"The TTL of a subscription must be at least {LimitsOptions.MinSubscriptionTtl} seconds.");
        }

        return ttl;
    }
}

/// <summary>A message as it was posted, for whoever is told of posts (webhook notifications); the body in UTF-8.</summary>
public sealed record PostedMessage(string Id, int Ttl, byte[] Body, int Delay);

/// <summary>
/// Told of every successful post, after it is durable, in every API version and transport. It must
/// return at once and never fail: a post is never slowed or failed by what observers do.
/// </summary>
public interface IPostObserver
{
    void Posted(QueueRef queue, IReadOnlyList<PostedMessage> messages);
}
