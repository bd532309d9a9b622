using System.Text.Json;
using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>
/// What every storage driver must do, written once: a driver's test class derives from this and
/// says how to open the driver. Time is passed in, so expiry is tested without sleeping.
/// </summary>
public abstract partial class DataDriverContract : IAsyncLifetime
{
    private static readonly Guid Producer = Guid.NewGuid();
    private static readonly Guid Consumer = Guid.NewGuid();

    private DateTimeOffset _now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    protected IDataDriver Driver { get; private set; } = null!;

    /// <summary>
    /// Opens a driver on fresh, empty storage. Where the driver's server is unavailable it throws
    /// <see cref="SkipException"/> with the reason (<c>Skip.If(…)</c>): every test of the contract then
    /// reports skipped with that reason, rather than failing or passing without having run.
    /// </summary>
    protected abstract Task<IDataDriver> OpenAsync();

    /// <summary>Closes the driver and removes its storage.</summary>
    protected abstract Task CloseAsync(IDataDriver driver);

    /// <summary>Closes the driver and opens a new one on the same storage, as a restart does.</summary>
    protected abstract Task<IDataDriver> ReopenAsync(IDataDriver driver);

    public async Task InitializeAsync() => Driver = await OpenAsync();

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var peer in _peers)
            {
                await ClosePeerAsync(peer);
            }
        }
        finally
        {
            // No driver when opening it failed or was skipped: there is nothing to close.
            if (Driver is not null)
            {
                await CloseAsync(Driver);
            }
        }
    }

    private static QueueRef Queue(string name = "jobs", string project = "p1") => new(project, name);

    private void Advance(int seconds) => _now = _now.AddSeconds(seconds);

    private async Task<QueueRef> CreateQueueAsync(string name = "jobs", string project = "p1")
    {
        var queue = Queue(name, project);
        await Driver.Queues.CreateAsync(queue, _now, default);
        return queue;
    }

    private async Task<IReadOnlyList<string>> PostAsync(QueueRef queue, int count, int ttl = 300, Guid? client = null)
    {
        var messages = Enumerable.Range(0, count).Select(i => new NewMessage(ttl, $"{{\"n\":{i}}}")).ToList();
        return (await Driver.Messages.PostAsync(queue, messages, client ?? Producer, _now, default))!;
    }

    private Task<IReadOnlyList<StoredMessage>> ListAsync(
        QueueRef queue, string? marker = null, int limit = 20, bool echo = true, bool includeClaimed = false, Guid? client = null) =>
        Driver.Messages.ListAsync(queue, new MessageListQuery(marker, limit, echo, includeClaimed, client ?? Consumer), _now, default);

    private static int N(StoredMessage message) => JsonDocument.Parse(message.Body).RootElement.GetProperty("n").GetInt32();

    [SkippableFact]
    public async Task CreatingAQueueTwiceReportsItExisted()
    {
        (await Driver.Queues.CreateAsync(Queue(), _now, default)).Should().BeTrue();
        (await Driver.Queues.CreateAsync(Queue(), _now, default)).Should().BeFalse();
        (await Driver.Queues.ExistsAsync(Queue(), default)).Should().BeTrue();
        (await Driver.Queues.GetMetadataAsync(Queue(), default)).Should().Be("{}");
    }

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(50)]
    public async Task APostOfAnySizeKeepsItsMessagesInOrderWithTheirOwnFields(int count)
    {
        var queue = await CreateQueueAsync();
        await PostAsync(queue, 3);
        var messages = Enumerable.Range(0, count)
            .Select(i => new NewMessage(100 + i, $"{{\"n\":{i}}}", delay: i % 2, encrypted: i % 3 == 0))
            .ToList();

        var ids = (await Driver.Messages.PostAsync(queue, messages, Producer, _now, default))!;

        ids.Should().HaveCount(count).And.OnlyHaveUniqueItems();
        (await ListAsync(queue, limit: count + 3)).Skip(3).Select(N).Should()
            .Equal(Enumerable.Range(0, count).Where(i => i % 2 == 0), "the odd ones are delayed by a second");
        Advance(1);
        var page = await ListAsync(queue, limit: count + 3);
        page.Skip(3).Select(m => m.Id).Should().Equal(ids, "the ids are given in the order of the post, which is the queue's order");
        page.Skip(3).Select(N).Should().Equal(Enumerable.Range(0, count));
        page.Skip(3).Select(m => m.Ttl).Should().Equal(messages.Select(m => m.Ttl));
        page.Skip(3).Select(m => m.Encrypted).Should().Equal(messages.Select(m => m.Encrypted));
        (await Driver.Messages.GetAsync(queue, ids[^1], _now, default))!.Body.Should().Be($"{{\"n\":{count - 1}}}");
    }

    [SkippableFact]
    public async Task ProjectsDoNotSeeEachOthersQueuesOrMessages()
    {
        var mine = await CreateQueueAsync("shared", "p1");
        await PostAsync(mine, 2);

        var theirs = Queue("shared", "p2");
        (await Driver.Queues.ExistsAsync(theirs, default)).Should().BeFalse();
        (await Driver.Queues.ExistsAsync(Queue("shared", RequestContext.DefaultNamespace), default)).Should().BeFalse();
        (await Driver.Queues.ListAsync("p2", null, 10, false, default)).Should().BeEmpty();
        (await ListAsync(theirs)).Should().BeEmpty();
        (await Driver.Messages.PostAsync(theirs, [new NewMessage(60, "1")], Producer, _now, default)).Should().BeNull();
        (await Driver.Claims.CreateAsync(theirs, 60, 60, 10, _now, default)).Should().BeNull();

        await Driver.Queues.CreateAsync(theirs, _now, default);
        (await ListAsync(theirs)).Should().BeEmpty();
        var id = (await ListAsync(mine))[0].Id;
        (await Driver.Messages.GetAsync(theirs, id, _now, default)).Should().BeNull();
        await Driver.Messages.DeleteManyAsync(theirs, [id], default);
        (await Driver.Messages.GetAsync(mine, id, _now, default)).Should().NotBeNull();
    }

    [SkippableFact]
    public async Task QueuesAreListedInOrdinalOrderAfterTheMarker()
    {
        foreach (var name in new[] { "alpha", "_x", "Zeta", "1x", "beta" })
        {
            await CreateQueueAsync(name);
        }

        var all = await Driver.Queues.ListAsync("p1", null, 10, false, default);
        all.Select(q => q.Name).Should().Equal("1x", "Zeta", "_x", "alpha", "beta");
        all.Should().OnlyContain(q => q.Metadata == null);

        var page = await Driver.Queues.ListAsync("p1", "Zeta", 2, true, default);
        page.Select(q => q.Name).Should().Equal("_x", "alpha");
        page.Should().OnlyContain(q => q.Metadata == "{}");

        (await Driver.Queues.ListAsync("p1", "beta", 2, false, default)).Should().BeEmpty();
        (await Driver.Queues.ListAsync("p1", "b", 10, false, default)).Select(q => q.Name).Should().Equal("beta");
    }

    [SkippableFact]
    public async Task MetadataIsReplacedWholeAndMissingQueuesReportIt()
    {
        var queue = await CreateQueueAsync();
        (await Driver.Queues.SetMetadataAsync(queue, """{"a":1}""", default)).Should().BeTrue();
        (await Driver.Queues.SetMetadataAsync(queue, """{"b": [2]}""", default)).Should().BeTrue();
        (await Driver.Queues.GetMetadataAsync(queue, default)).Should().Be("""{"b": [2]}""");

        (await Driver.Queues.SetMetadataAsync(Queue("missing"), "{}", default)).Should().BeFalse();
        (await Driver.Queues.GetMetadataAsync(Queue("missing"), default)).Should().BeNull();
    }

    [SkippableFact]
    public async Task MessagesAreListedInPostOrderAndPagedByMarker()
    {
        var queue = await CreateQueueAsync();
        var ids = (await PostAsync(queue, 3)).Concat(await PostAsync(queue, 4)).ToList();
        ids.Should().OnlyHaveUniqueItems();

        var first = await ListAsync(queue, limit: 5);
        first.Select(N).Should().Equal(0, 1, 2, 0, 1);
        first.Select(m => m.Id).Should().Equal(ids.Take(5));

        var second = await ListAsync(queue, marker: first[^1].Marker, limit: 5);
        second.Select(m => m.Id).Should().Equal(ids.Skip(5));
        (await ListAsync(queue, marker: second[^1].Marker)).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task MessageBodiesComeBackAsTheRawJsonPosted()
    {
        var queue = await CreateQueueAsync();
        const string body = """{"big": 123456789012345678, "f": 1.50, "s": "é\n", "n": null}""";
        var ids = await Driver.Messages.PostAsync(queue, [new NewMessage(60, body), new NewMessage(61, "null")], Producer, _now, default);

        var messages = await Driver.Messages.GetManyAsync(queue, ids!, _now, default);
        messages.Select(m => m.Body).Should().Equal(body, "null");
        messages.Select(m => m.Ttl).Should().Equal(60, 61);
        messages[0].Created.Should().Be(_now);
    }

    [SkippableFact]
    public async Task UnknownOrMalformedMarkersGiveAnEmptyPage()
    {
        var queue = await CreateQueueAsync();
        await PostAsync(queue, 2);
        (await ListAsync(queue, marker: "not-a-marker")).Should().BeEmpty();
        (await ListAsync(queue, marker: "99999999999")).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task MarkersKeepGrowingWhenAQueueIsDeletedAndCreatedAgain()
    {
        var queue = await CreateQueueAsync();
        await PostAsync(queue, 2);
        var stale = (await ListAsync(queue))[^1].Marker;

        await Driver.Queues.DeleteAsync(queue, default);
        await CreateQueueAsync();
        var fresh = await PostAsync(queue, 1);

        (await ListAsync(queue, marker: stale)).Select(m => m.Id).Should().Equal(fresh);
    }

    [SkippableFact]
    public async Task EchoHidesTheCallersOwnMessagesUnlessAsked()
    {
        var queue = await CreateQueueAsync();
        await PostAsync(queue, 1, client: Producer);
        await PostAsync(queue, 1, client: Consumer);

        (await ListAsync(queue, echo: false, client: Producer)).Should().ContainSingle();
        (await ListAsync(queue, echo: true, client: Producer)).Should().HaveCount(2);
        (await ListAsync(queue, echo: false, client: Guid.NewGuid())).Should().HaveCount(2);
    }

    [SkippableFact]
    public async Task FiltersApplyBeforeTheLimit()
    {
        var queue = await CreateQueueAsync();
        await PostAsync(queue, 3, client: Producer);
        await PostAsync(queue, 2, client: Consumer);
        await Driver.Claims.CreateAsync(queue, 60, 60, 1, _now, default);

        var page = await ListAsync(queue, limit: 2, echo: false, client: Producer);
        page.Should().HaveCount(2);
        page.Select(N).Should().Equal(0, 1);
    }

    [SkippableFact]
    public async Task ExpiredMessagesAreInvisibleEverywhere()
    {
        var queue = await CreateQueueAsync();
        var shortLived = await PostAsync(queue, 1, ttl: 60);
        var longLived = await PostAsync(queue, 1, ttl: 120);

        Advance(59);
        (await ListAsync(queue)).Should().HaveCount(2);
        Advance(1);

        (await ListAsync(queue)).Select(m => m.Id).Should().Equal(longLived);
        (await Driver.Messages.GetAsync(queue, shortLived[0], _now, default)).Should().BeNull();
        (await Driver.Messages.GetManyAsync(queue, [.. shortLived, .. longLived], _now, default)).Select(m => m.Id).Should().Equal(longLived);
        var stats = await Driver.Queues.GetStatsAsync(queue, _now, default);
        stats!.Total.Should().Be(1);
        stats.Oldest!.Id.Should().Be(longLived[0]);
        (await Driver.Messages.DeleteAsync(queue, shortLived[0], "ffffffffffffffff00000000", _now, default))
            .Should().Be(MessageDeleteOutcome.Done);

        var claim = await Driver.Claims.CreateAsync(queue, 60, 60, 10, _now, default);
        claim!.Messages.Select(m => m.Id).Should().Equal(longLived);
    }

    [SkippableFact]
    public async Task GetManySkipsUnknownIdsAndReturnsEachMessageOnceInOrder()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 3);
        var other = await PostAsync(await CreateQueueAsync("other"), 1);

        var found = await Driver.Messages.GetManyAsync(
            queue, [ids[2], "nope", ids[0], ids[2], other[0], "0000000000000000"], _now, default);
        found.Select(m => m.Id).Should().Equal(ids[0], ids[2]);
    }

    [SkippableFact]
    public async Task ClaimsTakeTheOldestFreeMessagesAndNeverTheSameOneTwice()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 5);

        var first = await Driver.Claims.CreateAsync(queue, 60, 60, 2, _now, default);
        var second = await Driver.Claims.CreateAsync(queue, 60, 60, 2, _now, default);
        var third = await Driver.Claims.CreateAsync(queue, 60, 60, 2, _now, default);

        first!.Messages.Select(m => m.Id).Should().Equal(ids[0], ids[1]);
        second!.Messages.Select(m => m.Id).Should().Equal(ids[2], ids[3]);
        third!.Messages.Select(m => m.Id).Should().Equal(ids[4]);
        new[] { first.Id, second.Id, third.Id }.Should().OnlyHaveUniqueItems();
        (await Driver.Claims.CreateAsync(queue, 60, 60, 2, _now, default)).Should().BeNull();

        (await ListAsync(queue)).Should().BeEmpty();
        (await ListAsync(queue, includeClaimed: true)).Should().HaveCount(5);
    }

    [SkippableFact]
    public async Task ClaimingExtendsOnlyMessagesThatWouldExpireBeforeTheClaim()
    {
        var queue = await CreateQueueAsync();
        var shortLived = await PostAsync(queue, 1, ttl: 100);
        var longLived = await PostAsync(queue, 1, ttl: 1000);

        Advance(10);
        var claim = await Driver.Claims.CreateAsync(queue, ttl: 200, grace: 60, limit: 10, _now, default);
        claim!.Messages.Select(m => m.Ttl).Should().Equal(260, 1000);

        // The extended message now lives until claim expiry + grace: 10 + 200 + 60 seconds after posting.
        Advance(259);
        (await Driver.Messages.GetAsync(queue, shortLived[0], _now, default)).Should().NotBeNull();
        Advance(1);
        (await Driver.Messages.GetAsync(queue, shortLived[0], _now, default)).Should().BeNull();
        (await Driver.Messages.GetAsync(queue, longLived[0], _now, default))!.Ttl.Should().Be(1000);
    }

    [SkippableFact]
    public async Task AClaimEndsAtItsExpiryAndItsMessagesAreFreeAgain()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 2, ttl: 3600);
        var claim = await Driver.Claims.CreateAsync(queue, 60, 60, 10, _now, default);

        Advance(59);
        (await Driver.Claims.GetAsync(queue, claim!.Id, _now, default)).Should().NotBeNull();
        (await Driver.Claims.CreateAsync(queue, 60, 60, 10, _now, default)).Should().BeNull();
        Advance(1);
        (await Driver.Claims.GetAsync(queue, claim.Id, _now, default)).Should().BeNull();
        (await Driver.Claims.UpdateAsync(queue, claim.Id, 60, 0, _now, default)).Should().BeFalse();
        (await ListAsync(queue)).Select(m => m.Id).Should().Equal(ids);

        var next = await Driver.Claims.CreateAsync(queue, 60, 60, 10, _now, default);
        next!.Messages.Select(m => m.Id).Should().Equal(ids);
    }

    [SkippableFact]
    public async Task ReadingAClaimShowsItsAgeTtlAndLiveMessages()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 3);
        var created = _now;
        var claim = await Driver.Claims.CreateAsync(queue, 120, 60, 2, _now, default);

        Advance(30);
        var read = await Driver.Claims.GetAsync(queue, claim!.Id, _now, default);
        read!.Id.Should().Be(claim.Id);
        read.Ttl.Should().Be(120);
        read.Updated.Should().Be(created);
        read.Messages.Select(m => m.Id).Should().Equal(ids[0], ids[1]);

        (await Driver.Claims.GetAsync(Queue("other"), claim.Id, _now, default)).Should().BeNull();
        (await Driver.Claims.GetAsync(Queue("jobs", "p2"), claim.Id, _now, default)).Should().BeNull();
        (await Driver.Claims.GetAsync(queue, "garbage", _now, default)).Should().BeNull();
        (await Driver.Claims.GetAsync(queue, claim.Id[..16] + "00000000", _now, default)).Should().BeNull();
    }

    [SkippableFact]
    public async Task RenewingAClaimRestartsItAndExtendsItsMessages()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 1, ttl: 60);
        var claim = await Driver.Claims.CreateAsync(queue, 60, 60, 10, _now, default);

        Advance(50);
        (await Driver.Claims.UpdateAsync(queue, claim!.Id, ttl: 300, grace: 30, _now, default)).Should().BeTrue();
        var renewed = await Driver.Claims.GetAsync(queue, claim.Id, _now, default);
        renewed!.Ttl.Should().Be(300);
        renewed.Updated.Should().Be(_now);
        renewed.Messages.Single().Ttl.Should().Be(330);

        Advance(299);
        (await Driver.Claims.GetAsync(queue, claim.Id, _now, default)).Should().NotBeNull();
        Advance(1);
        (await Driver.Claims.GetAsync(queue, claim.Id, _now, default)).Should().BeNull();
        (await Driver.Messages.GetAsync(queue, ids[0], _now, default)).Should().NotBeNull();
        Advance(30);
        (await Driver.Messages.GetAsync(queue, ids[0], _now, default)).Should().BeNull();
    }

    [SkippableFact]
    public async Task ReleasingAClaimFreesItsMessagesAtOnceAndKeepsTheirExtension()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 1, ttl: 60);
        var claim = await Driver.Claims.CreateAsync(queue, 600, 60, 10, _now, default);

        await Driver.Claims.DeleteAsync(queue, claim!.Id, default);
        (await Driver.Claims.GetAsync(queue, claim.Id, _now, default)).Should().BeNull();
        var free = await ListAsync(queue);
        free.Select(m => m.Id).Should().Equal(ids);
        free[0].Ttl.Should().Be(660);
        (await Driver.Messages.DeleteAsync(queue, ids[0], null, _now, default)).Should().Be(MessageDeleteOutcome.Done);

        await Driver.Claims.DeleteAsync(queue, claim.Id, default);
        await Driver.Claims.DeleteAsync(queue, "garbage", default);
    }

    [SkippableFact]
    public async Task AClaimWhoseMessagesWereAllDeletedIsGone()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 2);
        var claim = await Driver.Claims.CreateAsync(queue, 60, 60, 10, _now, default);

        (await Driver.Messages.DeleteAsync(queue, ids[0], claim!.Id, _now, default)).Should().Be(MessageDeleteOutcome.Done);
        (await Driver.Claims.GetAsync(queue, claim.Id, _now, default))!.Messages.Select(m => m.Id).Should().Equal(ids[1]);
        await Driver.Messages.DeleteManyAsync(queue, [ids[1]], default);

        (await Driver.Claims.GetAsync(queue, claim.Id, _now, default)).Should().BeNull();
        (await Driver.Claims.UpdateAsync(queue, claim.Id, 60, 0, _now, default)).Should().BeFalse();
    }

    [SkippableFact]
    public async Task DeletingOneMessageFollowsTheClaimRules()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 4, ttl: 3600);
        var held = await Driver.Claims.CreateAsync(queue, 60, 60, 1, _now, default);      // ids[0]
        var other = await Driver.Claims.CreateAsync(queue, 600, 60, 1, _now, default);    // ids[1]
        var expired = await Driver.Claims.CreateAsync(queue, 60, 60, 1, _now, default);   // ids[2]
        Advance(60);
        // now: held and expired are over (60 s claims); other lives.
        var live = await Driver.Claims.CreateAsync(queue, 600, 60, 1, _now, default);     // ids[0], taken again
        live!.Messages.Single().Id.Should().Be(ids[0]);

        async Task<MessageDeleteOutcome> Delete(string id, string? claim) =>
            await Driver.Messages.DeleteAsync(queue, id, claim, _now, default);

        (await Delete("0000000000000000", null)).Should().Be(MessageDeleteOutcome.Done);                     // row 1
        (await Delete("nonsense", live.Id)).Should().Be(MessageDeleteOutcome.Done);                          // row 1
        (await Delete(ids[0], null)).Should().Be(MessageDeleteOutcome.HeldByClaim);                          // row 3
        (await Delete(ids[3], other!.Id)).Should().Be(MessageDeleteOutcome.NotHeldByClaim);                   // row 4, never claimed
        (await Delete(ids[2], expired!.Id)).Should().Be(MessageDeleteOutcome.NotHeldByClaim);                // row 4, claim expired
        (await Delete(ids[0], held!.Id)).Should().Be(MessageDeleteOutcome.NoSuchLiveClaim);                   // row 6, expired claim
        (await Delete(ids[0], "garbage")).Should().Be(MessageDeleteOutcome.NoSuchLiveClaim);                  // row 6, unknown
        (await Delete(ids[0], other.Id)).Should().Be(MessageDeleteOutcome.HeldByClaim);                       // row 7
        (await ListAsync(queue, includeClaimed: true)).Should().HaveCount(4);                                 // nothing deleted yet

        (await Delete(ids[0], live.Id)).Should().Be(MessageDeleteOutcome.Done);                               // row 5
        (await Delete(ids[3], null)).Should().Be(MessageDeleteOutcome.Done);                                  // row 2
        (await ListAsync(queue, includeClaimed: true)).Select(m => m.Id).Should().Equal(ids[1], ids[2]);
        (await Delete(ids[0], live.Id)).Should().Be(MessageDeleteOutcome.Done);                               // row 1, gone
    }

    [SkippableFact]
    public async Task DeletesAndClaimsKeepTheQueueCountsExact()
    {
        var queue = await CreateQueueAsync();
        var other = await CreateQueueAsync("other");
        var ids = await PostAsync(queue, 6);
        var elsewhere = await PostAsync(other, 1);
        var claim = await Driver.Claims.CreateAsync(queue, 60, 60, 2, _now, default);   // ids[0], ids[1]
        (await Driver.Claims.CreateAsync(Queue("missing"), 60, 60, 2, _now, default)).Should().BeNull();

        async Task<long> Total(QueueRef q) => (await Driver.Queues.GetStatsAsync(q, _now, default))!.Total;

        (await Driver.Messages.DeleteAsync(queue, ids[0], claim!.Id, _now, default)).Should().Be(MessageDeleteOutcome.Done);
        (await Driver.Messages.DeleteAsync(queue, ids[0], claim.Id, _now, default)).Should().Be(MessageDeleteOutcome.Done);
        (await Driver.Messages.DeleteAsync(queue, ids[2], null, _now, default)).Should().Be(MessageDeleteOutcome.Done);
        (await Driver.Messages.DeleteAsync(queue, elsewhere[0], null, _now, default)).Should().Be(MessageDeleteOutcome.Done);
        (await Total(queue)).Should().Be(4);
        (await Total(other)).Should().Be(1);                                                 // another queue's message stays

        await Driver.Messages.DeleteManyAsync(queue, [ids[2], ids[3], elsewhere[0]], default);
        (await Total(queue)).Should().Be(3);
        (await Total(other)).Should().Be(1);

        // The rest claimed, then a claim that finds nothing: no claim and no change.
        (await Driver.Claims.CreateAsync(queue, 60, 60, 10, _now, default))!.Messages.Select(m => m.Id).Should().Equal(ids[4], ids[5]);
        (await Driver.Claims.CreateAsync(queue, 60, 60, 10, _now, default)).Should().BeNull();
        (await Driver.Queues.GetStatsAsync(queue, _now, default)).Should().BeEquivalentTo(
            new { Claimed = 3L, Total = 3L }, o => o.ExcludingMissingMembers());
    }

    [SkippableFact]
    public async Task DeletingManyIgnoresClaimsAndUnknownIds()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 3);
        var claim = await Driver.Claims.CreateAsync(queue, 60, 60, 1, _now, default);

        await Driver.Messages.DeleteManyAsync(queue, [ids[0], ids[1], "nope", ids[1]], default);
        (await ListAsync(queue, includeClaimed: true)).Select(m => m.Id).Should().Equal(ids[2]);
        (await Driver.Claims.GetAsync(queue, claim!.Id, _now, default)).Should().BeNull();
        await Driver.Messages.DeleteManyAsync(Queue("missing"), ids, default);
    }

    [SkippableFact]
    public async Task StatsCountOnlyUnexpiredMessages()
    {
        var queue = await CreateQueueAsync();
        (await Driver.Queues.GetStatsAsync(queue, _now, default)).Should().BeEquivalentTo(new QueueStats(0, 0, null, null));
        (await Driver.Queues.GetStatsAsync(Queue("missing"), _now, default)).Should().BeNull();

        var firstTime = _now;
        var shortLived = await PostAsync(queue, 2, ttl: 60);
        Advance(5);
        var longLived = await PostAsync(queue, 3, ttl: 600);
        await Driver.Claims.CreateAsync(queue, 60, 60, 3, _now, default); // both short-lived + one long-lived

        var stats = await Driver.Queues.GetStatsAsync(queue, _now, default);
        stats!.Total.Should().Be(5);
        stats.Claimed.Should().Be(3);
        stats.Oldest.Should().Be(new MessageStamp(shortLived[0], firstTime));
        stats.Newest.Should().Be(new MessageStamp(longLived[2], _now));

        Advance(60); // claim over; the short-lived were extended to claim expiry + grace
        stats = await Driver.Queues.GetStatsAsync(queue, _now, default);
        stats!.Claimed.Should().Be(0);
        stats.Total.Should().Be(5);

        Advance(60);
        stats = await Driver.Queues.GetStatsAsync(queue, _now, default);
        stats!.Total.Should().Be(3);
        stats.Oldest!.Id.Should().Be(longLived[0]);

        await Driver.Messages.DeleteAsync(queue, longLived[0], null, _now, default);
        (await Driver.Queues.GetStatsAsync(queue, _now, default))!.Total.Should().Be(2);
    }

    [SkippableFact]
    public async Task CollectingGarbageChangesNothingVisible()
    {
        var queue = await CreateQueueAsync();
        await PostAsync(queue, 3, ttl: 60);
        var kept = await PostAsync(queue, 2, ttl: 600);
        var claim = await Driver.Claims.CreateAsync(queue, 60, 60, 1, _now, default);
        Advance(200);

        var before = (await ListAsync(queue, includeClaimed: true)).Select(m => m.Id).ToList();
        var statsBefore = await Driver.Queues.GetStatsAsync(queue, _now, default);
        (await Driver.CollectGarbageAsync(_now, default)).Should().BeGreaterThan(0);

        (await ListAsync(queue, includeClaimed: true)).Select(m => m.Id).Should().Equal(before).And.Equal(kept);
        (await Driver.Queues.GetStatsAsync(queue, _now, default)).Should().BeEquivalentTo(statsBefore);
        (await Driver.Claims.GetAsync(queue, claim!.Id, _now, default)).Should().BeNull();
        (await Driver.CollectGarbageAsync(_now, default)).Should().Be(0);
    }

    [SkippableFact]
    public async Task DeletingAQueueRemovesEverythingAndItsIdsNeverReturn()
    {
        var queue = await CreateQueueAsync();
        await Driver.Queues.SetMetadataAsync(queue, """{"a":1}""", default);
        var ids = await PostAsync(queue, 2);
        var claim = await Driver.Claims.CreateAsync(queue, 60, 60, 1, _now, default);

        await Driver.Queues.DeleteAsync(queue, default);
        await Driver.Queues.DeleteAsync(queue, default);
        (await Driver.Queues.ExistsAsync(queue, default)).Should().BeFalse();

        await CreateQueueAsync();
        (await Driver.Queues.GetMetadataAsync(queue, default)).Should().Be("{}");
        (await Driver.Messages.GetManyAsync(queue, ids, _now, default)).Should().BeEmpty();
        (await Driver.Claims.GetAsync(queue, claim!.Id, _now, default)).Should().BeNull();
        (await PostAsync(queue, 1)).Should().NotIntersectWith(ids);
        (await Driver.Queues.GetStatsAsync(queue, _now, default))!.Total.Should().Be(1);
    }

    [SkippableFact]
    public async Task ConcurrentClaimersReceiveEveryMessageExactlyOnce()
    {
        var queue = await CreateQueueAsync();
        var posted = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            posted.AddRange(await PostAsync(queue, 50));
        }

        var claimed = new System.Collections.Concurrent.ConcurrentBag<string>();
        var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (await Driver.Claims.CreateAsync(queue, 60, 60, 7, _now, default) is { } claim)
            {
                foreach (var message in claim.Messages)
                {
                    claimed.Add(message.Id);
                }
            }
        }));
        await Task.WhenAll(workers);

        claimed.Should().HaveCount(posted.Count).And.OnlyHaveUniqueItems();
        claimed.Should().BeEquivalentTo(posted);
    }

    [SkippableFact]
    public async Task ConcurrentProducersLoseNothingAndMarkersFollowAcceptance()
    {
        var queue = await CreateQueueAsync();
        var producers = Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
        {
            var ids = new List<string>();
            for (var i = 0; i < 25; i++)
            {
                var batch = new[] { new NewMessage(600, $"{{\"p\":{p},\"i\":{i},\"n\":0}}"), new NewMessage(600, $"{{\"p\":{p},\"i\":{i},\"n\":1}}") };
                ids.AddRange((await Driver.Messages.PostAsync(queue, batch, Producer, _now, default))!);
            }

            return ids;
        })).ToList();
        var perProducer = await Task.WhenAll(producers);

        var listed = new List<StoredMessage>();
        string? marker = null;
        while (true)
        {
            var page = await ListAsync(queue, marker: marker, limit: 20);
            if (page.Count == 0)
            {
                break;
            }

            listed.AddRange(page);
            marker = page[^1].Marker;
        }

        listed.Select(m => m.Id).Should().BeEquivalentTo(perProducer.SelectMany(x => x));
        var position = listed.Select((m, i) => (m.Id, i)).ToDictionary(x => x.Id, x => x.i);
        foreach (var ids in perProducer)
        {
            // Each producer's acknowledged posts appear in the order they were acknowledged,
            // and the two messages of one post are adjacent.
            ids.Select(id => position[id]).Should().BeInAscendingOrder();
            for (var i = 0; i < ids.Count; i += 2)
            {
                position[ids[i + 1]].Should().Be(position[ids[i]] + 1);
            }
        }
    }
}
