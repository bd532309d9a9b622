using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>Subscriptions (v2 §10): keyed by project and queue name, expiring by TTL.</summary>
public abstract partial class DataDriverContract
{
    private const string Hook = "http://example.com/hook";

    private Task<SubscriptionCreated> SubscribeAsync(
        QueueRef queue, string subscriber = Hook, long ttl = 3600, string options = "{}") =>
        Driver.Subscriptions.CreateAsync(queue, subscriber, ttl, options, _now, default);

    private Task<IReadOnlyList<Subscription>> SubscriptionsAsync(QueueRef queue, string? marker = null, int limit = 20) =>
        Driver.Subscriptions.ListAsync(queue, marker, limit, _now, default);

    [SkippableFact]
    public async Task ASubscriptionIsUniquePerQueueAndSubscriberAndKeepsWhatItWasCreatedWith()
    {
        var queue = Queue();
        var created = _now;
        var first = await SubscribeAsync(queue, ttl: 3600, options: """{"post_headers":{"X-Token":"s"}}""");
        first.Created.Should().BeTrue();
        first.Confirmed.Should().BeFalse();
        first.Id.Should().MatchRegex("^[A-Za-z0-9_-]{1,64}$");

        Advance(10);
        (await SubscribeAsync(queue, ttl: 60, options: "{}")).Should().Be(first with { Created = false });
        var read = await Driver.Subscriptions.GetAsync(queue, first.Id, _now, default);
        read.Should().Be(new Subscription(
            first.Id, "jobs", Hook, 3600, created, created.AddSeconds(3600), """{"post_headers":{"X-Token":"s"}}""", false));

        (await Driver.Subscriptions.ConfirmAsync(queue, first.Id, true, _now, default)).Should().BeTrue();
        (await SubscribeAsync(queue)).Should().Be(new SubscriptionCreated(first.Id, false, true));
        (await Driver.Subscriptions.ConfirmAsync(queue, first.Id, false, _now, default)).Should().BeTrue();
        (await Driver.Subscriptions.GetAsync(queue, first.Id, _now, default))!.Confirmed.Should().BeFalse();

        var others = new[]
        {
            await SubscribeAsync(queue, "mailto:ops@example.com"),
            await SubscribeAsync(Queue("other"), Hook),
            await SubscribeAsync(Queue("jobs", "p2"), Hook),
        };
        others.Should().OnlyContain(s => s.Created);
        others.Select(s => s.Id).Append(first.Id).Should().OnlyHaveUniqueItems();
    }

    [SkippableFact]
    public async Task ASubscriptionIsReadOnlyThroughItsOwnQueueAndProject()
    {
        var sub = await SubscribeAsync(Queue());
        (await Driver.Subscriptions.GetAsync(Queue("other"), sub.Id, _now, default)).Should().BeNull();
        (await Driver.Subscriptions.GetAsync(Queue("jobs", "p2"), sub.Id, _now, default)).Should().BeNull();
        (await Driver.Subscriptions.GetAsync(Queue(), "garbage", _now, default)).Should().BeNull();
        (await Driver.Subscriptions.GetAsync(Queue(), sub.Id[..^1] + (sub.Id[^1] == '0' ? '1' : '0'), _now, default)).Should().BeNull();
        (await Driver.Subscriptions.ConfirmAsync(Queue("other"), sub.Id, true, _now, default)).Should().BeFalse();
        (await Driver.Subscriptions.UpdateAsync(Queue("other"), sub.Id, new SubscriptionUpdate(Ttl: 60), _now, default))
            .Should().Be(SubscriptionUpdateOutcome.NotFound);
        await Driver.Subscriptions.DeleteAsync(Queue("other"), sub.Id, default);
        (await Driver.Subscriptions.GetAsync(Queue(), sub.Id, _now, default)).Should().NotBeNull();
    }

