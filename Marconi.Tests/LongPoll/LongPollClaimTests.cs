using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Marconi.Core;
using Marconi.Tests.Http;
using Marconi.Tests.Zaqar;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.LongPoll;

/// <summary>
/// Claims and pops with <c>wait</c> over HTTP: answered as soon as a post commits, empty when the
/// wait ends, in arrival order per queue, and never leaving a claim behind for a client that left.
/// </summary>
public sealed class LongPollClaimTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    /// <summary>Far longer than any wake-up takes: a waiter answered before it was woken, not by its wait's end.</summary>
    private static readonly TimeSpan WellBeforeTheWaitEnds = TimeSpan.FromSeconds(10);

    private ClaimWaiters Waiters => factory.Services.GetRequiredService<ClaimWaiters>();

    [Theory]
    [InlineData("v1")]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task AWaitingClaimIsAnsweredByThePostOfAnotherClient(string version)
    {
        using var consumer = factory.CreateV1Client();
        using var producer = factory.CreateV1Client();
        producer.Project = consumer.Project;
        var queue = await consumer.CreateQueueAsync();

        var claim = consumer.PostAsync($"/{version}/queues/{queue}/claims?wait=20", """{"ttl": 60, "grace": 60}""");
        await WaitForWaitersAsync(Waiters, consumer.Project!, queue, 1);
        claim.IsCompleted.Should().BeFalse("nothing was there to claim");

        var ids = version == "v1"
            ? await producer.PostMessagesAsync(queue, """[{"ttl": 60, "body": "hello"}]""")
            : await producer.PostV2Async(version, queue, """[{"ttl": 60, "body": "hello"}]""");
        var posted = Stopwatch.StartNew();
        var response = await claim.WaitAsync(WellBeforeTheWaitEnds);
        var woken = posted.Elapsed;

        var body = await response.ShouldBeJsonAsync(HttpStatusCode.Created);
        var messages = version == "v1" ? body : body.GetProperty("messages");
        messages.EnumerateArray().Select(m => m.GetProperty("href").GetString()!.Split('?')[0].Split('/')[^1]).Should().Equal(ids);
        response.Location().Should().StartWith($"/{version}/queues/{queue}/claims/");
        woken.Should().BeLessThan(WellBeforeTheWaitEnds);
    }

    [Fact]
    public async Task AWaitThatEndsWithNothingIsTheUsualEmptyAnswer()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var started = Stopwatch.StartNew();

        var response = await client.PostAsync($"/v2/queues/{queue}/claims?wait=1", null);

        await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        response.Headers.Location.Should().BeNull();
        started.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9), "it waited");
        Waiters.Count.Should().Be(0);
    }

    [Fact]
    public async Task WithoutWaitAnEmptyClaimIsAnsweredAtOnce()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();

        var claim = client.PostAsync($"/v1/queues/{queue}/claims", """{"ttl": 60, "grace": 60}""");

        await (await claim.WaitAsync(WellBeforeTheWaitEnds)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        Waiters.Count.Should().Be(0);
    }

    [Fact]
    public async Task APostToAnotherQueueDoesNotWakeAWaiter()
    {
        using var client = factory.CreateV1Client();
        var watched = await client.CreateQueueAsync();
        var other = await client.CreateQueueAsync();

        var claim = client.PostAsync($"/v2/queues/{watched}/claims?wait=2", null);
        await WaitForWaitersAsync(Waiters, client.Project!, watched, 1);
        await client.PostNumberedV2Async("v2", other, 1);

        await (await claim).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        var stats = await (await client.GetAsync($"/v2/queues/{other}/stats")).ShouldBeJsonAsync();
        stats.GetProperty("messages").GetProperty("free").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task WaitersAreServedInArrivalOrder()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();

        var first = client.PostAsync($"/v2/queues/{queue}/claims?limit=1&wait=20", null);
        await WaitForWaitersAsync(Waiters, client.Project!, queue, 1);
        var second = client.PostAsync($"/v2/queues/{queue}/claims?limit=1&wait=20", null);
        await WaitForWaitersAsync(Waiters, client.Project!, queue, 2);
        var third = client.PostAsync($"/v2/queues/{queue}/claims?limit=1&wait=20", null);
        await WaitForWaitersAsync(Waiters, client.Project!, queue, 3);

        var ids = new List<string>();
        foreach (var waiter in new[] { first, second, third })
        {
            ids.AddRange(await client.PostNumberedV2Async("v2", queue, 1));
            var body = await (await waiter.WaitAsync(WellBeforeTheWaitEnds)).ShouldBeJsonAsync(HttpStatusCode.Created);
            body.GetProperty("messages").Ids().Should().Equal(ids[^1]);
        }
    }

    [Fact]
    public async Task OnePostOfManyMessagesWakesAsManyWaitersAsItCanServe()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var waiters = new List<Task<HttpResponseMessage>>();
        for (var i = 1; i <= 4; i++)
        {
            waiters.Add(client.PostAsync($"/v2/queues/{queue}/claims?limit=2&wait=20", null));
            await WaitForWaitersAsync(Waiters, client.Project!, queue, i);
        }

        var ids = await client.PostNumberedV2Async("v2", queue, 8);

        var claimed = new List<string>();
        foreach (var waiter in waiters)
        {
            var body = await (await waiter.WaitAsync(WellBeforeTheWaitEnds)).ShouldBeJsonAsync(HttpStatusCode.Created);
            claimed.AddRange(body.GetProperty("messages").Ids());
        }

        claimed.Should().BeEquivalentTo(ids, "every message went to exactly one waiter");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task AWaitingPopIsAnsweredByAPost(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();

        var pop = client.DeleteAsync($"/{version}/queues/{queue}/messages?pop=5&wait=20");
        await WaitForWaitersAsync(Waiters, client.Project!, queue, 1);
        await client.PostV2Async(version, queue, """[{"ttl": 60, "body": "popped"}]""");

        var body = await (await pop.WaitAsync(WellBeforeTheWaitEnds)).ShouldBeJsonAsync();
        body.GetProperty("messages").Bodies().Should().Equal("\"popped\"");
        var stats = await (await client.GetAsync($"/{version}/queues/{queue}/stats")).ShouldBeJsonAsync();
        stats.GetProperty("messages").GetProperty("total").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task APopThatWaitsForNothingAnswersNoMessages()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();

        var body = await (await client.DeleteAsync($"/v2/queues/{queue}/messages?pop=1&wait=1")).ShouldBeJsonAsync();

        body.GetProperty("messages").GetArrayLength().Should().Be(0);
    }

    [Theory]
    [InlineData("v1", "-1", "Invalid API request")]
    [InlineData("v1", "21", "Invalid API request")]
    [InlineData("v1", "soon", "Invalid parameter")]
    [InlineData("v2", "-1", "Invalid API request")]
    [InlineData("v2", "21", "Invalid API request")]
    [InlineData("v2", "1.5", "Invalid parameter")]
    [InlineData("v2", "99999999999999999999", "Invalid API request")]
    public async Task AWaitOutsideTheLimitIs400(string version, string wait, string title)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();

        var response = await client.PostAsync($"/{version}/queues/{queue}/claims?wait={wait}", """{"ttl": 60, "grace": 60}""");

        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task APopWaitOutsideTheLimitIs400()
    {
        using var client = factory.CreateV1Client();

        var response = await client.DeleteAsync($"/v2/queues/{V1Client.NewQueueName()}/messages?pop=1&wait=21");

        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task AWaiterWhoseConnectionClosesLeavesAtOnceAndClaimsNothing()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var address = factory.ServerAddress;

        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(address.Host, address.Port);
            var request = $"POST /v2/queues/{queue}/claims?wait=20 HTTP/1.1\r\nHost: {address.Authority}\r\n"
                + $"X-Project-Id: {client.Project}\r\nClient-ID: {client.ClientId}\r\nContent-Length: 0\r\n\r\n";
            await socket.GetStream().WriteAsync(Encoding.ASCII.GetBytes(request));
            await WaitForWaitersAsync(Waiters, client.Project!, queue, 1);
        }

        await WaitForWaitersAsync(Waiters, client.Project!, queue, 0);
        var ids = await client.PostNumberedV2Async("v2", queue, 1);

        var stats = await (await client.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync();
        stats.GetProperty("messages").GetProperty("free").GetInt32().Should().Be(1);
        stats.GetProperty("messages").GetProperty("claimed").GetInt32().Should().Be(0);
        var (_, messages) = await client.ClaimV2Async("v2", queue);
        messages.Ids().Should().Equal(ids);
    }

    /// <summary>Waits until <paramref name="count"/> requests wait on the queue (they are in line then).</summary>
    internal static async Task WaitForWaitersAsync(ClaimWaiters waiters, string project, string queue, int count)
    {
        var deadline = Stopwatch.StartNew();
        var queueRef = new QueueRef(project, queue);
        while (waiters.SleepingOn(queueRef) != count)
        {
            deadline.Elapsed.Should().BeLessThan(
                TimeSpan.FromSeconds(10), $"{count} waiters on {queue} were expected, {waiters.SleepingOn(queueRef)} are there");
            await Task.Delay(5);
        }
    }
}
