using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>
/// What the v1.1 and v2 APIs need of storage: delayed messages, claim counts and dead-letter queues,
/// claim ids on reads, pop, purge, lazy queue creation, encrypted-body flags and message volume.
/// </summary>
public abstract partial class DataDriverContract
{
    private async Task<IReadOnlyList<string>> PostOneAsync(
        QueueRef queue, int n, int ttl = 300, int delay = 0, bool encrypted = false) =>
        (await Driver.Messages.PostAsync(
            queue, [new NewMessage(ttl, $"{{\"n\":{n}}}", delay, encrypted)], Producer, _now, default))!;

    private Task<IReadOnlyList<StoredMessage>> ListDelayedAsync(QueueRef queue, bool includeDelayed, bool includeClaimed = false) =>
        Driver.Messages.ListAsync(
            queue, new MessageListQuery(null, 20, true, includeClaimed, Consumer, includeDelayed), _now, default);

    private Task<ClaimData?> ClaimAsync(QueueRef queue, int limit = 10, int ttl = 60, DeadLetterPolicy? deadLetter = null) =>
        Driver.Claims.CreateAsync(queue, ttl, 60, limit, _now, default, deadLetter);

    private Task<IReadOnlyList<StoredMessage>> AllAsync(QueueRef queue) =>
        Driver.Messages.ListAsync(queue, new MessageListQuery(null, 20, true, true, Consumer, true), _now, default);

    [SkippableFact]
    public async Task DelayedMessagesAreNotListedClaimedOrPoppedUntilVisible()
    {
        var queue = await CreateQueueAsync();
        var delayed = await PostOneAsync(queue, 0, delay: 30);
        var plain = await PostOneAsync(queue, 1);

        (await ListAsync(queue)).Select(m => m.Id).Should().Equal(plain);
        (await ListDelayedAsync(queue, includeDelayed: true)).Select(m => m.Id).Should().Equal(delayed[0], plain[0]);
        (await ClaimAsync(queue))!.Messages.Select(m => m.Id).Should().Equal(plain);
        (await ClaimAsync(queue)).Should().BeNull();
        (await Driver.Messages.PopAsync(queue, 10, _now, default)).Should().BeEmpty();

        Advance(29);
        (await ListAsync(queue)).Should().BeEmpty();
        (await ClaimAsync(queue)).Should().BeNull();
        Advance(1);
        (await ListAsync(queue)).Select(m => m.Id).Should().Equal(delayed);
        (await ClaimAsync(queue))!.Messages.Select(m => m.Id).Should().Equal(delayed);
    }

    [SkippableFact]
    public async Task DelayedMessagesCanBeReadCountedAndDeletedAndAgeAndExpireFromCreation()
    {
        var queue = await CreateQueueAsync();
        var created = _now;
        var delayed = await PostOneAsync(queue, 0, ttl: 60, delay: 30);
        var doomed = await PostOneAsync(queue, 1, ttl: 600, delay: 30);

        var one = await Driver.Messages.GetAsync(queue, delayed[0], _now, default);
        one!.Created.Should().Be(created);
        one.Ttl.Should().Be(60);
        (await Driver.Messages.GetManyAsync(queue, [delayed[0], doomed[0]], _now, default)).Should().HaveCount(2);
        var stats = await Driver.Queues.GetStatsAsync(queue, _now, default);
        stats!.Total.Should().Be(2);
        stats.Claimed.Should().Be(0);

        (await Driver.Messages.DeleteAsync(queue, doomed[0], null, _now, default)).Should().Be(MessageDeleteOutcome.Done);
        (await Driver.Messages.GetAsync(queue, doomed[0], _now, default)).Should().BeNull();

        Advance(59);
        (await ListAsync(queue)).Select(m => m.Id).Should().Equal(delayed);
        Advance(1);
        (await Driver.Messages.GetAsync(queue, delayed[0], _now, default)).Should().BeNull();
        (await ListDelayedAsync(queue, includeDelayed: true)).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task EveryClaimCountsOnItsMessagesButRenewalDoesNot()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 2, ttl: 3600);
        (await Driver.Messages.GetAsync(queue, ids[0], _now, default))!.ClaimCount.Should().Be(0);

        var first = await ClaimAsync(queue, limit: 1);
        first!.Messages.Single().ClaimCount.Should().Be(1);
        (await Driver.Claims.UpdateAsync(queue, first.Id, 120, 60, _now, default)).Should().BeTrue();
        await Driver.Claims.DeleteAsync(queue, first.Id, default);