    [SkippableFact]
    public async Task AnExpiredSubscriptionBehavesAsDeletedAndIsCollected()
    {
        var queue = Queue();
        var shortLived = await SubscribeAsync(queue, ttl: 60);
        var longLived = await SubscribeAsync(queue, "http://example.com/other", ttl: 3600);

        Advance(59);
        (await Driver.Subscriptions.GetAsync(queue, shortLived.Id, _now, default)).Should().NotBeNull();
        Advance(1);
        (await Driver.Subscriptions.GetAsync(queue, shortLived.Id, _now, default)).Should().BeNull();
        (await SubscriptionsAsync(queue)).Select(s => s.Id).Should().Equal(longLived.Id);
        (await Driver.Subscriptions.ListLiveAsync(queue, _now, default)).Select(s => s.Id).Should().Equal(longLived.Id);
        (await Driver.Subscriptions.ConfirmAsync(queue, shortLived.Id, true, _now, default)).Should().BeFalse();
        (await Driver.Subscriptions.UpdateAsync(queue, shortLived.Id, new SubscriptionUpdate(Ttl: 600), _now, default))
            .Should().Be(SubscriptionUpdateOutcome.NotFound);

        (await Driver.CollectGarbageAsync(_now, default)).Should().Be(1);
        (await SubscriptionsAsync(queue)).Select(s => s.Id).Should().Equal(longLived.Id);

        var again = await SubscribeAsync(queue, ttl: 60);
        again.Created.Should().BeTrue();
        again.Id.Should().NotBe(shortLived.Id);
        Advance(60);
        // Not yet collected, and still its subscriber is free again.
        (await SubscribeAsync(queue)).Created.Should().BeTrue();
    }

    [SkippableFact]
    public async Task UpdatingASubscriptionReplacesTheGivenMembersAndRestartsItsTtl()
    {
        var queue = Queue();
        var sub = await SubscribeAsync(queue, ttl: 3600, options: """{"a":1}""");
        await Driver.Subscriptions.ConfirmAsync(queue, sub.Id, true, _now, default);
        var created = _now;

        Advance(100);
        (await Driver.Subscriptions.UpdateAsync(queue, sub.Id, new SubscriptionUpdate(Ttl: 60), _now, default))
            .Should().Be(SubscriptionUpdateOutcome.Updated);
        var read = await Driver.Subscriptions.GetAsync(queue, sub.Id, _now, default);
        read.Should().Be(new Subscription(sub.Id, "jobs", Hook, 60, created, _now.AddSeconds(60), """{"a":1}""", true));

        (await Driver.Subscriptions.UpdateAsync(
                queue, sub.Id, new SubscriptionUpdate("mailto:x@example.com", Options: """{"b":2}"""), _now, default))
            .Should().Be(SubscriptionUpdateOutcome.Updated);
        read = await Driver.Subscriptions.GetAsync(queue, sub.Id, _now, default);
        read.Should().Be(new Subscription(sub.Id, "jobs", "mailto:x@example.com", 60, created, _now.AddSeconds(60), """{"b":2}""", true));
        (await SubscribeAsync(queue, Hook)).Created.Should().BeTrue(); // the old subscriber is free

        Advance(59);
        (await Driver.Subscriptions.GetAsync(queue, sub.Id, _now, default)).Should().NotBeNull();
        Advance(1);
        (await Driver.Subscriptions.GetAsync(queue, sub.Id, _now, default)).Should().BeNull();
        (await Driver.Subscriptions.UpdateAsync(queue, "garbage", new SubscriptionUpdate(Ttl: 60), _now, default))
            .Should().Be(SubscriptionUpdateOutcome.NotFound);
    }

