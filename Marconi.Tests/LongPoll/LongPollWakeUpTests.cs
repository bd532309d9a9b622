using System.Net;
using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Storage;
using Marconi.Tests.Http;
using Marconi.Tests.Zaqar;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Marconi.Tests.LongPoll;

/// <summary>
/// The host on a fake clock that the tests move: waiters wake when a claim expires or a delay ends
/// (timers set from the store, not polling), their wait ends on the clock, hosts sharing a store
/// look again every <c>ClaimWaitRecheckSeconds</c>, and shutdown answers them.
/// </summary>
public sealed class LongPollWakeUpTests
{
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AnExpiringClaimWakesAWaiterForItsMessages()
    {
        using var factory = new FakeClockFactory();
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedV2Async("v2", queue, 1);
        await client.ClaimV2Async("v2", queue, """{"ttl": 60}""");

        var waiter = client.PostAsync($"/v2/queues/{queue}/claims?wait=200", null);
        await LongPollClaimTests.WaitForWaitersAsync(factory.Waiters, client.Project!, queue, 1);
        factory.Time.Advance(TimeSpan.FromSeconds(59));
        waiter.IsCompleted.Should().BeFalse("the claim still holds the message");
        factory.Time.Advance(TimeSpan.FromSeconds(1));

        var body = await (await waiter.WaitAsync(Promptly)).ShouldBeJsonAsync(HttpStatusCode.Created);
        body.GetProperty("messages").Ids().Should().Equal(ids);
    }

    [Fact]
    public async Task TheEndOfADelayWakesAWaiter()
    {
        using var factory = new FakeClockFactory();
        using var client = factory.CreateV1Client();
        var queue = await CreateDelayedQueueAsync(client);

        var waiter = client.PostAsync($"/v2/queues/{queue}/claims?wait=200", null);
        await LongPollClaimTests.WaitForWaitersAsync(factory.Waiters, client.Project!, queue, 1);
        var ids = await client.PostV2Async("v2", queue, """[{"ttl": 300, "body": 1}]""");
        factory.Time.Advance(TimeSpan.FromSeconds(29));
        waiter.IsCompleted.Should().BeFalse("the message is still delayed");
        factory.Time.Advance(TimeSpan.FromSeconds(1));

        var body = await (await waiter.WaitAsync(Promptly)).ShouldBeJsonAsync(HttpStatusCode.Created);
        body.GetProperty("messages").Ids().Should().Equal(ids);
    }

    [Fact]
    public async Task AMessageDelayedBeforeTheWaiterCameWakesItToo()
    {
        using var factory = new FakeClockFactory();
        using var client = factory.CreateV1Client();
        var queue = await CreateDelayedQueueAsync(client);
        var ids = await client.PostV2Async("v2", queue, """[{"ttl": 300, "body": 1}]""");

        var waiter = client.PostAsync($"/v2/queues/{queue}/claims?wait=200", null);
        await LongPollClaimTests.WaitForWaitersAsync(factory.Waiters, client.Project!, queue, 1);
        factory.Time.Advance(TimeSpan.FromSeconds(30));

        var body = await (await waiter.WaitAsync(Promptly)).ShouldBeJsonAsync(HttpStatusCode.Created);
        body.GetProperty("messages").Ids().Should().Equal(ids);
    }

