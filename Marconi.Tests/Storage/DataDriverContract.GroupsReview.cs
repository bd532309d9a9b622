using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Postgres;
using Npgsql;

namespace Marconi.Tests.Storage;

/// <summary>
/// The group rule where a review found it bent: a delayed message holds back the later messages of its
/// group; a renewal racing a grouped claim never gives the group out twice; a claim behind a held
/// group's deep backlog still finds the other groups.
/// </summary>
public abstract partial class DataDriverContract
{
    private async Task<string> PostGroupedDelayedAsync(QueueRef queue, string group, int n, int delay) =>
        (await Driver.Messages.PostAsync(queue,
            [new NewMessage(3600, $"{{\"n\":{n}}}", delay) { Group = group }], Producer, _now, default))!.Single();

    [SkippableFact]
    public async Task ADelayedMessageHoldsBackTheLaterMessagesOfItsGroup()
    {
        var queue = await CreateQueueAsync();
        var a1 = await PostGroupedDelayedAsync(queue, "a", 0, delay: 60);
        var a2 = await PostGroupedDelayedAsync(queue, "a", 1, delay: 0);
        var b1 = await PostGroupedDelayedAsync(queue, "b", 2, delay: 0);
        var b2 = await PostGroupedDelayedAsync(queue, "b", 3, delay: 60);
        var b3 = await PostGroupedDelayedAsync(queue, "b", 4, delay: 0);

        // a2 waits for a1's delay; b1 goes, b3 waits for b2's.
        (await Driver.Messages.NextClaimableAsync(queue, _now, default)).Should().Be(_now);
        var claim = await Driver.Claims.CreateAsync(queue, 30, 0, 10, _now, default);
        claim!.Messages.Select(m => m.Id).Should().Equal(b1);
        (await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default)).Should().BeEmpty();
        (await Driver.Messages.PopAsync(queue, 10, _now, default)).Should().BeEmpty();
        (await Driver.Messages.NextClaimableAsync(queue, _now, default)).Should().Be(_now.AddSeconds(30), "b1's claim ends first");

        await Driver.Claims.DeleteAsync(queue, claim.Id, default);
        (await Driver.Messages.PopAsync(queue, 10, _now, default)).Select(m => m.Id).Should().Equal(b1);
        (await Driver.Messages.NextClaimableAsync(queue, _now, default)).Should().Be(_now.AddSeconds(60), "the delays end then");