    [SkippableFact]
    public async Task ASubscriberUsedByAnotherLiveSubscriptionOfTheQueueIsAConflict()
    {
        var queue = Queue();
        var mine = await SubscribeAsync(queue, "http://example.com/a", ttl: 3600);
        var taken = await SubscribeAsync(queue, "http://example.com/b", ttl: 3600);
        var lapsed = await SubscribeAsync(queue, "http://example.com/c", ttl: 60);
        await SubscribeAsync(Queue("other"), "http://example.com/d");

        (await Driver.Subscriptions.UpdateAsync(
                queue, mine.Id, new SubscriptionUpdate("http://example.com/b", 600, """{"x":1}"""), _now, default))
            .Should().Be(SubscriptionUpdateOutcome.SubscriberConflict);
        (await Driver.Subscriptions.GetAsync(queue, mine.Id, _now, default))
            .Should().Match<Subscription>(s => s.Subscriber == "http://example.com/a" && s.Ttl == 3600 && s.Options == "{}");

        (await Driver.Subscriptions.UpdateAsync(queue, mine.Id, new SubscriptionUpdate("http://example.com/a"), _now, default))
            .Should().Be(SubscriptionUpdateOutcome.Updated);
        (await Driver.Subscriptions.UpdateAsync(queue, mine.Id, new SubscriptionUpdate("http://example.com/d"), _now, default))
            .Should().Be(SubscriptionUpdateOutcome.Updated);

        Advance(60); // lapsed expired: its subscriber may be taken
        (await Driver.Subscriptions.UpdateAsync(queue, taken.Id, new SubscriptionUpdate("http://example.com/c"), _now, default))
            .Should().Be(SubscriptionUpdateOutcome.Updated);
        (await Driver.Subscriptions.GetAsync(queue, lapsed.Id, _now, default)).Should().BeNull();
        (await SubscriptionsAsync(queue)).Select(s => s.Subscriber).Should().Equal("http://example.com/d", "http://example.com/c");
    }

    [SkippableFact]
    public async Task SubscriptionsAreListedInCreationOrderAndPagedByMarker()
    {
        var queue = Queue();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await SubscribeAsync(queue, $"http://example.com/{4 - i}", ttl: i == 3 ? 60 : 3600)).Id);
            Advance(1);
        }

        await SubscribeAsync(Queue("other"));
        await SubscribeAsync(Queue("jobs", "p2"));
        Advance(60); // ids[3] expired

        var first = await SubscriptionsAsync(queue, limit: 2);
        first.Select(s => s.Id).Should().Equal(ids[0], ids[1]);
        var second = await SubscriptionsAsync(queue, first[^1].Id, limit: 2);
        second.Select(s => s.Id).Should().Equal(ids[2], ids[4]);
        (await SubscriptionsAsync(queue, second[^1].Id, limit: 2)).Should().BeEmpty();

        // A marker still names its position after the subscription is gone.
        await Driver.Subscriptions.DeleteAsync(queue, ids[1], default);
        (await SubscriptionsAsync(queue, ids[1])).Select(s => s.Id).Should().Equal(ids[2], ids[4]);
        (await SubscriptionsAsync(queue, "not-a-marker")).Should().BeEmpty();
        (await Driver.Subscriptions.ListLiveAsync(queue, _now, default)).Select(s => s.Id).Should().Equal(ids[0], ids[2], ids[4]);
        (await SubscriptionsAsync(Queue("missing"))).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task SubscriptionsOutliveTheirQueueAndGoWithDeleteAll()
    {
        var queue = await CreateQueueAsync();
        var sub = await SubscribeAsync(queue);
        var second = await SubscribeAsync(queue, "http://example.com/2");
        var other = await SubscribeAsync(Queue("other"));

        await Driver.Queues.DeleteAsync(queue, default);
        (await Driver.Subscriptions.GetAsync(queue, sub.Id, _now, default)).Should().NotBeNull();
        await CreateQueueAsync();
        await Driver.Messages.PurgeAsync(queue, default);
        (await SubscriptionsAsync(queue)).Select(s => s.Id).Should().Equal(sub.Id, second.Id);

        await Driver.Subscriptions.DeleteAsync(queue, sub.Id, default);
        await Driver.Subscriptions.DeleteAsync(queue, sub.Id, default);
        await Driver.Subscriptions.DeleteAsync(queue, "garbage", default);
        (await Driver.Subscriptions.GetAsync(queue, sub.Id, _now, default)).Should().BeNull();

        await Driver.Subscriptions.DeleteAllAsync(queue, default);
        (await SubscriptionsAsync(queue)).Should().BeEmpty();
        (await Driver.Subscriptions.GetAsync(Queue("other"), other.Id, _now, default)).Should().NotBeNull();
        (await SubscribeAsync(queue)).Created.Should().BeTrue();
    }
}
