using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>
/// Deleted and purged queues: gone for clients at once, whenever a driver actually removes their
/// rows. Nothing of the old queue may show through a queue created again under the same name.
/// </summary>
public abstract partial class DataDriverContract
{
    [SkippableFact]
    public async Task NothingOfADeletedQueueShowsThroughAQueueCreatedAgainUnderItsName()
    {
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 5);
        var stale = (await ListAsync(queue))[^1].Marker;
        var claim = await ClaimAsync(queue, limit: 2);

        await Driver.Queues.DeleteAsync(queue, default);
        (await Driver.Queues.ExistsAsync(queue, default)).Should().BeFalse();
        (await Driver.Queues.GetStatsAsync(queue, _now, default)).Should().BeNull();
        (await Driver.Messages.PostAsync(queue, [new NewMessage(60, "1")], Producer, _now, default)).Should().BeNull();

        await CreateQueueAsync();
        (await AllAsync(queue)).Should().BeEmpty();
        (await Driver.Queues.GetStatsAsync(queue, _now, default)).Should().BeEquivalentTo(new QueueStats(0, 0, null, null));
        (await Driver.Messages.GetAsync(queue, ids[0], _now, default)).Should().BeNull();
        (await Driver.Messages.PopAsync(queue, 10, _now, default)).Should().BeEmpty();
        (await ClaimAsync(queue)).Should().BeNull();
        (await Driver.Claims.GetAsync(queue, claim!.Id, _now, default)).Should().BeNull();
        (await Driver.Claims.UpdateAsync(queue, claim.Id, 60, 60, _now, default)).Should().BeFalse();

        var fresh = await PostAsync(queue, 2);
        fresh.Should().NotIntersectWith(ids);
        (await ListAsync(queue, marker: stale)).Select(m => m.Id).Should().Equal(fresh);
        // The old claim names no live claim of this queue, so it cannot delete the new messages.
        (await Driver.Messages.DeleteAsync(queue, fresh[0], claim.Id, _now, default))
            .Should().Be(MessageDeleteOutcome.NotHeldByClaim);
        await Driver.Messages.DeleteManyAsync(queue, ids, default);
        (await ClaimAsync(queue))!.Messages.Select(m => m.Id).Should().Equal(fresh);
    }

    [SkippableFact]
    public async Task DeletedAndPurgedQueuesLeaveTheMessageVolumeAtOnce()
    {
        var kept = await CreateQueueAsync("kept");
        await PostAsync(kept, 2, ttl: 600);
        await ClaimAsync(kept, limit: 1, ttl: 600);
        foreach (var name in new[] { "deleted", "purged" })
        {
            var queue = await CreateQueueAsync(name);
            await PostAsync(queue, 3, ttl: 60);
            await PostAsync(queue, 4, ttl: 600);
            await ClaimAsync(queue, limit: 2, ttl: 600);
        }

        // Expired and claimed messages of the gone queues count nowhere, not even as a correction.
        Advance(120);
        await Driver.Queues.DeleteAsync(Queue("deleted"), default);
        await Driver.Messages.PurgeAsync(Queue("purged"), default);

        (await Driver.Messages.GetMessageVolumeAsync(_now, default)).Should().Be(new MessageVolume(1, 1, 2));
        await Driver.CollectGarbageAsync(_now, default);
        (await Driver.Messages.GetMessageVolumeAsync(_now, default)).Should().Be(new MessageVolume(1, 1, 2));
    }

    [SkippableFact]
    public async Task APurgedQueueKeepsItsNameMetadataAndSettingsButNoneOfItsMessages()
    {
        var queue = await CreateQueueAsync();
        await Driver.Queues.SetMetadataAsync(queue, """{"_max_claim_count":2}""", default);
        var ids = await PostAsync(queue, 4);
        var claim = await ClaimAsync(queue, limit: 2);

        await Driver.Messages.PurgeAsync(queue, default);

        (await Driver.Queues.ExistsAsync(queue, default)).Should().BeTrue();
        (await Driver.Queues.ListAsync("p1", null, 10, detailed: true, default))
            .Should().Equal(new QueueListItem("jobs", """{"_max_claim_count":2}"""));
        (await Driver.Queues.CountAsync("p1", default)).Should().Be(1);
        (await Driver.Messages.GetManyAsync(queue, ids, _now, default)).Should().BeEmpty();

        var fresh = await PostAsync(queue, 1);
        (await Driver.Messages.DeleteAsync(queue, fresh[0], claim!.Id, _now, default))
            .Should().Be(MessageDeleteOutcome.NotHeldByClaim);
        await Driver.Claims.DeleteAsync(queue, claim.Id, default);
        (await Driver.Queues.GetStatsAsync(queue, _now, default))!.Total.Should().Be(1);
        (await AllAsync(queue)).Select(m => m.Id).Should().Equal(fresh);
    }

    [SkippableFact]
    public async Task ADeadLetterQueueDeletedAndCreatedAgainByAMoveHoldsOnlyTheMovedMessages()
    {
        var queue = await CreateQueueAsync();
        var dead = await CreateQueueAsync("dead");
        await PostAsync(dead, 3);
        await PostAsync(queue, 2);
        await Driver.Queues.DeleteAsync(dead, default);

        (await ClaimAsync(queue, limit: 2, deadLetter: new DeadLetterPolicy(0, "dead"))).Should().BeNull();

        (await ListAsync(dead)).Select(N).Should().Equal(0, 1);
        (await Driver.Queues.GetStatsAsync(dead, _now, default))!.Total.Should().Be(2);
    }
}
