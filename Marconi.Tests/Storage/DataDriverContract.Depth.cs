using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>The deepest queues of every project, for metrics: bounded, deepest first, counts as stats count them.</summary>
public abstract partial class DataDriverContract
{
    [SkippableFact]
    public async Task TheDeepestQueuesComeFirstWithTheirFreeAndClaimedMessages()
    {
        await CreateQueueAsync("empty");
        var shallow = await CreateQueueAsync("shallow", project: "p2");
        var deep = await CreateQueueAsync("deep");
        var middle = await CreateQueueAsync("middle");
        await PostAsync(shallow, 1);
        await PostAsync(deep, 4);
        await PostAsync(deep, 2, ttl: 60);
        await PostAsync(middle, 3);
        await ClaimAsync(deep, limit: 2, ttl: 600);

        (await Driver.Queues.ListDeepestAsync(2, _now, default)).Should().Equal(
            new QueueDepth(deep, 4, 2), new QueueDepth(middle, 3, 0));
        (await Driver.Queues.ListDeepestAsync(10, _now, default)).Select(d => d.Queue).Should().Equal(deep, middle, shallow);

        // Expired messages leave the counts at once, before the collector removes them.
        Advance(120);
        (await Driver.Queues.ListDeepestAsync(1, _now, default)).Should().Equal(new QueueDepth(deep, 2, 2));
        (await Driver.Queues.ListDeepestAsync(0, _now, default)).Should().BeEmpty();

        await Driver.Queues.DeleteAsync(deep, default);
        (await Driver.Queues.ListDeepestAsync(10, _now, default)).Select(d => d.Queue).Should().Equal(middle, shallow);
    }
}