    [Fact]
    public async Task TheWaitEndsByTheClock()
    {
        using var factory = new FakeClockFactory();
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();

        var waiter = client.PostAsync($"/v2/queues/{queue}/claims?wait=100", null);
        await LongPollClaimTests.WaitForWaitersAsync(factory.Waiters, client.Project!, queue, 1);
        factory.Time.Advance(TimeSpan.FromSeconds(99));
        waiter.IsCompleted.Should().BeFalse();
        factory.Time.Advance(TimeSpan.FromSeconds(1));

        await (await waiter.WaitAsync(Promptly)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task APostThroughAnotherHostIsFoundAtTheNextRecheck()
    {
        using var factory = new FakeClockFactory(recheckSeconds: 5);
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();

        var waiter = client.PostAsync($"/v2/queues/{queue}/claims?wait=200", null);
        await LongPollClaimTests.WaitForWaitersAsync(factory.Waiters, client.Project!, queue, 1);
        // Straight into the store, as another host sharing it would: nothing here hears of it.
        var driver = factory.Services.GetRequiredService<IDataDriver>();
        var ids = await driver.Messages.PostAsync(
            new QueueRef(client.Project!, queue), [new NewMessage(300, "1"u8.ToArray(), 0)], Guid.NewGuid(),
            factory.Time.GetUtcNow(), CancellationToken.None);
        factory.Time.Advance(TimeSpan.FromSeconds(5));

        var body = await (await waiter.WaitAsync(Promptly)).ShouldBeJsonAsync(HttpStatusCode.Created);
        body.GetProperty("messages").Ids().Should().Equal(ids);
    }

    [Fact]
    public async Task ShutdownAnswersEveryWaiterAtOnce()
    {
        using var factory = new FakeClockFactory();
        using var client = factory.CreateV1Client();
        var waiting = factory.Waiters;
        var queue = await client.CreateQueueAsync();
        var other = await client.CreateQueueAsync();
        var waiters = new[]
        {
            client.PostAsync($"/v2/queues/{queue}/claims?wait=200", null),
            client.PostAsync($"/v2/queues/{queue}/claims?wait=200", null),
            client.DeleteAsync($"/v2/queues/{other}/messages?pop=1&wait=200"),
        };
        await LongPollClaimTests.WaitForWaitersAsync(factory.Waiters, client.Project!, queue, 2);
        await LongPollClaimTests.WaitForWaitersAsync(factory.Waiters, client.Project!, other, 1);

        factory.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        var answers = await Task.WhenAll(waiters).WaitAsync(Promptly);
        answers.Select(a => a.StatusCode).Should().Equal(HttpStatusCode.NoContent, HttpStatusCode.NoContent, HttpStatusCode.OK);
        waiting.Count.Should().Be(0);
    }

    [Fact]
    public async Task AClaimMadeForACallerWhoLeftMeanwhileIsReleased()
    {
        using var factory = new FakeClockFactory();
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var claims = factory.Services.GetRequiredService<ClaimOperations>();
        using var leaving = new CancellationTokenSource();
        // The caller goes while the store commits the claim the post woke it for.
        factory.AfterClaim = leaving.Cancel;

        var claim = claims.CreateAsync(new QueueRef(client.Project!, queue), 60, 60, null, leaving.Token, wait: 20);
        await LongPollClaimTests.WaitForWaitersAsync(factory.Waiters, client.Project!, queue, 1);
        var ids = await client.PostNumberedV2Async("v2", queue, 1);

        await FluentActions.Awaiting(() => claim.WaitAsync(Promptly)).Should().ThrowAsync<OperationCanceledException>();
        var stats = await (await client.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync();
        stats.GetProperty("messages").GetProperty("free").GetInt32().Should().Be(1);
        var (_, messages) = await client.ClaimV2Async("v2", queue);
        messages.Ids().Should().Equal(ids);
    }

    /// <summary>A queue whose messages become claimable 30 s after their post (v2 9.4).</summary>
    private static async Task<string> CreateDelayedQueueAsync(V1Client client)
    {
        var queue = V1Client.NewQueueName();
        (await client.PutAsync($"/v2/queues/{queue}", """{"_default_message_delay": 30}""")).StatusCode.Should().Be(HttpStatusCode.Created);
        return queue;
    }

    /// <summary>
    /// The host on a <see cref="FakeTimeProvider"/>, waits of up to 300 s, and a hook run after the
    /// store commits each claim (the real store; the hook only watches).
    /// </summary>
    private sealed class FakeClockFactory(int recheckSeconds = 0) : MarconiHttpFactoryBase
    {
        public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

        public ClaimWaiters Waiters => Services.GetRequiredService<ClaimWaiters>();

        public Action? AfterClaim { get; set; }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Marconi:Limits:MaxClaimWaitSeconds", "300");
            builder.UseSetting("Marconi:Limits:ClaimWaitRecheckSeconds", recheckSeconds.ToString());
        }

        protected override void ReplaceServices(IServiceCollection services)
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
            var store = services.Single(d => d.ServiceType == typeof(IDataDriver));
            services.Remove(store);
            services.AddSingleton<IDataDriver>(sp => new WatchedDriver((IDataDriver)store.ImplementationFactory!(sp), this));
        }

        private sealed class WatchedDriver(IDataDriver store, FakeClockFactory factory) : IDataDriver, IClaimController
        {
            public IQueueController Queues => store.Queues;

            public IMessageController Messages => store.Messages;

            public IClaimController Claims => this;

            public ISubscriptionController Subscriptions => store.Subscriptions;

            public IKeyController Keys => store.Keys;

            public Task<bool> IsAliveAsync(CancellationToken cancellationToken) => store.IsAliveAsync(cancellationToken);

            public Task<long> CollectGarbageAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
                store.CollectGarbageAsync(now, cancellationToken);

            public Task<string> GetOrAddSettingAsync(string name, string valueIfAbsent, CancellationToken cancellationToken) =>
                store.GetOrAddSettingAsync(name, valueIfAbsent, cancellationToken);

            public async Task<ClaimData?> CreateAsync(
                QueueRef queue, int ttl, int grace, int limit, DateTimeOffset now, CancellationToken cancellationToken,
                DeadLetterPolicy? deadLetter = null)
            {
                var claim = await store.Claims.CreateAsync(queue, ttl, grace, limit, now, cancellationToken, deadLetter);
                if (claim is not null)
                {
                    factory.AfterClaim?.Invoke();
                }

                return claim;
            }

            public Task<ClaimData?> GetAsync(QueueRef queue, string claimId, DateTimeOffset now, CancellationToken cancellationToken) =>
                store.Claims.GetAsync(queue, claimId, now, cancellationToken);

            public Task<bool> UpdateAsync(
                QueueRef queue, string claimId, int ttl, int grace, DateTimeOffset now, CancellationToken cancellationToken) =>
                store.Claims.UpdateAsync(queue, claimId, ttl, grace, now, cancellationToken);

            public Task DeleteAsync(QueueRef queue, string claimId, CancellationToken cancellationToken) =>
                store.Claims.DeleteAsync(queue, claimId, cancellationToken);
        }
    }
}
