using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>
/// Moving messages between queues (a redrive of a dead-letter queue): the oldest free ones, in FIFO
/// order, to the target's tail, atomically, never a message in two queues or in none.
/// </summary>
public abstract partial class DataDriverContract
{
    /// <summary>Posts one message per n in <paramref name="numbers"/>, in one post.</summary>
    private async Task<IReadOnlyList<string>> PostNumberedAsync(QueueRef queue, IEnumerable<int> numbers, int ttl = 3600) =>
        (await Driver.Messages.PostAsync(
            queue, numbers.Select(n => new NewMessage(ttl, $"{{\"n\":{n}}}")).ToList(), Producer, _now, default))!;

    /// <summary>Every unexpired message of the queue, claimed and delayed ones too, page by page in FIFO order.</summary>
    private async Task<List<StoredMessage>> EveryMessageAsync(QueueRef queue)
    {
        var all = new List<StoredMessage>();
        string? marker = null;
        while (await Driver.Messages.ListAsync(
                   queue, new MessageListQuery(marker, 50, true, true, Consumer, true), _now, default) is { Count: > 0 } page)
        {
            all.AddRange(page);
            marker = page[^1].Marker;
        }

        return all;
    }

    private Task<int?> MoveAsync(QueueRef from, string to, int limit = 100) =>
        Driver.Messages.MoveAsync(from, to, limit, _now, default);

    [SkippableFact]
    public async Task AMoveAppendsTheOldestFreeMessagesInOrderAfterWhatTheTargetHolds()
    {
        var dead = await CreateQueueAsync("dead");
        var jobs = await CreateQueueAsync("jobs");
        await PostNumberedAsync(jobs, [100, 101]);
        await PostNumberedAsync(dead, [0, 1]);
        await PostNumberedAsync(dead, [2, 3, 4]);

        (await MoveAsync(dead, "jobs")).Should().Be(5);

        (await EveryMessageAsync(jobs)).Select(N).Should().Equal(100, 101, 0, 1, 2, 3, 4);
        (await EveryMessageAsync(dead)).Should().BeEmpty();
        (await Driver.Queues.GetStatsAsync(jobs, _now, default))!.Total.Should().Be(7);
        (await Driver.Queues.GetStatsAsync(dead, _now, default)).Should().BeEquivalentTo(new QueueStats(0, 0, null, null));
        (await ClaimAsync(jobs, limit: 10))!.Messages.Select(N).Should().Equal(100, 101, 0, 1, 2, 3, 4);
    }

    [SkippableFact]
    public async Task AMoveLeavesClaimedMessagesButTakesThoseWhoseClaimExpired()
    {
        var dead = await CreateQueueAsync("dead");
        var jobs = await CreateQueueAsync("jobs");
        await PostNumberedAsync(dead, [0, 1, 2, 3]);
        var expiring = await ClaimAsync(dead, limit: 1, ttl: 60);      // 0, free again after 60 s
        var held = await ClaimAsync(dead, limit: 1, ttl: 600);         // 1, held throughout
        Advance(60);

        (await MoveAsync(dead, "jobs")).Should().Be(3);

        (await EveryMessageAsync(jobs)).Select(N).Should().Equal(0, 2, 3);
        var left = await EveryMessageAsync(dead);
        left.Select(N).Should().Equal(1);
        (await Driver.Claims.GetAsync(dead, held!.Id, _now, default))!.Messages.Select(N).Should().Equal(1);
        (await Driver.Claims.GetAsync(dead, expiring!.Id, _now, default)).Should().BeNull();
        (await Driver.Queues.GetStatsAsync(dead, _now, default))!.Should().Match<QueueStats>(s => s.Total == 1 && s.Claimed == 1);
    }

    [SkippableFact]
    public async Task AMovedMessageKeepsItsFieldsAndStartsItsClaimCountAgain()
    {
        var jobs = await CreateQueueAsync("jobs");
        var policy = new DeadLetterPolicy(MaxClaimCount: 1, DeadLetterQueue: "dead");
        var created = _now;
        await Driver.Messages.PostAsync(jobs, [new NewMessage(3600, """{"n":0}""", encrypted: true)], Producer, _now, default);
        var first = await ClaimAsync(jobs, deadLetter: policy);
        await Driver.Claims.DeleteAsync(jobs, first!.Id, default);
        Advance(10);
        (await ClaimAsync(jobs, deadLetter: policy)).Should().BeNull("the message, claimed once, went to the dead-letter queue");
        var dead = Queue("dead");
        await PostOneAsync(dead, 1, ttl: 600, delay: 120);             // delayed: moved too, delay and all
        var deadLettered = (await EveryMessageAsync(dead))[0];
        deadLettered.ClaimCount.Should().Be(1);

        (await MoveAsync(dead, "jobs")).Should().Be(2);

        var moved = await EveryMessageAsync(jobs);
        moved.Select(N).Should().Equal(0, 1);
        moved.Should().OnlyContain(m => m.ClaimCount == 0 && m.ClaimId == null);
        moved[0].Should().Match<StoredMessage>(m =>
            m.Body == deadLettered.Body && m.Ttl == 3600 && m.Created == created && m.Encrypted);
        moved[1].Should().Match<StoredMessage>(m => m.Ttl == 600 && m.Created == created.AddSeconds(10) && !m.Encrypted);
        (await ListAsync(jobs, echo: false, client: Producer)).Should().BeEmpty("the Client-ID travelled with the messages");

        // Claimable again without being dead-lettered at once; the delayed one only once its delay ends.
        var again = await ClaimAsync(jobs, ttl: 600, deadLetter: policy);
        again!.Messages.Select(N).Should().Equal(0);
        again.Messages[0].ClaimCount.Should().Be(1);
        Advance(120);
        (await ClaimAsync(jobs, deadLetter: policy))!.Messages.Select(N).Should().Equal(1);

        // Expiry unchanged: an hour after the first post.
        Advance(3600 - 131);
        (await Driver.Messages.GetAsync(jobs, moved[0].Id, _now, default)).Should().NotBeNull();
        Advance(1);
        (await Driver.Messages.GetAsync(jobs, moved[0].Id, _now, default)).Should().BeNull();
    }

