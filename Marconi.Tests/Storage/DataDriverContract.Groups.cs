using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>
/// Message groups and deduplication (SQS FIFO queues): a group's messages are worked one claim at a
/// time, in order; a deduplication id seen within the window stores nothing and answers the first id.
/// </summary>
public abstract partial class DataDriverContract
{
    private async Task<string> PostGroupedAsync(QueueRef queue, string group, int n, string? dedupId = null, bool byGroup = false) =>
        (await Driver.Messages.PostAsync(queue,
            [new NewMessage(3600, $"{{\"n\":{n}}}") { Group = group, DeduplicationId = dedupId, DeduplicateByGroup = byGroup }],
            Producer, _now, default))!.Single();

    private static string OnlyId(ClaimData? claim) => claim!.Messages.Single().Id;

    /// <summary><see cref="Driver"/>, and a peer on its storage when the driver can share it.</summary>
    private async Task<List<IDataDriver>> DriverAndPeerAsync()
    {
        var hosts = new List<IDataDriver> { Driver };
        if (await OpenPeerAsync() is { } peer)
        {
            _peers.Add(peer);
            hosts.Add(peer);
        }

        return hosts;
    }

    [SkippableFact]
    public async Task MessagesKeepTheirGroupAndDeduplicationId()
    {
        var queue = await CreateQueueAsync();
        var grouped = await PostGroupedAsync(queue, "g-1", 0, "d-1");
        var plain = (await PostAsync(queue, 1)).Single();

        var got = await Driver.Messages.GetAsync(queue, grouped, _now, default);
        got!.Group.Should().Be("g-1");
        got.DeduplicationId.Should().Be("d-1");
        (await Driver.Messages.GetAsync(queue, plain, _now, default))!.Group.Should().BeNull();

        var listed = await ListAsync(queue);
        listed.Select(m => (m.Group, m.DeduplicationId)).Should().Equal(("g-1", "d-1"), (null, null));
        var claim = await Driver.Claims.CreateAsync(queue, 30, 0, 10, _now, default);
        claim!.Messages.Select(m => m.Group).Should().Equal("g-1", null);
        (await Driver.Messages.GetManyAsync(queue, [grouped], _now, default)).Single().DeduplicationId.Should().Be("d-1");
    }

    [SkippableFact]
    public async Task AGroupUnderALiveClaimGivesNoOtherMessage()
    {
        var queue = await CreateQueueAsync();
        var a1 = await PostGroupedAsync(queue, "a", 0);
        var a2 = await PostGroupedAsync(queue, "a", 1);
        var b1 = await PostGroupedAsync(queue, "b", 2);
        var u1 = (await PostAsync(queue, 1)).Single();

        var first = await Driver.Claims.CreateAsync(queue, 30, 0, 1, _now, default);
        OnlyId(first).Should().Be(a1);
        // a2 waits for a1: the other group and the message without a group are claimable.
        var rest = await Driver.Claims.CreateAsync(queue, 30, 0, 10, _now, default);
        rest!.Messages.Select(m => m.Id).Should().Equal(b1, u1);
        (await Driver.Claims.CreateAsync(queue, 30, 0, 10, _now, default)).Should().BeNull();
        (await Driver.Messages.PopAsync(queue, 10, _now, default)).Should().BeEmpty();

        // Deleting a1 under its claim lets the group go on with a2.
        (await Driver.Messages.DeleteAsync(queue, a1, first!.Id, _now, default)).Should().Be(MessageDeleteOutcome.Done);
        OnlyId(await Driver.Claims.CreateAsync(queue, 30, 0, 10, _now, default)).Should().Be(a2);
    }