        Advance(60);
        (await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default))
            .Select(c => c.Messages.Single().Id).Should().Equal(a1, a2, b2, b3);
    }

    [SkippableFact]
    public async Task ARenewedGroupedClaimKeepsItsGroup()
    {
        var queue = await CreateQueueAsync();
        var a1 = await PostGroupedDelayedAsync(queue, "a", 0, delay: 0);
        var a2 = await PostGroupedDelayedAsync(queue, "a", 1, delay: 0);
        var claim = await Driver.Claims.CreateAsync(queue, 30, 0, 1, _now, default);
        OnlyId(claim).Should().Be(a1);

        Advance(29);
        (await Driver.Claims.UpdateAsync(queue, claim!.Id, 30, 0, _now, default)).Should().BeTrue();
        Advance(2);
        (await Driver.Claims.CreateAsync(queue, 30, 0, 10, _now, default)).Should().BeNull("the renewed claim still holds a");
        Advance(29);
        (await Driver.Claims.UpdateAsync(queue, claim.Id, 30, 0, _now, default)).Should().BeFalse("the claim has ended");
        (await Driver.Claims.CreateAsync(queue, 30, 0, 10, _now, default))!.Messages.Select(m => m.Id).Should().Equal(a1, a2);
    }

    /// <summary>
    /// The race a review proved: a renewal at T−1ms holds a1's row when a grouped claim at T+1ms, for
    /// which a1's claim has ended, comes along. The claim must not judge a2's group free on a snapshot
    /// taken before the renewal committed. Another session holds a1's row lock so both are seen waiting.
    /// </summary>
    [SkippableFact]
    public async Task ARenewalRacingAGroupedClaimNeverGivesTheGroupTwice()
    {
        Skip.IfNot(Driver is PostgresDataDriver, "row locks another session holds are PostgreSQL's");
        var driver = (PostgresDataDriver)Driver;
        var queue = await CreateQueueAsync();
        var a1 = await PostGroupedDelayedAsync(queue, "a", 0, delay: 0);
        await PostGroupedDelayedAsync(queue, "a", 1, delay: 0);
        var first = await Driver.Claims.CreateAsync(queue, 30, 0, 1, _now, default);
        OnlyId(first).Should().Be(a1);
        var end = _now.AddSeconds(30);

        Ids.TryParseMessageId(a1, out var marker).Should().BeTrue();
        await using var holder = await driver.Source.OpenConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM {driver.S}.messages WHERE marker = @marker FOR UPDATE", holder, hold))
        {
            lockRow.Parameters.AddWithValue("marker", marker);
            await lockRow.ExecuteNonQueryAsync();
        }

        var renewal = Driver.Claims.UpdateAsync(queue, first!.Id, 30, 0, end.AddMilliseconds(-1), default);
        await WaitForLockWaitersAsync(driver, 1);
        var claim = Driver.Claims.CreateAsync(queue, 30, 0, 10, end.AddMilliseconds(1), default);
        await WaitForLockWaitersAsync(driver, 2);
        await hold.CommitAsync();

        (await renewal).Should().BeTrue();
        (await claim).Should().BeNull("the renewed claim holds a1, so a2 must wait");
        (await Driver.Claims.CreateAsync(queue, 30, 0, 10, end.AddSeconds(31), default))!.Messages.Should().HaveCount(2);
    }

    /// <summary>Waits until <paramref name="count"/> sessions on the driver's schema wait for a lock (a row's or an advisory one).</summary>
    private static async Task WaitForLockWaitersAsync(PostgresDataDriver driver, int count)
    {
        await using var connection = await driver.Source.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 IN query) > 0", connection);
        command.Parameters.Add(new() { Value = driver.Schema });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((long)(await command.ExecuteScalarAsync(timeout.Token))! < count)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>
    /// A held group with a deep backlog before every other group: claims, pops and look-aheads still
    /// find the other groups' messages, in order, and never one of the held group. (The PostgreSQL
    /// driver reads a bounded part of the backlog; here only the answer is checked.)
    /// </summary>
    [SkippableFact]
    public async Task ATwentyThousandMessageHeldGroupHidesNoGroupBehindIt()
    {
        const int Backlog = 20_000;
        var queue = await CreateQueueAsync();
        var backlog = (await Driver.Messages.PostAsync(queue,
            Enumerable.Range(0, Backlog).Select(i => new NewMessage(3600, $"{{\"n\":{i}}}") { Group = "deep" }).ToList(),
            Producer, _now, default))!;
        var b1 = await PostGroupedDelayedAsync(queue, "b", 1, delay: 0);
        var b2 = await PostGroupedDelayedAsync(queue, "b", 2, delay: 0);
        await PostGroupedDelayedAsync(queue, "d", 3, delay: 60);
        await PostGroupedDelayedAsync(queue, "d", 4, delay: 0);
        var c1 = await PostGroupedDelayedAsync(queue, "c", 5, delay: 0);

        OnlyId(await Driver.Claims.CreateAsync(queue, 30, 0, 1, _now, default)).Should().Be(backlog[0]);
        (await Driver.Messages.NextClaimableAsync(queue, _now, default)).Should().Be(_now);
        var claims = await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default);
        claims.Select(c => c.Messages.Single().Id).Should().Equal(b1, b2, c1);
        (await Driver.Claims.CreateAsync(queue, 30, 0, 10, _now, default)).Should().BeNull();
        (await Driver.Messages.PopAsync(queue, 10, _now, default)).Should().BeEmpty();
        (await Driver.Messages.NextClaimableAsync(queue, _now, default)).Should().Be(_now.AddSeconds(30));

        // Once the first claim ends, the deep group goes on from its head.
        Advance(31);
        (await Driver.Claims.CreateAsync(queue, 30, 0, 3, _now, default))!.Messages.Select(m => m.Id)
            .Should().Equal(backlog[0], backlog[1], backlog[2]);
    }

    /// <summary>
    /// Very many small groups, most of them held: the held ones are passed over and the free ones
    /// after them given in order, one claim or pop at a time.
    /// </summary>
    [SkippableFact]
    public async Task ManySmallHeldGroupsHideNoFreeOne()
    {
        const int Groups = 1_500;
        var queue = await CreateQueueAsync();
        var ids = (await Driver.Messages.PostAsync(queue,
            Enumerable.Range(0, Groups).Select(i => new NewMessage(3600, $"{{\"n\":{i}}}") { Group = $"g{i}" }).ToList(),
            Producer, _now, default))!;

        var held = await Driver.Claims.CreateAsync(queue, 30, 0, 1_000, _now, default);
        held!.Messages.Should().HaveCount(1_000);
        (await Driver.Claims.CreateAsync(queue, 30, 0, 5, _now, default))!.Messages.Select(m => m.Id)
            .Should().Equal(ids.Skip(1_000).Take(5));
        (await Driver.Messages.PopAsync(queue, 5, _now, default)).Select(m => m.Id).Should().Equal(ids.Skip(1_005).Take(5));
    }

    /// <summary>
    /// The PostgreSQL wake-up look (for waiters on other hosts) counts what a claim would take: nothing
    /// of a held group however deep its backlog, the free groups after it, and plain queues as before.
    /// </summary>
    [SkippableFact]
    public async Task TheWakeUpLookCountsOnlyWhatAClaimWouldTake()
    {
        Skip.IfNot(Driver is PostgresDataDriver, "the wake-up look is PostgreSQL's");
        var wakeUps = new PostgresWakeUps(null!, (PostgresDataDriver)Driver, new Marconi.Tests.Support.ManualClock(_now),
            Microsoft.Extensions.Options.Options.Create(new PostgresStorageOptions()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresWakeUps>.Instance);
        var fifo = await CreateQueueAsync("fifo");
        var plain = await CreateQueueAsync("plain");
        await Driver.Messages.PostAsync(fifo,
            Enumerable.Range(0, 2_000).Select(i => new NewMessage(3600, $"{{\"n\":{i}}}") { Group = "deep" }).ToList(),
            Producer, _now, default);
        await PostAsync(plain, 3);
        OnlyId(await Driver.Claims.CreateAsync(fifo, 30, 0, 1, _now, default)).Should().NotBeNull();

        (await wakeUps.ClaimableAsync([fifo, plain], default)).Should().Equal((plain, 3));
        await PostGroupedDelayedAsync(fifo, "other", 0, delay: 0);
        await PostGroupedDelayedAsync(fifo, "other", 1, delay: 0);
        (await wakeUps.ClaimableAsync([fifo, plain], default)).Should().BeEquivalentTo([(fifo, 2), (plain, 3)]);
    }
}