    [SkippableFact]
    public async Task AMoveTakesAtMostItsLimitAndTheNextGoesOnInOrder()
    {
        var dead = await CreateQueueAsync("dead");
        var jobs = await CreateQueueAsync("jobs");
        await PostNumberedAsync(dead, Enumerable.Range(0, 7));

        (await MoveAsync(dead, "jobs", limit: 3)).Should().Be(3);
        (await EveryMessageAsync(dead)).Select(N).Should().Equal(3, 4, 5, 6);
        await PostNumberedAsync(jobs, [100]);
        (await MoveAsync(dead, "jobs", limit: 3)).Should().Be(3);
        (await MoveAsync(dead, "jobs", limit: 3)).Should().Be(1);
        (await MoveAsync(dead, "jobs", limit: 3)).Should().Be(0);

        (await EveryMessageAsync(jobs)).Select(N).Should().Equal(0, 1, 2, 100, 3, 4, 5, 6);
    }

    [SkippableFact]
    public async Task AMoveFromNothingMovesNothingAndAMissingTargetIsSaid()
    {
        var dead = await CreateQueueAsync("dead");
        await CreateQueueAsync("jobs");
        var ids = await PostNumberedAsync(dead, [0, 1]);

        (await MoveAsync(Queue("missing"), "jobs")).Should().Be(0);
        (await MoveAsync(dead, "nowhere")).Should().BeNull();
        (await MoveAsync(Queue("missing"), "nowhere")).Should().BeNull();
        (await Driver.Queues.ExistsAsync(Queue("nowhere"), default)).Should().BeFalse("a move creates no queue");
        (await MoveAsync(dead, "dead")).Should().Be(0, "a queue is not moved into itself");
        (await MoveAsync(dead, "jobs", limit: 1)).Should().Be(1);
        (await MoveAsync(Queue("dead", "p2"), "jobs")).Should().BeNull("the target is of the source's project");

        (await EveryMessageAsync(dead)).Select(m => m.Id).Should().Equal(ids[1]);
    }

    [SkippableFact]
    public async Task AMoveLeavesExpiredMessagesBehind()
    {
        var dead = await CreateQueueAsync("dead");
        var jobs = await CreateQueueAsync("jobs");
        await PostNumberedAsync(dead, [0], ttl: 60);
        await PostNumberedAsync(dead, [1], ttl: 600);
        Advance(60);

        (await MoveAsync(dead, "jobs")).Should().Be(1);

        (await EveryMessageAsync(jobs)).Select(N).Should().Equal(1);
        (await Driver.Queues.GetStatsAsync(jobs, _now, default))!.Total.Should().Be(1);
    }

    /// <summary>
    /// Claimers on the source and posters to the target race repeated moves: no message is claimed
    /// twice, each ends up exactly once (claimed in the source or moved to the target), and the
    /// target keeps the moved messages in their old order and the posted ones in theirs.
    /// </summary>
    [SkippableFact]
    public async Task MovesRacingClaimersAndPostsLoseNoMessageAndDuplicateNone()
    {
        const int count = 300;
        var dead = await CreateQueueAsync("dead");
        var jobs = await CreateQueueAsync("jobs");
        for (var first = 0; first < count; first += 50)
        {
            await PostNumberedAsync(dead, Enumerable.Range(first, 50));
        }

        var moving = true;
        var mover = Task.Run(async () =>
        {
            var moved = 0;
            try
            {
                int? n;
                while ((n = await MoveAsync(dead, "jobs", limit: 7)) > 0)
                {
                    moved += n.Value;
                }
            }
            finally
            {
                Volatile.Write(ref moving, false);
            }

            return moved;
        });
        var poster = Task.Run(async () =>
        {
            var n = 1000;
            while (Volatile.Read(ref moving))
            {
                await PostNumberedAsync(jobs, [n++, n++]);
            }

            return n - 1000;
        });
        var claimers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var claimed = new List<int>();
            while (await ClaimAsync(dead, limit: 3, ttl: 600) is { } claim)
            {
                claimed.AddRange(claim.Messages.Select(N));
            }

            return claimed;
        })).ToList();

        var all = Task.WhenAll(claimers.Append<Task>(mover).Append(poster));
        await all.WaitAsync(TimeSpan.FromSeconds(120));
        var claimedOnce = claimers.SelectMany(c => c.Result).ToList();
        var inTarget = (await EveryMessageAsync(jobs)).Select(N).ToList();
        var movedToTarget = inTarget.Where(n => n < count).ToList();

        claimedOnce.Should().OnlyHaveUniqueItems("no message is claimed twice");
        movedToTarget.Should().HaveCount(mover.Result).And.BeInAscendingOrder("moved messages keep their order");
        movedToTarget.Intersect(claimedOnce).Should().BeEmpty("a claimed message is not moved");
        movedToTarget.Concat(claimedOnce).Should().BeEquivalentTo(Enumerable.Range(0, count), "no message is lost");
        inTarget.Where(n => n >= 1000).Should().Equal(Enumerable.Range(1000, poster.Result), "posts keep their order too");
        (await EveryMessageAsync(dead)).Select(N).Should().BeEquivalentTo(claimedOnce, "what was claimed stayed, held");
    }
}
