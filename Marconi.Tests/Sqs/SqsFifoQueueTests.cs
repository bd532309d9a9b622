using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>
/// FIFO queues through the real AWS SDK for .NET, with keys and the manual clock: message groups
/// worked one receive at a time and in order, deduplication ids and content-based deduplication within
/// five minutes, sequence numbers, their attributes and errors, dead-letter queues of the same type.
/// </summary>
public sealed class SqsFifoQueueTests(SqsKeysFactory factory) : IClassFixture<SqsKeysFactory>
{
    private async Task<(AmazonSQSClient Sqs, string Url, string Project)> FifoAsync(
        string name = "orders.fifo", Dictionary<string, string>? attributes = null)
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        var asked = new Dictionary<string, string>(attributes ?? []) { ["FifoQueue"] = "true" };
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest(name) { Attributes = asked })).QueueUrl;
        return (sqs, url, project);
    }

    private static Task<SendMessageResponse> SendAsync(AmazonSQSClient sqs, string url, string body, string group, string? dedup = null) =>
        sqs.SendMessageAsync(new SendMessageRequest(url, body) { MessageGroupId = group, MessageDeduplicationId = dedup ?? body });

    private static async Task<List<Message>> ReceiveAsync(AmazonSQSClient sqs, string url, int max = 10, int visibility = 30) =>
        (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url)
        {
            MaxNumberOfMessages = max, VisibilityTimeout = visibility, WaitTimeSeconds = 0, MessageSystemAttributeNames = ["All"],
            // Accepted and not used (README): every receive is a new one.
            ReceiveRequestAttemptId = Guid.NewGuid().ToString("N"),
        })).Messages ?? [];

    private static async Task<string> CodeOf(Func<Task> action) =>
        (await FluentActions.Awaiting(action).Should().ThrowAsync<AmazonSQSException>()).Which.ErrorCode;

    [Fact]
    public async Task AFifoQueueIsCreatedWithItsAttributes()
    {
        var (sqs, url, _) = await FifoAsync(attributes: new() { ["ContentBasedDeduplication"] = "true" });
        url.Should().EndWith("/orders.fifo");
        var attributes = (await sqs.GetQueueAttributesAsync(url, ["All"])).Attributes;
        attributes["FifoQueue"].Should().Be("true");
        attributes["ContentBasedDeduplication"].Should().Be("true");
        attributes["DeduplicationScope"].Should().Be("queue");
        attributes["FifoThroughputLimit"].Should().Be("perQueue");
        (await sqs.GetQueueAttributesAsync(url, ["FifoQueue"])).Attributes.Keys.Should().Equal("FifoQueue");

        // Created again with the same attributes: the same queue; with others: QueueNameExists.
        (await sqs.CreateQueueAsync(new CreateQueueRequest("orders.fifo")
        {
            Attributes = new() { ["FifoQueue"] = "true", ["ContentBasedDeduplication"] = "true" },
        })).QueueUrl.Should().Be(url);
        await FluentActions.Awaiting(() => sqs.CreateQueueAsync(new CreateQueueRequest("orders.fifo")
            {
                Attributes = new() { ["FifoQueue"] = "true", ["ContentBasedDeduplication"] = "false" },
            }))
            .Should().ThrowAsync<QueueNameExistsException>();

        await sqs.SetQueueAttributesAsync(url, new()
        {
            ["ContentBasedDeduplication"] = "false", ["DeduplicationScope"] = "messageGroup", ["FifoThroughputLimit"] = "perMessageGroupId",
        });
        attributes = (await sqs.GetQueueAttributesAsync(url, ["All"])).Attributes;
        attributes["ContentBasedDeduplication"].Should().Be("false");
        attributes["DeduplicationScope"].Should().Be("messageGroup");
        attributes["FifoThroughputLimit"].Should().Be("perMessageGroupId");
    }

    [Fact]
    public async Task FifoAttributesAndNamesThatDoNotAgreeAreRefusedAndNothingIsStored()
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        (await CodeOf(() => sqs.CreateQueueAsync("plain.fifo"))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.CreateQueueAsync(new CreateQueueRequest("plain") { Attributes = new() { ["FifoQueue"] = "true" } })))
            .Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.CreateQueueAsync(new CreateQueueRequest("x.fifo") { Attributes = new() { ["FifoQueue"] = "false" } })))
            .Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.CreateQueueAsync(".fifo"))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.CreateQueueAsync(new CreateQueueRequest("a.b.fifo") { Attributes = new() { ["FifoQueue"] = "true" } })))
            .Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.CreateQueueAsync(new CreateQueueRequest("bad.fifo")
        {
            Attributes = new() { ["FifoQueue"] = "true", ["FifoThroughputLimit"] = "perMessageGroupId" },
        }))).Should().Be("InvalidAttributeValue");
        (await CodeOf(() => sqs.CreateQueueAsync(new CreateQueueRequest("bad.fifo")
        {
            Attributes = new() { ["FifoQueue"] = "true", ["ContentBasedDeduplication"] = "yes" },
        }))).Should().Be("InvalidAttributeValue");

        var standard = (await sqs.CreateQueueAsync("standard")).QueueUrl;
        (await CodeOf(() => sqs.SetQueueAttributesAsync(standard, new() { ["ContentBasedDeduplication"] = "true" }))).Should().Be("InvalidAttributeName");
        (await CodeOf(() => sqs.SetQueueAttributesAsync(standard, new() { ["FifoQueue"] = "true" }))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.SendMessageAsync(new SendMessageRequest(standard, "x") { MessageDeduplicationId = "d" })))
            .Should().Be("InvalidParameterValue");

        // Dead-letter queues are of the same type as their source.
        var fifo = (await sqs.CreateQueueAsync(new CreateQueueRequest("jobs.fifo") { Attributes = new() { ["FifoQueue"] = "true" } })).QueueUrl;
        (await CodeOf(() => sqs.SetQueueAttributesAsync(fifo, new()
        {
            ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{{project}}:standard","maxReceiveCount":3}""",
        }))).Should().Be("InvalidAttributeValue");
        (await CodeOf(() => sqs.SetQueueAttributesAsync(standard, new()
        {
            ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{{project}}:jobs.fifo","maxReceiveCount":3}""",
        }))).Should().Be("InvalidAttributeValue");
        (await sqs.GetQueueAttributesAsync(fifo, ["All"])).Attributes.Should().NotContainKey("RedrivePolicy");

        (await sqs.ListQueuesAsync(new ListQueuesRequest())).QueueUrls.Select(u => u.Split('/')[^1]).Should().Equal("jobs.fifo", "standard");
    }

    [Fact]
    public async Task SendsToAFifoQueueNeedAGroupAndADeduplicationIdAndNoDelayOfTheirOwn()
    {
        var (sqs, url, _) = await FifoAsync();
        (await CodeOf(() => sqs.SendMessageAsync(new SendMessageRequest(url, "x") { MessageDeduplicationId = "d" }))).Should().Be("MissingParameter");
        (await CodeOf(() => sqs.SendMessageAsync(new SendMessageRequest(url, "x") { MessageGroupId = "g" }))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.SendMessageAsync(new SendMessageRequest(url, "x") { MessageGroupId = "g", MessageDeduplicationId = "d", DelaySeconds = 5 })))
            .Should().Be("InvalidParameterValue");
        (await CodeOf(() => SendAsync(sqs, url, "x", new string('g', 129)))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => SendAsync(sqs, url, "x", "g", "with space"))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => SendAsync(sqs, url, "x", "grüppe"))).Should().Be("InvalidParameterValue");
        (await sqs.GetQueueAttributesAsync(url, ["All"])).ApproximateNumberOfMessages.Should().Be(0);

        // Punctuation is allowed in both.
        var sent = await SendAsync(sqs, url, "ok", "tenant:42/orders", "id-1!{}");
        sent.SequenceNumber.Should().MatchRegex("^[0-9]{20}$");
    }

    [Fact]
    public async Task ADuplicateWithinFiveMinutesIsAcceptedButNotDeliveredAgain()
    {
        var (sqs, url, _) = await FifoAsync();
        var first = await SendAsync(sqs, url, "charge card", "customer-1", "order-7");
        var again = await SendAsync(sqs, url, "charge card (retry)", "customer-1", "order-7");
        again.MessageId.Should().Be(first.MessageId);
        again.SequenceNumber.Should().Be(first.SequenceNumber);
        var other = await SendAsync(sqs, url, "ship", "customer-1", "order-8");
        string.CompareOrdinal(other.SequenceNumber, first.SequenceNumber).Should().BePositive("sequence numbers grow");

        var received = await ReceiveAsync(sqs, url);
        received.Select(m => m.Body).Should().Equal("charge card", "ship");
        var message = received[0];
        message.Attributes["MessageGroupId"].Should().Be("customer-1");
        message.Attributes["MessageDeduplicationId"].Should().Be("order-7");
        message.Attributes["SequenceNumber"].Should().Be(first.SequenceNumber);
        await sqs.DeleteMessageAsync(url, message.ReceiptHandle);

        // Deleted, and still a duplicate within the window; after it, a new message.
        (await SendAsync(sqs, url, "charge card", "customer-1", "order-7")).MessageId.Should().Be(first.MessageId);
        factory.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var later = await SendAsync(sqs, url, "charge card", "customer-1", "order-7");
        later.MessageId.Should().NotBe(first.MessageId);
    }

    [Fact]
    public async Task ContentBasedDeduplicationUsesTheBodysDigest()
    {
        var (sqs, url, _) = await FifoAsync("content.fifo", new() { ["ContentBasedDeduplication"] = "true" });
        var first = await sqs.SendMessageAsync(new SendMessageRequest(url, "same body") { MessageGroupId = "g" });
        var same = await sqs.SendMessageAsync(new SendMessageRequest(url, "same body") { MessageGroupId = "h" });
        var other = await sqs.SendMessageAsync(new SendMessageRequest(url, "other body") { MessageGroupId = "g" });
        same.MessageId.Should().Be(first.MessageId);
        other.MessageId.Should().NotBe(first.MessageId);
        // An explicit id wins over the digest.
        (await sqs.SendMessageAsync(new SendMessageRequest(url, "same body") { MessageGroupId = "g", MessageDeduplicationId = "explicit" }))
            .MessageId.Should().NotBe(first.MessageId);

        var received = await ReceiveAsync(sqs, url);
        received.Select(m => m.Body).Should().Equal("same body", "other body", "same body");
        received[0].Attributes["MessageDeduplicationId"].Should().MatchRegex("^[0-9a-f]{64}$");
    }

    [Fact]
    public async Task DeduplicationPerMessageGroup()
    {
        var (sqs, url, _) = await FifoAsync("scoped.fifo", new() { ["DeduplicationScope"] = "messageGroup", ["FifoThroughputLimit"] = "perMessageGroupId" });
        var a = await SendAsync(sqs, url, "a", "g1", "same");
        var b = await SendAsync(sqs, url, "b", "g2", "same");
        b.MessageId.Should().NotBe(a.MessageId);
        (await SendAsync(sqs, url, "a again", "g1", "same")).MessageId.Should().Be(a.MessageId);
        (await ReceiveAsync(sqs, url)).Select(m => m.Body).Should().Equal("a", "b");
    }

    [Fact]
    public async Task AGroupWithAMessageInFlightGivesNoOtherUntilItIsDeletedOrVisibleAgain()
    {
        var (sqs, url, _) = await FifoAsync();
        foreach (var (body, group) in new[] { ("a1", "A"), ("b1", "B"), ("a2", "A"), ("a3", "A"), ("b2", "B") })
        {
            await SendAsync(sqs, url, body, group);
        }

        var first = await ReceiveAsync(sqs, url, max: 1);
        first.Select(m => m.Body).Should().Equal("a1");
        // Group A is in flight: only B's messages, in order.
        var second = await ReceiveAsync(sqs, url);
        second.Select(m => m.Body).Should().Equal("b1", "b2");
        (await ReceiveAsync(sqs, url)).Should().BeEmpty();

        await sqs.DeleteMessageAsync(url, first[0].ReceiptHandle);
        var third = await ReceiveAsync(sqs, url);
        third.Select(m => m.Body).Should().Equal("a2", "a3");

        // a2's visibility ends while a3 is still held: the group stays closed until a3's ends too.
        await sqs.ChangeMessageVisibilityAsync(url, third[0].ReceiptHandle, 0);
        (await ReceiveAsync(sqs, url)).Should().BeEmpty();
        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var again = await ReceiveAsync(sqs, url);
        again.Select(m => m.Body).Should().Equal("b1", "a2", "a3", "b2");
        again.Single(m => m.Body == "a2").Attributes["ApproximateReceiveCount"].Should().Be("2");
    }

    [Fact]
    public async Task BatchSendsKeepOrderAndFailEntriesOnTheirOwn()
    {
        var (sqs, url, _) = await FifoAsync();
        var batch = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest(url,
        [
            new SendMessageBatchRequestEntry("e1", "one") { MessageGroupId = "g", MessageDeduplicationId = "1" },
            new SendMessageBatchRequestEntry("e2", "no group") { MessageDeduplicationId = "2" },
            new SendMessageBatchRequestEntry("e3", "two") { MessageGroupId = "g", MessageDeduplicationId = "3" },
            new SendMessageBatchRequestEntry("e4", "one again") { MessageGroupId = "g", MessageDeduplicationId = "1" },
        ]));
        batch.Failed.Select(f => (f.Id, f.Code)).Should().Equal(("e2", "MissingParameter"));
        batch.Successful.Select(s => s.Id).Should().Equal("e1", "e3", "e4");
        batch.Successful[2].MessageId.Should().Be(batch.Successful[0].MessageId);
        batch.Successful.Should().OnlyContain(s => s.SequenceNumber.Length == 20);
        (await ReceiveAsync(sqs, url)).Select(m => m.Body).Should().Equal("one", "two");
    }

    [Fact]
    public async Task AFifoQueueDeadLettersIntoAFifoQueueKeepingTheGroup()
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        var dlq = (await sqs.CreateQueueAsync(new CreateQueueRequest("failed.fifo") { Attributes = new() { ["FifoQueue"] = "true" } })).QueueUrl;
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest("tasks.fifo")
        {
            Attributes = new()
            {
                ["FifoQueue"] = "true",
                ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{{project}}:failed.fifo","maxReceiveCount":1}""",
            },
        })).QueueUrl;
        await SendAsync(sqs, url, "poison", "G");
        await SendAsync(sqs, url, "next", "G");
        (await ReceiveAsync(sqs, url, 1)).Select(m => m.Body).Should().Equal("poison");
        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        // poison has been received once: it moves, and its group goes on with the next message.
        (await ReceiveAsync(sqs, url)).Select(m => m.Body).Should().Equal("next");
        var dead = await ReceiveAsync(sqs, dlq);
        dead.Select(m => m.Body).Should().Equal("poison");
        dead[0].Attributes["MessageGroupId"].Should().Be("G");
    }

    [Fact]
    public async Task AV2ClaimOnAFifoQueueHonoursItsGroups()
    {
        var (sqs, url, project) = await FifoAsync("bridge.fifo");
        await SendAsync(sqs, url, "g1", "G");
        await SendAsync(sqs, url, "g2", "G");
        (await ReceiveAsync(sqs, url, 1)).Select(m => m.Body).Should().Equal("g1");

        using var v2 = await V2Client.ForAsync(factory, project);
        // The group is in flight: nothing for a v2 claim either (204, no body).
        await V2Client.SendAsync(v2, HttpMethod.Post, "/v2/queues/bridge.fifo/claims", new { ttl = 60, grace = 60 }, 204);
    }

    [Fact]
    public async Task AReceiveWaitingOnAGroupIsAnsweredWhenItsMessageInFlightIsDeleted()
    {
        var (sqs, url, _) = await FifoAsync("waits.fifo");
        await SendAsync(sqs, url, "first", "G");
        await SendAsync(sqs, url, "second", "G");
        var held = await ReceiveAsync(sqs, url, 1, visibility: 300);

        var waiters = factory.Services.GetRequiredService<Marconi.Core.ClaimWaiters>();
        var before = waiters.Count;
        var waiting = sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { WaitTimeSeconds = 20, MaxNumberOfMessages = 10 });
        while (waiters.Count == before && !waiting.IsCompleted)
        {
            await Task.Delay(20);
        }

        waiting.IsCompleted.Should().BeFalse("the group is in flight");
        await sqs.DeleteMessageAsync(url, held[0].ReceiptHandle);
        // The manual clock stands still: only the delete can answer the waiting receive.
        var answered = await waiting.WaitAsync(TimeSpan.FromSeconds(15));
        answered.Messages.Select(m => m.Body).Should().Equal("second");
    }

    [Fact]
    public async Task ConcurrentReceiversNeverHoldOneGroupAtOnceAndWorkEachInOrder()
    {
        var (sqs, url, _) = await FifoAsync("busy.fifo");
        const int groups = 6, perGroup = 10;
        for (var i = 0; i < perGroup; i++)
        {
            await sqs.SendMessageBatchAsync(new SendMessageBatchRequest(url, [.. Enumerable.Range(0, groups).Select(g =>
                new SendMessageBatchRequestEntry($"e{g}", $"{g}:{i}") { MessageGroupId = $"G{g}", MessageDeduplicationId = $"{g}-{i}" })]));
        }

        var holders = new ConcurrentDictionary<string, int>();
        var worked = new ConcurrentDictionary<string, ConcurrentQueue<int>>();
        var violations = new ConcurrentBag<string>();
        var done = 0;
        await Task.WhenAll(Enumerable.Range(0, 6).Select(async receiver =>
        {
            var empty = 0;
            while (Volatile.Read(ref done) < groups * perGroup && empty < 200)
            {
                var messages = await ReceiveAsync(sqs, url, max: 3, visibility: 300);
                if (messages.Count == 0)
                {
                    empty++;
                    await Task.Yield();
                    continue;
                }

                empty = 0;

                foreach (var group in messages.Select(m => m.Attributes["MessageGroupId"]).Distinct())
                {
                    if (!holders.TryAdd(group, receiver))
                    {
                        violations.Add($"{group} given to {receiver} while {holders[group]} held it");
                    }
                }

                foreach (var message in messages)
                {
                    var parts = message.Body.Split(':');
                    worked.GetOrAdd(parts[0], _ => new()).Enqueue(int.Parse(parts[1]));
                }

                // Out of the holders before the delete, so a receive after the delete never looks like a clash.
                foreach (var group in messages.Select(m => m.Attributes["MessageGroupId"]).Distinct())
                {
                    holders.TryRemove(group, out _);
                }

                await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest(url,
                    [.. messages.Select((m, i) => new DeleteMessageBatchRequestEntry($"d{i}", m.ReceiptHandle))]));
                Interlocked.Add(ref done, messages.Count);
            }
        }));

        violations.Should().BeEmpty();
        worked.Keys.Should().HaveCount(groups);
        worked.Values.Should().OnlyContain(q => q.SequenceEqual(Enumerable.Range(0, perGroup)), "each group is worked once, in order");
    }
}