    [SkippableFact]
    public async Task AnEndedClaimGivesItsGroupBackInOrder()
    {
        var queue = await CreateQueueAsync();
        var a1 = await PostGroupedAsync(queue, "a", 0);
        var a2 = await PostGroupedAsync(queue, "a", 1);

        var claim = await Driver.Claims.CreateAsync(queue, 30, 0, 1, _now, default);
        OnlyId(claim).Should().Be(a1);
        Advance(31);
        (await Driver.Claims.CreateAsync(queue, 30, 0, 10, _now, default))!.Messages.Select(m => m.Id).Should().Equal(a1, a2);

        // Released claims free their group at once.
        Advance(31);
        var again = await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default);
        again.Select(c => c.Messages.Single().Id).Should().Equal(a1, a2);
        await Driver.Claims.DeleteAsync(queue, again[0].Id, default);
        (await Driver.Messages.PopAsync(queue, 10, _now, default)).Should().BeEmpty("a2's claim still holds the group");
        await Driver.Claims.DeleteAsync(queue, again[1].Id, default);
        (await Driver.Messages.PopAsync(queue, 10, _now, default)).Select(m => m.Id).Should().Equal(a1, a2);
    }

    [SkippableFact]
    public async Task ClaimEachTakesAFreeGroupsNextMessagesTogether()
    {
        var queue = await CreateQueueAsync();
        var a = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            a.Add(await PostGroupedAsync(queue, "a", i));
        }

        var b1 = await PostGroupedAsync(queue, "b", 3);
        var claims = await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default);
        claims.Select(c => c.Messages.Single().Id).Should().Equal([.. a, b1]);
        claims.Select(c => c.Id).Should().OnlyHaveUniqueItems();

        // Releasing a2's claim frees a2, but a1 and a3 are still held: the group stays closed.
        await Driver.Claims.DeleteAsync(queue, claims[1].Id, default);
        (await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default)).Should().BeEmpty();
        var next = await Driver.Messages.NextClaimableAsync(queue, _now, default);
        next.Should().Be(_now.AddSeconds(30), "the group opens when its claims end, not now");
    }

    [SkippableFact]
    public async Task GroupsDeadLetterInOrderKeepingGroupAndDeduplicationId()
    {
        var queue = await CreateQueueAsync();
        var a1 = await PostGroupedAsync(queue, "a", 0, "d-a1");
        var a2 = await PostGroupedAsync(queue, "a", 1);
        var policy = new DeadLetterPolicy(1, "groups-dead");
        OnlyId(await Driver.Claims.CreateAsync(queue, 30, 0, 1, _now, default, policy)).Should().Be(a1);
        Advance(31);
        // a1 has had its claim: it moves, and a2 is claimed in its place.
        var claims = await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default, policy);
        claims.Select(c => c.Messages.Single().Id).Should().Equal(a2);
        var dead = await Driver.Messages.ListAsync(queue with { Name = "groups-dead" },
            new MessageListQuery(null, 10, Echo: true, IncludeClaimed: true, Guid.Empty), _now, default);
        dead.Single().Group.Should().Be("a");
        dead.Single().DeduplicationId.Should().Be("d-a1");

        // A redrive keeps them too.
        (await Driver.Messages.MoveAsync(queue with { Name = "groups-dead" }, queue.Name, 10, _now, default)).Should().Be(1);
        var back = await Driver.Messages.ListAsync(queue,
            new MessageListQuery(null, 10, Echo: true, IncludeClaimed: true, Guid.Empty), _now, default);
        back.Select(m => m.Group).Should().Equal("a", "a");
        back[^1].DeduplicationId.Should().Be("d-a1");
    }

    [SkippableFact]
    public async Task ConcurrentClaimersNeverHoldOneGroupTwice()
    {
        var hosts = await DriverAndPeerAsync();

        var queue = await CreateQueueAsync();
        for (var i = 0; i < 60; i++)
        {
            await PostGroupedAsync(queue, $"g{i % 6}", i);
        }

        // Twelve claimers at once: each group's messages must all go to one of them, in order.
        var calls = await Task.WhenAll(Enumerable.Range(0, 12).Select(n => n % 2 == 0
            ? hosts[n % hosts.Count].Claims.CreateEachAsync(queue, 60, 0, 10, _now, default)
            : hosts[n % hosts.Count].Claims.CreateAsync(queue, 60, 0, 10, _now, default)
                .ContinueWith(t => (IReadOnlyList<ClaimData>)(t.Result is { } c ? [c] : []), TaskScheduler.Default)));
        var byGroup = calls
            .SelectMany((claims, call) => claims.SelectMany(c => c.Messages).Select(m => (call, m.Group, N: N(m))))
            .GroupBy(x => x.Group)
            .ToList();
        byGroup.Should().NotBeEmpty();
        foreach (var group in byGroup)
        {
            group.Select(x => x.call).Distinct().Should().ContainSingle($"group {group.Key} was given to one claimer only");
            group.Select(x => x.N).Should().BeInAscendingOrder();
            group.First().N.Should().Be(int.Parse(group.Key![1..]), "a group starts at its first message");
        }
    }

    [SkippableFact]
    public async Task AHeldGroupsDeepBacklogHidesNoOtherGroup()
    {
        var queue = await CreateQueueAsync();
        // 3000 messages of group A, with a message of B, C and D (and one without a group) among
        // and after them: a claim with A held must still find the others, oldest first, each group
        // from its head.
        var messages = new List<NewMessage>();
        for (var i = 0; i < 3000; i++)
        {
            var group = i switch { 1500 => "B", 2999 => "C", _ => "A" };
            messages.Add(new NewMessage(3600, $"{{\"n\":{i}}}") { Group = group });
        }

        var ids = (await Driver.Messages.PostAsync(queue, messages, Producer, _now, default))!;
        var tail = await Driver.Messages.PostAsync(queue,
            [new NewMessage(3600, "{\"n\":3000}") { Group = "D" }, new NewMessage(3600, "{\"n\":3001}"), new NewMessage(3600, "{\"n\":3002}") { Group = "D" }],
            Producer, _now, default);

        var a = await Driver.Claims.CreateAsync(queue, 60, 0, 1, _now, default);
        OnlyId(a).Should().Be(ids[0]);
        var others = await Driver.Claims.CreateEachAsync(queue, 60, 0, 10, _now, default);
        // The message without a group behind A's backlog may wait until A's backlog is reached (a
        // driver need not look for such messages past a held group's backlog); the groups may not.
        var got = others.Select(c => N(c.Messages.Single())).ToList();
        got.Where(n => n != 3001).Should().Equal(1500, 2999, 3000, 3002);
        got.Should().BeInAscendingOrder();
        (await Driver.Claims.CreateAsync(queue, 60, 0, 10, _now, default)).Should().BeNull();
        (await Driver.Messages.NextClaimableAsync(queue, _now, default)).Should().Be(_now.AddSeconds(60),
            "what cannot be claimed now waits for A's claim, not for a look again at once");

        // Once A's head is deleted, A goes on from its next message.
        await Driver.Messages.DeleteAsync(queue, ids[0], a!.Id, _now, default);
        (await Driver.Messages.PopAsync(queue, 3, _now, default)).Select(N).Should().Equal(1, 2, 3);
        tail.Should().HaveCount(3);
    }

    [SkippableFact]
    public async Task ADeduplicationIdWithinTheWindowStoresNothing()
    {
        var queue = await CreateQueueAsync();
        var first = await PostGroupedAsync(queue, "g", 0, "order-1");
        (await PostGroupedAsync(queue, "g", 1, "order-1")).Should().Be(first);
        (await PostGroupedAsync(queue, "other", 2, "order-1")).Should().Be(first, "ids count per queue by default");

        // Within one post too, and beside messages that are new.
        var ids = await Driver.Messages.PostAsync(queue,
            [
                new NewMessage(3600, "{\"n\":3}") { Group = "g", DeduplicationId = "order-2" },
                new NewMessage(3600, "{\"n\":4}") { Group = "g", DeduplicationId = "order-2" },
                new NewMessage(3600, "{\"n\":5}") { Group = "g", DeduplicationId = "order-1" },
            ],
            Producer, _now, default);
        ids![1].Should().Be(ids[0]);
        ids[2].Should().Be(first);
        (await ListAsync(queue)).Select(N).Should().Equal(0, 3);
        (await Driver.Queues.GetStatsAsync(queue, _now, default))!.Total.Should().Be(2);

        // A deleted message's id still holds; another queue has its own ids.
        (await Driver.Messages.DeleteAsync(queue, first, null, _now, default)).Should().Be(MessageDeleteOutcome.Done);
        (await PostGroupedAsync(queue, "g", 6, "order-1")).Should().Be(first);
        var other = await CreateQueueAsync("jobs-2");
        (await PostGroupedAsync(other, "g", 7, "order-1")).Should().NotBe(first);

        // After the window the id is new again.
        Advance((int)NewMessage.DeduplicationWindow.TotalSeconds + 1);
        var later = await PostGroupedAsync(queue, "g", 8, "order-1");
        later.Should().NotBe(first);
        (await ListAsync(queue)).Select(N).Should().Equal(3, 8);
        await Driver.CollectGarbageAsync(_now, default);
        (await PostGroupedAsync(queue, "g", 9, "order-1")).Should().Be(later);
    }

    [SkippableFact]
    public async Task DeduplicationByGroupCountsIdsPerGroup()
    {
        var queue = await CreateQueueAsync();
        var a = await PostGroupedAsync(queue, "a", 0, "x", byGroup: true);
        var b = await PostGroupedAsync(queue, "b", 1, "x", byGroup: true);
        b.Should().NotBe(a);
        (await PostGroupedAsync(queue, "a", 2, "x", byGroup: true)).Should().Be(a);
        (await ListAsync(queue)).Select(N).Should().Equal(0, 1);
    }

    [SkippableFact]
    public async Task ConcurrentPostsOfOneDeduplicationIdStoreOneMessage()
    {
        var hosts = await DriverAndPeerAsync();

        var queue = await CreateQueueAsync();
        var ids = await Task.WhenAll(Enumerable.Range(0, 16).Select(n => hosts[n % hosts.Count].Messages.PostAsync(queue,
            [new NewMessage(300, $"{{\"n\":{n}}}") { Group = "g", DeduplicationId = "same" }], Producer, _now, default)));
        ids.Select(i => i!.Single()).Distinct().Should().ContainSingle();
        (await ListAsync(queue)).Should().ContainSingle();
    }
}
