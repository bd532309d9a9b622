using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>The admin's project listing: projects that have live queues, in ordinal order, paged by marker, with their queue counts.</summary>
public abstract partial class DataDriverContract
{
    [SkippableFact]
    public async Task AnEmptyStoreListsNoProjects()
    {
        (await Driver.Queues.ListProjectsAsync(null, 10, default)).Should().BeEmpty();
        (await Driver.Queues.ListProjectsAsync("a", 10, default)).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task ProjectsAreListedInOrdinalOrderWithTheirQueueCounts()
    {
        await CreateQueueAsync("one", project: "a");
        await CreateQueueAsync("two", project: "a");
        await CreateQueueAsync("three", project: "a");
        await CreateQueueAsync("jobs", project: "B");
        await CreateQueueAsync("jobs", project: "a-b");
        await CreateQueueAsync("x", project: "_");
        await CreateQueueAsync("y", project: "_");

        // Ordinal, not by culture: "B" (0x42) before "_" (0x5F) before "a" (0x61), and "a" before "a-b".
        (await Driver.Queues.ListProjectsAsync(null, 10, default)).Should().Equal(
            new ProjectListItem("B", 1), new ProjectListItem("_", 2), new ProjectListItem("a", 3), new ProjectListItem("a-b", 1));
    }

    [SkippableFact]
    public async Task ProjectsPageStrictlyAfterTheMarker()
    {
        foreach (var project in new[] { "p3", "p1", "p4", "p2", "p5" })
        {
            await CreateQueueAsync("q1", project);
            await CreateQueueAsync("q2", project);
        }

        var first = await Driver.Queues.ListProjectsAsync(null, 2, default);
        first.Should().Equal(new ProjectListItem("p1", 2), new ProjectListItem("p2", 2));
        var second = await Driver.Queues.ListProjectsAsync(first[^1].Name, 2, default);
        second.Select(p => p.Name).Should().Equal("p3", "p4");
        (await Driver.Queues.ListProjectsAsync(second[^1].Name, 2, default)).Select(p => p.Name).Should().Equal("p5");
        (await Driver.Queues.ListProjectsAsync("p5", 2, default)).Should().BeEmpty();

        // A marker need not name a project: the page starts at the next name after it.
        (await Driver.Queues.ListProjectsAsync("p2x", 10, default)).Select(p => p.Name).Should().Equal("p3", "p4", "p5");
        (await Driver.Queues.ListProjectsAsync("", 1, default)).Select(p => p.Name).Should().Equal("p1");
    }

    [SkippableFact]
    public async Task DeletedQueuesAreNotCountedAndAProjectWithoutQueuesIsNotListed()
    {
        var kept = await CreateQueueAsync("kept", project: "busy");
        var gone = await CreateQueueAsync("gone", project: "busy");
        var last = await CreateQueueAsync("last", project: "leaving");
        await CreateQueueAsync("stays", project: "zeta");
        await PostAsync(gone, 3);
        await PostAsync(last, 3);
        await PostAsync(kept, 1);

        await Driver.Queues.DeleteAsync(gone, default);
        await Driver.Queues.DeleteAsync(last, default);

        (await Driver.Queues.ListProjectsAsync(null, 10, default)).Should().Equal(
            new ProjectListItem("busy", 1), new ProjectListItem("zeta", 1));

        // Purging keeps the queue; creating a deleted one again brings its project back.
        await Driver.Messages.PurgeAsync(kept, default);
        await CreateQueueAsync("last", project: "leaving");
        (await Driver.Queues.ListProjectsAsync(null, 10, default)).Should().Equal(
            new ProjectListItem("busy", 1), new ProjectListItem("leaving", 1), new ProjectListItem("zeta", 1));
    }

    [SkippableFact]
    public async Task TheDefaultNamespaceIsNotAProjectOfTheListing()
    {
        await CreateQueueAsync("anonymous", project: "");
        await CreateQueueAsync("jobs", project: "p1");

        (await Driver.Queues.ListProjectsAsync(null, 10, default)).Should().Equal(new ProjectListItem("p1", 1));
    }
}
