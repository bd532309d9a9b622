using System.Collections.Concurrent;
using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Tests.Storage;

/// <summary>
/// Several hosts sharing one store: <see cref="Driver"/> and peers opened on the same storage, as
/// hosts a, b and c would. One driver instance serialising its own work proves nothing here; these
/// tests fail for a driver whose instances only agree with themselves.
/// </summary>
public abstract partial class DataDriverContract
{
    private readonly List<IDataDriver> _peers = [];

    /// <summary>
    /// Opens another driver on the storage of <see cref="Driver"/>, as a second host sharing it would;
    /// null when the driver cannot share its storage, and the tests across hosts then skip saying so.
    /// The contract closes each peer with <see cref="ClosePeerAsync"/> before it closes <see cref="Driver"/>.
    /// </summary>
    protected virtual Task<IDataDriver?> OpenPeerAsync() => Task.FromResult<IDataDriver?>(null);

    /// <summary>Closes a peer; its storage stays, as it is <see cref="Driver"/>'s, which <see cref="CloseAsync"/> removes.</summary>
    protected virtual async Task ClosePeerAsync(IDataDriver peer)
    {
        if (peer is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    /// <summary><see cref="Driver"/> and two peers on its storage: hosts a, b and c.</summary>
    private async Task<IDataDriver[]> HostsAsync()
    {
        var hosts = new List<IDataDriver> { Driver };
        while (hosts.Count < 3)
        {
            var peer = await OpenPeerAsync();
            Skip.If(peer is null, $"{GetType().Name} opens no peer: its driver cannot share its storage with another instance.");
            _peers.Add(peer!);
            hosts.Add(peer!);
        }

        return [.. hosts];
    }

    [SkippableFact]
    public async Task ClaimersOnSeveralHostsReceiveEveryMessageExactlyOnce()
    {
        var hosts = await HostsAsync();
        var queue = await CreateQueueAsync();
        var posted = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            posted.AddRange(await PostAsync(queue, 50));
        }

        // In rounds: all 18 claim at once, then again until every claim comes back empty. Claimers that
        // never paused would let one host's writer hold a SQLite file all along and starve the others
        // for seconds (its lock is not fair), and this test would run on one host only.
        var claimed = new ConcurrentBag<(int Host, string Id)>();
        var claimers = hosts.SelectMany((host, h) => Enumerable.Repeat((host, h), 6)).ToList();
        while (true)
        {
            var round = await Task.WhenAll(claimers.Select(c => Task.Run(async () =>
            {
                var claim = await c.host.Claims.CreateAsync(queue, 60, 60, 7, _now, default);
                foreach (var message in claim?.Messages ?? [])
                {
                    claimed.Add((c.h, message.Id));
                }

                return claim is not null;
            })));
            if (!round.Any(got => got))
            {
                break;
            }
        }

        claimed.Select(c => c.Id).Should().HaveCount(posted.Count).And.OnlyHaveUniqueItems();
        claimed.Select(c => c.Id).Should().BeEquivalentTo(posted);
        claimed.Select(c => c.Host).Distinct().Should().HaveCount(hosts.Length, "every host claimed");
    }

    [SkippableFact]
    public async Task AMessagePostedWithoutDelayIsVisibleAtOnceToAHostWhoseClockReadsEarlier()
    {
        var (a, b) = await HostsAsync() switch { var h => (h[0], h[1]) };
        var queue = await CreateQueueAsync();
        var first = await PostAsync(queue, 1);
        // Posted by a host whose clock reads half a second later than b's (all read the store's clock,
        // within its skew): a pager on b that missed it would page past it for good.
        var late = _now.AddMilliseconds(500);
        var second = (await a.Messages.PostAsync(queue, [new NewMessage(300, "{\"n\":1}")], Producer, late, default))!;
        var third = (await a.Messages.PostAsync(queue, [new NewMessage(300, "{\"n\":2}", delay: 1)], Producer, late, default))!;

        var page = await b.Messages.ListAsync(queue, new MessageListQuery(null, 10, true, false, Consumer), _now, default);
        page.Select(m => m.Id).Should().Equal(first.Concat(second), "a message without a delay is visible at once, the delayed one is not");
        (await b.Messages.NextClaimableAsync(queue, _now, default)).Should().Be(_now);
        (await b.Claims.CreateAsync(queue, 60, 60, 10, _now, default))!.Messages.Select(m => m.Id).Should().Equal(first.Concat(second));
        third.Should().ContainSingle();
    }

    [SkippableFact]
    public async Task ALiveClaimMadeOnOneHostExcludesTheOthersUntilItExpires()
    {
        var (a, b, c) = await HostsAsync() switch { var h => (h[0], h[1], h[2]) };
        var queue = await CreateQueueAsync();
        var ids = await PostAsync(queue, 12);

        var held = await a.Claims.CreateAsync(queue, 60, 60, 10, _now, default);
        held!.Messages.Select(m => m.Id).Should().Equal(ids.Take(10));
        var rest = await c.Claims.CreateAsync(queue, 60, 60, 10, _now, default);
        rest!.Messages.Select(m => m.Id).Should().Equal(ids.Skip(10), "c takes only what a's claim left free");

        for (var second = 0; second < 60; second++)
        {
            foreach (var other in new[] { b, c })
            {
                (await other.Claims.CreateAsync(queue, 60, 60, 20, _now, default)).Should().BeNull($"a's claim is live at +{second} s");
                (await other.Claims.GetAsync(queue, held.Id, _now, default))!.Messages.Select(m => m.Id)
                    .Should().Equal(ids.Take(10));
            }

            Advance(1);
        }

        var after = await b.Claims.CreateAsync(queue, 60, 60, 20, _now, default);
        after!.Messages.Select(m => m.Id).Should().Equal(ids, "a's claim (and c's) expired at +60 s");
        (await c.Claims.GetAsync(queue, held.Id, _now, default)).Should().BeNull();
    }

    [SkippableFact]
    public async Task AReaderPagingOnOneHostWhileEveryHostPostsSeesEachMessageOnceInAcknowledgementOrder()
    {
        var hosts = await HostsAsync();
        var queue = await CreateQueueAsync();
        var reader = hosts[2];
        var producing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The reader pages by marker without pause while the posts commit, so a marker drawn before
        // another but committed after it would be passed over; then it reads on to the end.
        var read = Task.Run(async () =>
        {
            var listed = new List<StoredMessage>();
            var pagesWhileProducing = 0;
            string? marker = null;
            while (true)
            {
                var done = producing.Task.IsCompleted;
                var page = await reader.Messages.ListAsync(queue, new MessageListQuery(marker, 5, true, false, Consumer), _now, default);
                if (page.Count > 0)
                {
                    listed.AddRange(page);
                    marker = page[^1].Marker;
                    pagesWhileProducing += done ? 0 : 1;
                }
                else if (done)
                {
                    return (listed, pagesWhileProducing);
                }
            }
        });

        var producers = hosts.SelectMany(host => Enumerable.Range(0, 4).Select(_ => (host, id: Guid.NewGuid())))
            .Select(p => Task.Run(async () =>
            {
                var ids = new List<string>();
                for (var i = 0; i < 25; i++)
                {
                    var batch = new[] { new NewMessage(600, $"{{\"i\":{i},\"n\":0}}"), new NewMessage(600, $"{{\"i\":{i},\"n\":1}}") };
                    ids.AddRange((await p.host.Messages.PostAsync(queue, batch, p.id, _now, default))!);
                }

                return ids;
            }))
            .ToList();
        var perProducer = await Task.WhenAll(producers);
        producing.SetResult();
        var (seen, pages) = await read;

        pages.Should().BeGreaterThan(1, "the reader paged while the posts went on");
        seen.Select(m => m.Id).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(perProducer.SelectMany(x => x), "nothing is skipped or seen twice");
        var position = seen.Select((m, i) => (m.Id, i)).ToDictionary(x => x.Id, x => x.i);
        foreach (var ids in perProducer)
        {
            ids.Select(id => position[id]).Should().BeInAscendingOrder("a producer's posts are read in the order they were acknowledged");
            for (var i = 0; i < ids.Count; i += 2)
            {
                position[ids[i + 1]].Should().Be(position[ids[i]] + 1, "the two messages of one post are adjacent");
            }
        }
    }

    [SkippableFact]
    public async Task CollectorsOnEveryHostAtOnceRemoveEachExpiredRowOnceAndChangeNothingVisible()
    {
        var hosts = await HostsAsync();
        var jobs = await CreateQueueAsync();
        var mail = await CreateQueueAsync("mail");
        // Claims first, of long-lived messages, so no claim extends a message that is to expire.
        var kept = await PostAsync(jobs, 20, ttl: 600);
        for (var i = 0; i < 5; i++)
        {
            await Driver.Claims.CreateAsync(jobs, 60, 60, 2, _now, default);
        }

        var expiringMessages = 0;
        foreach (var queue in new[] { jobs, mail })
        {
            for (var i = 0; i < 10; i++)
            {
                expiringMessages += (await PostAsync(queue, 30, ttl: 60)).Count;
            }
        }

        for (var i = 0; i < 3; i++)
        {
            await Driver.Subscriptions.CreateAsync(jobs, $"http://example.test/{i}", 60, "{}", _now, default);
        }

        var expiredRows = expiringMessages + 5 + 3;
        Advance(200);
        var before = await VisibleAsync(hosts[1]);

        var removed = await Task.WhenAll(hosts.Select(host => Task.Run(() => host.CollectGarbageAsync(_now, default))));

        removed.Sum().Should().Be(expiredRows);
        foreach (var host in hosts)
        {
            (await VisibleAsync(host)).Should().BeEquivalentTo(before, o => o.WithStrictOrdering());
            (await host.CollectGarbageAsync(_now, default)).Should().Be(0);
        }

        before.Jobs.Should().Equal(kept);

        async Task<(List<string> Jobs, QueueStats Stats, List<string> Mail, int Subscriptions)> VisibleAsync(IDataDriver host) => (
            (await host.Messages.ListAsync(jobs, new MessageListQuery(null, 100, true, true, Consumer), _now, default)).Select(m => m.Id).ToList(),
            (await host.Queues.GetStatsAsync(jobs, _now, default))!,
            (await host.Messages.ListAsync(mail, new MessageListQuery(null, 100, true, true, Consumer), _now, default)).Select(m => m.Id).ToList(),
            (await host.Subscriptions.ListAsync(jobs, null, 10, _now, default)).Count);
    }
}
