using System.Collections.Concurrent;
using Marconi.Client;
using Marconi.Tests.Zmq;

namespace Marconi.Tests.Client;

/// <summary>The consumer tests over HTTP.</summary>
public sealed class HttpClientConsumerTests(MarconiZmqFactory factory) : ClientConsumerTests(factory, f => f.ServerAddress);

/// <summary>The same tests over ZeroMQ.</summary>
public sealed class ZmqClientConsumerTests(MarconiZmqFactory factory) : ClientConsumerTests(factory, f => new Uri(f.ZmqEndpoint));

/// <summary>
/// <see cref="MarconiQueue.ConsumeAsync(Func{MarconiMessage, CancellationToken, Task}, ConsumeOptions?, CancellationToken)"/> and its
/// <c>await foreach</c> form against the real host: every message handled once, failures given back, claims renewed past
/// their TTL (the server's clock is the factory's manual one), and a stop that leaves no claim behind.
/// </summary>
public abstract class ClientConsumerTests : IClassFixture<MarconiZmqFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly MarconiZmqFactory _factory;
    private readonly Uri _endpoint;
    private readonly string _project = "consume-" + Guid.NewGuid().ToString("N");
    private readonly List<MarconiClient> _clients = [];

    protected ClientConsumerTests(MarconiZmqFactory factory, Func<MarconiZmqFactory, Uri> endpoint)
    {
        _factory = factory;
        _endpoint = endpoint(factory);
    }

    [Fact]
    public async Task AClaimWithAWaitIsAnsweredByAPostMadeMeanwhile()
    {
        var producer = NewClient();
        var queue = await producer.CreateQueueAsync("waiting");
        var waiting = NewClient().Queue("waiting").ClaimAsync(limit: 1, ttl: 60, wait: 20);
        var popping = NewClient().Queue("waiting").PopAsync(1, wait: 20);
        var ids = await producer.Queue("waiting").PostAsync([new OutgoingMessage(new { n = 1 }, 3600), new OutgoingMessage(new { n = 2 }, 3600)]);

        var claim = await waiting.WaitAsync(TimeSpan.FromSeconds(15));
        var popped = await popping.WaitAsync(TimeSpan.FromSeconds(15));
        claim.Should().NotBeNull("the wait was sent, and the post answered it");
        claim!.Messages.Concat<object>(popped).Should().HaveCount(2);
        claim.Messages.Select(m => m.Id).Concat(popped.Select(p => p.Id)).Should().BeEquivalentTo(ids);
        _ = queue;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task EveryMessageIsHandledExactlyOnceByParallelHandlers()
    {
        var queue = await NewClient().CreateQueueAsync("many");
        var posted = new List<string>();
        for (var batch = 0; batch < 15; batch++)
        {
            posted.AddRange(await queue.PostAsync(Enumerable.Range(0, 20).Select(i => new OutgoingMessage(new { n = batch * 20 + i }, 3600))));
        }

        var handled = new ConcurrentDictionary<string, int>();
        var running = 0;
        var mostAtOnce = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var consumer = NewClient().Queue("many").ConsumeAsync(async (message, _) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref mostAtOnce, now);
            await Task.Yield();
            handled.AddOrUpdate(message.Id, 1, (_, n) => n + 1);
            Interlocked.Decrement(ref running);
            if (handled.Count == posted.Count)
            {
                all.TrySetResult();
            }
        }, new ConsumeOptions { MaxConcurrency = 8, BatchSize = 5, Wait = 1 }, stop.Token);

        await all.Task.WaitAsync(Patience);
        await stop.CancelAsync();
        await consumer.WaitAsync(Patience);

        handled.Keys.Should().BeEquivalentTo(posted);
        handled.Values.Should().OnlyContain(n => n == 1, "each message was deleted after its handler returned, and never claimed again");
        mostAtOnce.Should().BeInRange(2, 8, "handlers ran in parallel, within the bound");
        (await queue.GetStatsAsync()).Total.Should().Be(0);
    }

    [Fact]
    public async Task AFailingHandlersMessageComesBackAndIsHandledAgain()
    {
        var queue = await NewClient().CreateQueueAsync("failing");
        var id = await queue.PostAsync(new { job = "flaky" }, ttl: 3600);
        var attempts = 0;
        var succeeded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var consumer = NewClient().Queue("failing").ConsumeAsync((message, _) =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
            {
                throw new InvalidOperationException("the first attempt fails");
            }

            succeeded.TrySetResult();
            return Task.CompletedTask;
        }, new ConsumeOptions { Wait = 1 }, stop.Token);

        await succeeded.Task.WaitAsync(Patience);
        await stop.CancelAsync();
        await consumer.WaitAsync(Patience);

        attempts.Should().Be(2, "the failed message was released and claimed again, once");
        (await queue.GetStatsAsync()).Total.Should().Be(0, $"message {id} was deleted after the second attempt");
    }

    [Fact]
    public async Task ASlowHandlerKeepsItsClaimPastTheClaimTtlThroughRenewals()
    {
        var queue = await NewClient().CreateQueueAsync("slow");
        await queue.PostAsync(new { job = "slow" }, ttl: 3600);
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var consumer = NewClient().Queue("slow").ConsumeAsync(async (message, _) =>
        {
            started.TrySetResult(message.ClaimId!);
            await gate.Task;
            handled.TrySetResult();
        }, new ConsumeOptions { ClaimTtl = 60, HeartbeatInterval = TimeSpan.FromMilliseconds(100), Wait = 1 }, stop.Token);

        var claimId = await started.Task.WaitAsync(Patience);
        var other = NewClient().Queue("slow");
        for (var round = 0; round < 3; round++)
        {
            // 120 s in all on the server's clock, twice the TTL: only renewals keep the claim.
            _factory.Clock.Advance(TimeSpan.FromSeconds(40));
            await RenewedAsync(other, claimId);
        }

        (await other.ClaimAsync(limit: 10, ttl: 60)).Should().BeNull("the first consumer still holds the message");
        gate.SetResult();
        await handled.Task.WaitAsync(Patience);
        await stop.CancelAsync();
        await consumer.WaitAsync(Patience);
        (await queue.GetStatsAsync()).Total.Should().Be(0, "the slow handler's message was deleted with the claim it kept");
    }

    [Fact]
    public async Task CancellingStopsCleanlyAndLeavesNoClaimBehind()
    {
        var queue = await NewClient().CreateQueueAsync("cancelled");
        var id = await queue.PostAsync(new { job = "long" }, ttl: 3600);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancellation = false;
        using var stop = new CancellationTokenSource();
        var consumer = NewClient().Queue("cancelled").ConsumeAsync(async (_, ct) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                sawCancellation = true;
                throw;
            }
        }, new ConsumeOptions { Wait = 1 }, stop.Token);

        // One handler, busy: no long poll is out when the stop comes. With a handler free one is, and a message released
        // on the way out may be claimed for it before the server has seen the poll's connection close.
        await started.Task.WaitAsync(Patience);
        await stop.CancelAsync();
        await consumer.WaitAsync(Patience); // returns, without an exception

        sawCancellation.Should().BeTrue("the handler's token is cancelled when the consumer stops");
        var again = await queue.ClaimAsync(limit: 10, ttl: 60);
        again.Should().NotBeNull("the unfinished message's claim was released on the way out");
        again!.Messages.Select(m => m.Id).Should().Equal(id);
    }

    [Fact]
    public async Task TheAwaitForeachFormDeletesCompletedMessagesAndGivesBackAbandonedOnes()
    {
        var queue = await NewClient().CreateQueueAsync("foreach");
        var ids = await queue.PostAsync([new OutgoingMessage(new { n = 1 }, 3600), new OutgoingMessage(new { n = 2 }, 3600), new OutgoingMessage(new { n = 3 }, 3600)]);
        var seen = new List<string>();
        var completed = new HashSet<string>();
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var message in NewClient().Queue("foreach").ConsumeAsync(new ConsumeOptions { MaxConcurrency = 2, Wait = 1 }, timeout.Token))
        {
            seen.Add(message.Id);
            message.Body.GetProperty("n").GetInt32().Should().BeInRange(1, 3);
            if (message.Id == ids[1] && seen.Count(s => s == ids[1]) == 1)
            {
                message.Abandon(); // given back: it comes round again
                continue;
            }

            await message.CompleteAsync();
            completed.Add(message.Id);
            if (completed.Count == 3)
            {
                break;
            }
        }

        timeout.IsCancellationRequested.Should().BeFalse();
        completed.Should().BeEquivalentTo(ids);
        seen.Count(s => s == ids[1]).Should().Be(2);
        (await queue.GetStatsAsync()).Total.Should().Be(0);
    }

    [Fact]
    public async Task LeavingTheAwaitForeachLoopGivesBackTheUnsettledMessage()
    {
        var queue = await NewClient().CreateQueueAsync("leaving");
        var id = await queue.PostAsync(new { job = 1 }, ttl: 3600);
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var message in NewClient().Queue("leaving").ConsumeAsync(new ConsumeOptions { Wait = 1 }, timeout.Token))
        {
            message.Id.Should().Be(id);
            break; // neither completed nor abandoned
        }

        var again = await queue.ClaimAsync(limit: 10, ttl: 60);
        again.Should().NotBeNull("the message left unsettled was released when the loop ended");
        again!.Messages.Select(m => m.Id).Should().Equal(id);
    }

    [Fact]
    public async Task StopWhenEmptyDrainsTheQueueAndReturns()
    {
        var queue = await NewClient().CreateQueueAsync("drain");
        await queue.PostAsync(Enumerable.Range(0, 7).Select(i => new OutgoingMessage(new { i }, 3600)));
        var count = 0;
        await NewClient().Queue("drain").ConsumeAsync((_, _) =>
        {
            Interlocked.Increment(ref count);
            return Task.CompletedTask;
        }, new ConsumeOptions { MaxConcurrency = 3, Wait = 0, StopWhenEmpty = true }).WaitAsync(Patience);

        count.Should().Be(7);
        (await queue.GetStatsAsync()).Total.Should().Be(0);
    }

    /// <summary>Waits until the claim was renewed after the clock moved (its age is back under 40 s), as another client sees it.</summary>
    private static async Task RenewedAsync(MarconiQueue queue, string claimId)
    {
        var deadline = DateTime.UtcNow + Patience;
        while ((await queue.GetClaimAsync(claimId)).Age >= 40)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the consumer renews the claim every 100 ms");
            await Task.Delay(20);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private MarconiClient NewClient()
    {
        var client = new MarconiClient(new MarconiClientOptions { Endpoint = _endpoint, ProjectId = _project });
        _clients.Add(client);
        return client;
    }
}