        var second = await ClaimAsync(queue, limit: 2);
        second!.Messages.Select(m => m.ClaimCount).Should().Equal(2, 1);
        Advance(60);
        var third = await ClaimAsync(queue, limit: 2);
        third!.Messages.Select(m => m.ClaimCount).Should().Equal(3, 2);

        (await Driver.Messages.GetAsync(queue, ids[0], _now, default))!.ClaimCount.Should().Be(3);
        (await AllAsync(queue)).Select(m => m.ClaimCount).Should().Equal(3, 2);
        (await Driver.Claims.GetAsync(queue, third.Id, _now, default))!.Messages.Select(m => m.ClaimCount).Should().Equal(3, 2);
    }

    [SkippableFact]
    public async Task EveryReadPathNamesTheLiveClaimHoldingAMessage()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 2, ttl: 3600);
        var claim = await ClaimAsync(queue, limit: 1, ttl: 60);
        var claimId = claim!.Id;

        claim.Messages.Single().ClaimId.Should().Be(claimId);
        (await Driver.Claims.GetAsync(queue, claimId, _now, default))!.Messages.Single().ClaimId.Should().Be(claimId);
        (await AllAsync(queue)).Select(m => m.ClaimId).Should().Equal(claimId, null);
        (await Driver.Messages.GetAsync(queue, ids[0], _now, default))!.ClaimId.Should().Be(claimId);
        (await Driver.Messages.GetAsync(queue, ids[1], _now, default))!.ClaimId.Should().BeNull();
        (await Driver.Messages.GetManyAsync(queue, ids, _now, default)).Select(m => m.ClaimId).Should().Equal(claimId, null);

        Advance(60); // the claim is over: nothing holds the message any more
        (await Driver.Messages.GetAsync(queue, ids[0], _now, default))!.ClaimId.Should().BeNull();
        (await AllAsync(queue)).Select(m => m.ClaimId).Should().Equal(null, null);

        var next = await ClaimAsync(queue, limit: 1);
        await Driver.Claims.DeleteAsync(queue, next!.Id, default);
        (await Driver.Messages.GetAsync(queue, ids[0], _now, default))!.ClaimId.Should().BeNull();
    }

    [SkippableFact]
    public async Task WithoutADeadLetterPolicyMessagesAreClaimedAgainAndAgain()
    {
        var queue = await CreateQueueAsync();
        await PostAsync(queue, 1, ttl: 3600);
        for (var i = 1; i <= 4; i++)
        {
            var claim = await ClaimAsync(queue);
            claim!.Messages.Single().ClaimCount.Should().Be(i);
            await Driver.Claims.DeleteAsync(queue, claim.Id, default);
        }
    }

    [SkippableFact]
    public async Task AMessageClaimedMaxTimesMovesToTheDeadLetterQueueAtTheNextClaim()
    {
        var queue = await CreateQueueAsync();
        var policy = new DeadLetterPolicy(MaxClaimCount: 2, DeadLetterQueue: "dead");
        var created = _now;
        var tired = await PostAsync(queue, 2, ttl: 3600, client: Producer);   // n = 0, 1
        Advance(1);
        var fresh = await PostAsync(queue, 3, ttl: 3600);                       // n = 0, 1, 2
        for (var i = 0; i < 2; i++)
        {
            var claim = await ClaimAsync(queue, limit: 2, deadLetter: policy);
            claim!.Messages.Select(m => m.Id).Should().Equal(tired);
            await Driver.Claims.DeleteAsync(queue, claim.Id, default);
        }

        (await Driver.Queues.ExistsAsync(Queue("dead"), default)).Should().BeFalse();
        Advance(10);
        // The third claim reaching them moves both and goes on until it holds its limit.
        var third = await ClaimAsync(queue, limit: 2, deadLetter: policy);
        third!.Messages.Select(m => m.Id).Should().Equal(fresh[0], fresh[1]);
        third.Messages.Select(m => m.ClaimCount).Should().Equal(1, 1);

        (await Driver.Messages.GetManyAsync(queue, tired, _now, default)).Should().BeEmpty();
        (await Driver.Queues.GetStatsAsync(queue, _now, default))!.Total.Should().Be(3);

        var dead = Queue("dead");
        (await Driver.Queues.GetMetadataAsync(dead, default)).Should().Be("{}");
        var moved = await ListAsync(dead);                                  // free: listed without include_claimed
        moved.Select(N).Should().Equal(0, 1);
        moved.Should().OnlyContain(m => m.ClaimCount == 2 && m.ClaimId == null && m.Ttl == 3600 && m.Created == created);
        (await ListAsync(dead, echo: false, client: Producer)).Should().BeEmpty(); // the Client-ID travelled too
        (await Driver.Queues.GetStatsAsync(dead, _now, default))!.Total.Should().Be(2);

        Advance(3600 - 12); // expiry unchanged: an hour after creation
        (await ListAsync(dead)).Should().HaveCount(2);
        Advance(1);
        (await ListAsync(dead)).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task AClaimThatOnlyMovesMessagesClaimsNothingButTheMovesStay()
    {
        var queue = await CreateQueueAsync();
        var dead = await CreateQueueAsync("dead");
        await Driver.Queues.SetMetadataAsync(dead, """{"keep":true}""", default);
        await PostOneAsync(dead, 9);
        var policy = new DeadLetterPolicy(0, "dead");
        await PostAsync(queue, 3);

        (await ClaimAsync(queue, limit: 2, deadLetter: policy)).Should().BeNull();

        (await ListAsync(queue, includeClaimed: true)).Should().BeEmpty();
        (await ListAsync(dead)).Select(N).Should().Equal(9, 0, 1, 2); // appended at the tail, in order
        (await Driver.Queues.GetMetadataAsync(dead, default)).Should().Be("""{"keep":true}""");
        (await ClaimAsync(dead, limit: 10))!.Messages.Should().HaveCount(4);
    }

    [SkippableFact]
    public async Task ADeadLetterTtlRestartsTheMovedMessagesLife()
    {
        var queue = await CreateQueueAsync();
        var policy = new DeadLetterPolicy(1, "dead", DeadLetterTtl: 120);
        var ids = await PostAsync(queue, 1, ttl: 600);
        var first = await ClaimAsync(queue, deadLetter: policy);
        first!.Messages.Select(m => m.Id).Should().Equal(ids);

        Advance(500); // the claim ended long ago
        (await ClaimAsync(queue, deadLetter: policy)).Should().BeNull();

        var moved = (await ListAsync(Queue("dead"))).Single();
        moved.Ttl.Should().Be(120);
        moved.ClaimCount.Should().Be(1);
        Advance(119); // past the original expiry (600 s), alive for 120 s from the move
        (await Driver.Messages.GetAsync(Queue("dead"), moved.Id, _now, default)).Should().NotBeNull();
        Advance(1);
        (await Driver.Messages.GetAsync(Queue("dead"), moved.Id, _now, default)).Should().BeNull();
    }

    [SkippableFact]
    public async Task DeadLetteringNeverTakesHeldOrDelayedMessagesAndKeepsFifo()
    {
        var queue = await CreateQueueAsync();
        var policy = new DeadLetterPolicy(1, "dead");
        var ids = await PostAsync(queue, 4, ttl: 3600);
        var held = await ClaimAsync(queue, limit: 1, ttl: 600);          // ids[0], held throughout
        var once = await ClaimAsync(queue, limit: 2, deadLetter: policy); // ids[1], ids[2] counted once
        await Driver.Claims.DeleteAsync(queue, once!.Id, default);
        var late = await PostOneAsync(queue, 7, ttl: 3600, delay: 60);

        var claim = await ClaimAsync(queue, limit: 5, deadLetter: policy);
        claim!.Messages.Select(m => m.Id).Should().Equal(ids[3]);
        (await ListAsync(Queue("dead"))).Select(N).Should().Equal(1, 2);
        (await Driver.Claims.GetAsync(queue, held!.Id, _now, default))!.Messages.Select(m => m.Id).Should().Equal(ids[0]);
        (await Driver.Messages.GetAsync(queue, late[0], _now, default)).Should().NotBeNull();
    }

    [SkippableFact]
    public async Task ConcurrentClaimersDeadLetterEveryMessageExactlyOnce()
    {
        var queue = await CreateQueueAsync();
        var policy = new DeadLetterPolicy(1, "dead");
        var posted = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            posted.AddRange(await PostAsync(queue, 50, ttl: 3600));
        }

        async Task<List<string>> ClaimAllAsync() =>
            (await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                var ids = new List<string>();
                while (await ClaimAsync(queue, limit: 7, deadLetter: policy) is { } claim)
                {
                    ids.AddRange(claim.Messages.Select(m => m.Id));
                }

                return ids;
            })))).SelectMany(ids => ids).ToList();

        (await ClaimAllAsync()).Should().BeEquivalentTo(posted);
        Advance(60);
        (await ClaimAllAsync()).Should().BeEmpty();

        (await AllAsync(queue)).Should().BeEmpty();
        var dead = new List<StoredMessage>();
        while (await Driver.Messages.PopAsync(Queue("dead"), 20, _now, default) is { Count: > 0 } popped)
        {
            dead.AddRange(popped);
        }

        dead.Should().HaveCount(posted.Count).And.OnlyContain(m => m.ClaimCount == 1);
        dead.Select(N).Should().Equal(Enumerable.Range(0, 6).SelectMany(_ => Enumerable.Range(0, 50)));
    }

    [SkippableFact]
    public async Task PopRemovesTheOldestClaimableMessagesInFifoOrder()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 3, ttl: 3600);                   // n = 0, 1, 2
        var delayed = await PostOneAsync(queue, 3, ttl: 3600, delay: 60);
        var last = await PostOneAsync(queue, 4, ttl: 3600);
        var held = await ClaimAsync(queue, limit: 1, ttl: 60);             // n = 0
        var released = await ClaimAsync(queue, limit: 1);                  // n = 1, counted once
        await Driver.Claims.DeleteAsync(queue, released!.Id, default);

        var popped = await Driver.Messages.PopAsync(queue, 3, _now, default);
        popped.Select(N).Should().Equal(1, 2, 4);
        popped.Select(m => m.Id).Should().Equal(ids[1], ids[2], last[0]);
        popped.Select(m => m.ClaimCount).Should().Equal(1, 0, 0);
        popped.Should().OnlyContain(m => m.ClaimId == null && m.Ttl == 3600);
        (await Driver.Messages.GetManyAsync(queue, [ids[1], ids[2], last[0]], _now, default)).Should().BeEmpty();
        (await Driver.Messages.PopAsync(queue, 3, _now, default)).Should().BeEmpty();
        (await Driver.Queues.GetStatsAsync(queue, _now, default))!.Total.Should().Be(2);

        Advance(60); // the claim ends and the delay elapses
        (await Driver.Messages.PopAsync(queue, 1, _now, default)).Select(m => m.Id).Should().Equal(ids[0]);
        (await Driver.Claims.GetAsync(queue, held!.Id, _now, default)).Should().BeNull();
        (await Driver.Messages.PopAsync(queue, 20, _now, default)).Select(m => m.Id).Should().Equal(delayed);
        (await AllAsync(queue)).Should().BeEmpty();
        (await Driver.Messages.PopAsync(Queue("missing"), 5, _now, default)).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task PopSkipsExpiredMessagesAndIgnoresWhoPostedThem()
    {
        var queue = await CreateQueueAsync();
        await PostAsync(queue, 1, ttl: 60, client: Consumer);
        var kept = await PostAsync(queue, 1, ttl: 600, client: Producer);
        Advance(60);
        (await Driver.Messages.PopAsync(queue, 5, _now, default)).Select(m => m.Id).Should().Equal(kept);
    }

    [SkippableFact]
    public async Task PurgeDeletesEveryMessageAndEndsClaimsButKeepsTheQueue()
    {
        var queue = await CreateQueueAsync();
        var other = await CreateQueueAsync("other");
        await Driver.Queues.SetMetadataAsync(queue, """{"a":1}""", default);
        var ids = await PostAsync(queue, 3, ttl: 3600);
        await PostOneAsync(queue, 3, delay: 60);
        var kept = await PostAsync(other, 1);
        var claim = await ClaimAsync(queue, limit: 2, ttl: 600);

        await Driver.Messages.PurgeAsync(queue, default);

        (await AllAsync(queue)).Should().BeEmpty();
        (await Driver.Messages.GetManyAsync(queue, ids, _now, default)).Should().BeEmpty();
        (await Driver.Claims.GetAsync(queue, claim!.Id, _now, default)).Should().BeNull();
        (await Driver.Claims.UpdateAsync(queue, claim.Id, 60, 60, _now, default)).Should().BeFalse();
        (await Driver.Queues.GetStatsAsync(queue, _now, default)).Should().BeEquivalentTo(new QueueStats(0, 0, null, null));
        (await Driver.Queues.GetMetadataAsync(queue, default)).Should().Be("""{"a":1}""");
        (await ListAsync(other)).Select(m => m.Id).Should().Equal(kept);

        var after = await PostAsync(queue, 1);
        (await ClaimAsync(queue))!.Messages.Select(m => m.Id).Should().Equal(after);
        await Driver.Messages.PurgeAsync(Queue("missing"), default);
        (await Driver.Queues.ExistsAsync(Queue("missing"), default)).Should().BeFalse();
    }

    [SkippableFact]
    public async Task APostCanCreateItsQueueInTheSameAtomicStep()
    {
        var queue = Queue("lazy");
        (await Driver.Messages.PostAsync(queue, [new NewMessage(60, "1")], Producer, _now, default)).Should().BeNull();
        (await Driver.Queues.ExistsAsync(queue, default)).Should().BeFalse();

        // A post that storage rejects (a message without a body) creates nothing, not even the queue.
        var rejected = () => Driver.Messages.PostAsync(
            queue, [new NewMessage(60, "1"), new NewMessage(60, (string)null!)], Producer, _now, default, createQueue: true);
        await rejected.Should().ThrowAsync<Exception>();
        (await Driver.Queues.ExistsAsync(queue, default)).Should().BeFalse();

        var ids = await Driver.Messages.PostAsync(queue, [new NewMessage(60, "1")], Producer, _now, default, createQueue: true);
        ids.Should().ContainSingle();
        (await Driver.Queues.GetMetadataAsync(queue, default)).Should().Be("{}");
        (await ListAsync(queue)).Select(m => m.Id).Should().Equal(ids);

        await Driver.Queues.SetMetadataAsync(queue, """{"a":1}""", default);
        (await Driver.Messages.PostAsync(queue, [new NewMessage(60, "2")], Producer, _now, default, createQueue: true))
            .Should().ContainSingle();
        (await Driver.Queues.GetMetadataAsync(queue, default)).Should().Be("""{"a":1}""");
        (await Driver.Queues.GetStatsAsync(queue, _now, default))!.Total.Should().Be(2);
    }

    [SkippableFact]
    public async Task TheEncryptedFlagTravelsWithTheMessageOnEveryPath()
    {
        var queue = await CreateQueueAsync();
        var policy = new DeadLetterPolicy(1, "dead");
        var secret = await PostOneAsync(queue, 0, ttl: 3600, encrypted: true);
        var plain = await PostOneAsync(queue, 1, ttl: 3600);

        (await Driver.Messages.GetAsync(queue, secret[0], _now, default))!.Encrypted.Should().BeTrue();
        (await Driver.Messages.GetManyAsync(queue, [.. secret, .. plain], _now, default)).Select(m => m.Encrypted).Should().Equal(true, false);
        (await ListAsync(queue)).Select(m => m.Encrypted).Should().Equal(true, false);
        var claim = await ClaimAsync(queue, limit: 1);
        claim!.Messages.Single().Encrypted.Should().BeTrue();
        await Driver.Claims.DeleteAsync(queue, claim.Id, default);

        (await ClaimAsync(queue, limit: 1, deadLetter: policy))!.Messages.Single().Encrypted.Should().BeFalse();
        var moved = (await ListAsync(Queue("dead"))).Single();
        moved.Encrypted.Should().BeTrue();
        (await Driver.Messages.PopAsync(Queue("dead"), 1, _now, default)).Single().Encrypted.Should().BeTrue();
    }

    [SkippableFact]
    public async Task MessageVolumeCountsUnexpiredMessagesOfEveryProject()
    {
        (await Driver.Messages.GetMessageVolumeAsync(_now, default)).Should().Be(new MessageVolume(0, 0, 0));

        var mine = await CreateQueueAsync("a", "p1");
        var theirs = await CreateQueueAsync("a", "p2");
        await PostAsync(mine, 3, ttl: 60);
        await PostAsync(theirs, 4, ttl: 600);
        await PostOneAsync(theirs, 9, ttl: 600, delay: 30);
        await ClaimAsync(mine, limit: 1, ttl: 120); // extends its message to 180 s
        var released = await ClaimAsync(theirs, limit: 2, ttl: 60);
        await ClaimAsync(theirs, limit: 1, ttl: 300);
        await Driver.Claims.DeleteAsync(theirs, released!.Id, default);

        (await Driver.Messages.GetMessageVolumeAsync(_now, default)).Should().Be(new MessageVolume(6, 2, 8));

        Advance(60); // mine's free messages expire
        (await Driver.Messages.GetMessageVolumeAsync(_now, default)).Should().Be(new MessageVolume(4, 2, 6));
        Advance(60); // mine's claim ends; its message lives on, extended by the grace
        (await Driver.Messages.GetMessageVolumeAsync(_now, default)).Should().Be(new MessageVolume(5, 1, 6));
    }
}
