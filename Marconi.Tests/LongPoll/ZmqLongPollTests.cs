using System.Diagnostics;
using System.Net;
using Marconi.Core;
using Marconi.Tests.Http;
using Marconi.Tests.Zaqar;
using Marconi.Tests.Zmq;
using Marconi.Transport.Zmq;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.LongPoll;

/// <summary>
/// Claims and pops with the <c>wait</c> parameter over ZeroMQ: woken by a post made over HTTP,
/// refused when the parameter is wrong, and a claim whose reply finds its peer gone is released.
/// </summary>
public sealed class ZmqLongPollTests(MarconiZmqFactory factory) : IClassFixture<MarconiZmqFactory>
{
    private static readonly TimeSpan WellBeforeTheWaitEnds = TimeSpan.FromSeconds(10);

    private ClaimWaiters Waiters => factory.Services.GetRequiredService<ClaimWaiters>();

    [Theory]
    [InlineData(null)]
    [InlineData("v2")]
    public async Task AWaitingClaimIsAnsweredByAPostOverHttp(string? api)
    {
        using var consumer = factory.CreateDealerClient();
        consumer.Api = api;
        using var producer = factory.CreateV1Client();
        producer.Project = consumer.Project;
        var queue = await producer.CreateQueueAsync();

        consumer.Send(consumer.Request("claim_create", new { queue_name = queue, ttl = 60, grace = 60, wait = 20 }));
        await LongPollClaimTests.WaitForWaitersAsync(Waiters, consumer.Project, queue, 1);
        var ids = await producer.PostMessagesAsync(queue, """[{"ttl": 60, "body": "over zmq"}]""");
        var posted = Stopwatch.StartNew();

        consumer.TryReceive(WellBeforeTheWaitEnds, out var reply).Should().BeTrue();
        posted.Elapsed.Should().BeLessThan(WellBeforeTheWaitEnds);
        reply.Status().Should().Be(201);
        var messages = api is null ? reply.Body() : reply.Body().GetProperty("messages");
        messages.EnumerateArray().Select(m => m.GetProperty("href").GetString()!.Split('?')[0].Split('/')[^1]).Should().Equal(ids);
    }

    [Fact]
    public async Task AWaitingPopIsAnsweredByAPost()
    {
        using var consumer = factory.CreateDealerClient();
        consumer.Api = "v2";
        using var producer = factory.CreateV1Client();
        producer.Project = consumer.Project;
        var queue = await producer.CreateQueueAsync();

        consumer.Send(consumer.Request("message_pop", new { queue_name = queue, pop = 2, wait = 20 }));
        await LongPollClaimTests.WaitForWaitersAsync(Waiters, consumer.Project, queue, 1);
        await producer.PostV2Async("v2", queue, """[{"ttl": 60, "body": 7}]""");

        consumer.TryReceive(WellBeforeTheWaitEnds, out var reply).Should().BeTrue();
        reply.Status().Should().Be(200);
        reply.Body().GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("body").GetInt32()).Should().Equal(7);
    }

    [Theory]
    [InlineData("\"soon\"", "Invalid parameter")]
    [InlineData("true", "Invalid parameter")]
    [InlineData("-1", "Invalid API request")]
    [InlineData("21", "Invalid API request")]
    public void AWrongWaitIs400(string wait, string title)
    {
        using var client = factory.CreateReqClient();
        client.Api = "v2";

        var reply = client.CallRaw("claim_create", $$"""{"queue_name": "q", "wait": {{wait}}}""");

        reply.Status().Should().Be(400);
        reply.Body().GetProperty("title").GetString().Should().Be(title);
    }

    [Fact]
    public async Task AClaimWhoseReplyFindsItsPeerGoneIsReleased()
    {
        // ROUTER learns on its I/O thread that a peer closed, and nothing outside says when: a reply
        // sent before that goes into the closing pipe and is not refused. So the scenario runs until
        // a reply is refused as unroutable (leaving the peer more time each round), and then the
        // claim made for it must be released.
        using var producer = factory.CreateV1Client();
        var server = factory.Services.GetRequiredService<ZmqServer>();
        foreach (var grace in new[] { 0, 100, 500, 2000 })
        {
            var queue = await producer.CreateQueueAsync();
            var droppedBefore = server.RepliesDropped;
            using (var consumer = factory.CreateDealerClient())
            {
                consumer.Project = producer.Project!;
                consumer.Api = "v2";
                consumer.Send(consumer.Request("claim_create", new { queue_name = queue, wait = 20 }));
                await LongPollClaimTests.WaitForWaitersAsync(Waiters, consumer.Project, queue, 1);
            }

            await Task.Delay(grace);
            await producer.PostNumberedV2Async("v2", queue, 1);

            // The waiter claims the message; its reply is refused or sent, and either is seen within the deadline.
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var stats = (await (await producer.GetAsync($"/v2/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages");
                if (server.RepliesDropped > droppedBefore)
                {
                    if (stats.GetProperty("free").GetInt32() == 1)
                    {
                        stats.GetProperty("claimed").GetInt32().Should().Be(0);
                        return;
                    }
                }
                else if (stats.GetProperty("claimed").GetInt32() == 1 && deadline.Elapsed > TimeSpan.FromSeconds(1))
                {
                    break; // the reply went into the closing pipe: another round, with more time
                }

                deadline.Elapsed.Should().BeLessThan(WellBeforeTheWaitEnds, "the claim made for the departed peer is released");
                await Task.Delay(10);
            }
        }

        Assert.Fail("No reply was ever refused as unroutable, even 2 s after its peer closed.");
    }
}
