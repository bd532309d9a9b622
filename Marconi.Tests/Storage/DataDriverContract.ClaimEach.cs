using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>
/// Claims of one message each (SQS's receive): each message under a claim of its own, in FIFO
/// order, each claim living and ending on its own, and never a message in two live claims.
/// </summary>
public abstract partial class DataDriverContract
{
    [SkippableFact]
    public async Task ClaimEachGivesEveryMessageAClaimOfItsOwnInOrder()
    {
        var queue = await CreateQueueAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.AddRange(await PostOneAsync(queue, i));
        }

        var claims = await Driver.Claims.CreateEachAsync(queue, 30, 0, 3, _now, default);
        claims.Select(c => c.Messages.Single().Id).Should().Equal(ids.Take(3));
        claims.Select(c => c.Id).Should().OnlyHaveUniqueItems();
        claims.Should().OnlyContain(c => c.Messages[0].ClaimCount == 1 && c.Ttl == 30);

        // Each claim is its own: releasing one frees its message only.
        await Driver.Claims.DeleteAsync(queue, claims[1].Id, default);
        var next = await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default);
        next.Select(c => c.Messages.Single().Id).Should().Equal(ids[1], ids[3], ids[4]);
        (await Driver.Claims.GetAsync(queue, claims[0].Id, _now, default))!.Messages.Single().Id.Should().Be(ids[0]);

        (await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default)).Should().BeEmpty();
        (await Driver.Claims.CreateEachAsync(queue with { Name = "missing" }, 30, 0, 10, _now, default)).Should().BeEmpty();

        Advance(31);
        (await Driver.Claims.CreateEachAsync(queue, 30, 0, 10, _now, default)).Select(c => c.Messages.Single().Id).Should().Equal(ids);
    }

    [SkippableFact]
    public async Task ClaimEachDeadLettersAsClaimsDo()
    {
        var queue = await CreateQueueAsync();
        var first = await PostOneAsync(queue, 0);
        var second = await PostOneAsync(queue, 1);
        var policy = new DeadLetterPolicy(1, "each-dead");
        (await Driver.Claims.CreateEachAsync(queue, 30, 0, 1, _now, default, policy)).Single().Messages.Single().Id.Should().Be(first[0]);
        Advance(31);
        // The first has been claimed once: it moves; the second is claimed in its place.
        var claims = await Driver.Claims.CreateEachAsync(queue, 30, 0, 5, _now, default, policy);
        claims.Select(c => c.Messages.Single().Id).Should().Equal(second);
        var dead = await Driver.Messages.ListAsync(queue with { Name = "each-dead" },
            new MessageListQuery(null, 10, Echo: true, IncludeClaimed: true, Guid.Empty), _now, default);
        dead.Should().ContainSingle();
    }

    [SkippableFact]
    public async Task ConcurrentClaimEachNeverSharesAMessage()
    {
        var queue = await CreateQueueAsync();
        for (var i = 0; i < 40; i++)
        {
            await PostOneAsync(queue, i);
        }

        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Driver.Claims.CreateEachAsync(queue, 60, 0, 10, _now, default)));
        var claimed = batches.SelectMany(b => b).Select(c => c.Messages.Single().Id).ToList();
        claimed.Should().HaveCount(40).And.OnlyHaveUniqueItems();
        foreach (var batch in batches)
        {
            batch.Select(c => c.Messages[0].Id).Should().BeInAscendingOrder(StringComparer.Ordinal);
        }
    }

    [SkippableFact]
    public async Task DeleteEachDeletesWhatItsClaimHoldsAndSaysWhyNotOfTheRest()
    {
        var queue = await CreateQueueAsync();
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.AddRange(await PostOneAsync(queue, i));
        }

        var claims = await Driver.Claims.CreateEachAsync(queue, 30, 0, 3, _now, default);
        var outcomes = await Driver.Messages.DeleteEachAsync(queue,
        [
            (ids[0], claims[0].Id),
            (ids[1], claims[2].Id),
            (ids[2], claims[2].Id),
            (ids[3], claims[0].Id),
            ("not-an-id", claims[1].Id),
        ], _now, default);
        // As one delete at a time would answer (contract 3.14): another live claim holds ids[1]; no live claim holds ids[3].
        outcomes.Should().Equal(
            MessageDeleteOutcome.Done, MessageDeleteOutcome.HeldByClaim, MessageDeleteOutcome.Done,
            MessageDeleteOutcome.NotHeldByClaim, MessageDeleteOutcome.Done);
        (await Driver.Messages.GetManyAsync(queue, ids, _now, default)).Select(m => m.Id).Should().Equal(ids[1], ids[3]);
    }
}
