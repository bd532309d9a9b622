using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>Queue creation with metadata, conditional metadata replacement and queue counts (v1.1/v2 queues).</summary>
public abstract partial class DataDriverContract
{
    [SkippableFact]
    public async Task AQueueIsCreatedWithItsMetadataOnlyWhenNew()
    {
        (await Driver.Queues.CreateAsync(Queue(), _now, default, """{"color":"red"}""")).Should().BeTrue();
        (await Driver.Queues.CreateAsync(Queue(), _now, default, """{"color":"blue"}""")).Should().BeFalse();
        (await Driver.Queues.GetMetadataAsync(Queue(), default)).Should().Be("""{"color":"red"}""");
        (await Driver.Queues.CreateAsync(Queue("plain"), _now, default)).Should().BeTrue();
        (await Driver.Queues.GetMetadataAsync(Queue("plain"), default)).Should().Be("{}");
    }

    [SkippableFact]
    public async Task MetadataIsReplacedOnlyWhileItIsTheExpectedValue()
    {
        await Driver.Queues.CreateAsync(Queue(), _now, default, """{"v":1}""");
        (await Driver.Queues.ReplaceMetadataAsync(Queue(), """{"v":0}""", """{"v":2}""", default))
            .Should().Be(MetadataReplaceOutcome.Changed);
        (await Driver.Queues.GetMetadataAsync(Queue(), default)).Should().Be("""{"v":1}""");
        (await Driver.Queues.ReplaceMetadataAsync(Queue(), """{"v":1}""", """{"v":2}""", default))
            .Should().Be(MetadataReplaceOutcome.Replaced);
        (await Driver.Queues.GetMetadataAsync(Queue(), default)).Should().Be("""{"v":2}""");
        (await Driver.Queues.ReplaceMetadataAsync(Queue("missing"), "{}", """{"v":3}""", default))
            .Should().Be(MetadataReplaceOutcome.QueueMissing);
    }

    [SkippableFact]
    public async Task ConcurrentReplacementsOfTheSameValueLetOnlyOneWin()
    {
        await Driver.Queues.CreateAsync(Queue(), _now, default, "{}");
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Driver.Queues.ReplaceMetadataAsync(Queue(), "{}", $$"""{"writer":{{i}}}""", default))));
        outcomes.Count(o => o == MetadataReplaceOutcome.Replaced).Should().Be(1);
    }

    [SkippableFact]
    public async Task QueuesAreCountedPerProject()
    {
        await CreateQueueAsync("a");
        await CreateQueueAsync("b");
        await CreateQueueAsync("a", project: "p2");
        (await Driver.Queues.CountAsync("p1", default)).Should().Be(2);
        (await Driver.Queues.CountAsync("p2", default)).Should().Be(1);
        (await Driver.Queues.CountAsync("nobody", default)).Should().Be(0);
        await Driver.Queues.DeleteAsync(Queue("a"), default);
        (await Driver.Queues.CountAsync("p1", default)).Should().Be(1);
    }
}
