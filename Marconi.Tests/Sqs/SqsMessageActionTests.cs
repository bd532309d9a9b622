using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>Sending, receiving, deleting and visibility through the real AWS SDK for .NET (JSON protocol), with keys and the manual clock.</summary>
public sealed class SqsMessageActionTests(SqsKeysFactory factory) : IClassFixture<SqsKeysFactory>
{
    private async Task<(AmazonSQSClient Sqs, string Url, string Project)> QueueAsync(string name = "work", Dictionary<string, string>? attributes = null)
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest(name) { Attributes = attributes ?? [] })).QueueUrl;
        return (sqs, url, project);
    }

    private static Task<ReceiveMessageResponse> ReceiveAsync(AmazonSQSClient sqs, string url, int max = 10, int? visibility = null) =>
        sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url)
        {
            MaxNumberOfMessages = max, VisibilityTimeout = visibility, WaitTimeSeconds = 0,
            MessageAttributeNames = ["All"], MessageSystemAttributeNames = ["All"],
        });

    [Fact]
    public async Task MessagesComeBackInOrderWithBodiesAttributesAndDigestsTheSdkChecks()
    {
        var (sqs, url, _) = await QueueAsync();
        var bodies = new[] { "first", "ünïcödé 😀 line\r\nbreak", "{\"json\": true}" };
        var ids = new List<string>();
        foreach (var body in bodies)
        {
            var sent = await sqs.SendMessageAsync(new SendMessageRequest(url, body)
            {
                MessageAttributes = new()
                {
                    ["kind"] = new MessageAttributeValue { DataType = "String", StringValue = "order" },
                    ["amount"] = new MessageAttributeValue { DataType = "Number", StringValue = "12.50" },
                    ["blob"] = new MessageAttributeValue { DataType = "Binary.gzip", BinaryValue = new MemoryStream([1, 2, 3]) },
                },
            });
            // The SDK itself checks MD5OfMessageBody and MD5OfMessageAttributes of the answer.
            sent.MD5OfMessageAttributes.Should().NotBeNullOrEmpty();
            ids.Add(sent.MessageId);
        }

        var received = await ReceiveAsync(sqs, url);
        received.Messages.Select(m => m.MessageId).Should().Equal(ids);
        received.Messages.Select(m => m.Body).Should().Equal(bodies);
        var first = received.Messages[0];
        first.MessageAttributes["kind"].StringValue.Should().Be("order");
        first.MessageAttributes["amount"].DataType.Should().Be("Number");
        first.MessageAttributes["blob"].BinaryValue.ToArray().Should().Equal(1, 2, 3);
        first.Attributes["ApproximateReceiveCount"].Should().Be("1");
        long.Parse(first.Attributes["SentTimestamp"]).Should().BeCloseTo(factory.Clock.GetUtcNow().ToUnixTimeMilliseconds(), 5000);
        received.Messages.Select(m => m.ReceiptHandle).Should().OnlyHaveUniqueItems();

        // Names asked for keep only those attributes.
        await sqs.ChangeMessageVisibilityAsync(url, first.ReceiptHandle, 0);
        var again = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 1, MessageAttributeNames = ["amount", "other"] });
        again.Messages.Single().MessageAttributes.Keys.Should().Equal("amount");
    }

    [Fact]
    public async Task AReceivedMessageIsInvisibleUntilItsTimeoutThenComesBackAndItsOldHandleIsStale()
    {
        var (sqs, url, _) = await QueueAsync();
        await sqs.SendMessageAsync(url, "job");
        var first = (await ReceiveAsync(sqs, url, 1, visibility: 30)).Messages.Single();
        (await ReceiveAsync(sqs, url)).Messages.Should().BeNullOrEmpty();

        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var second = (await ReceiveAsync(sqs, url, 1, visibility: 30)).Messages.Single();
        second.MessageId.Should().Be(first.MessageId);
        second.Attributes["ApproximateReceiveCount"].Should().Be("2");

        var stale = await FluentActions.Awaiting(() => sqs.DeleteMessageAsync(url, first.ReceiptHandle)).Should().ThrowAsync<ReceiptHandleIsInvalidException>();
        await FluentActions.Awaiting(() => sqs.ChangeMessageVisibilityAsync(url, first.ReceiptHandle, 60))
            .Should().ThrowAsync<MessageNotInflightException>();
        await sqs.DeleteMessageAsync(url, second.ReceiptHandle);
        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        (await ReceiveAsync(sqs, url)).Messages.Should().BeNullOrEmpty();
        stale.Which.StatusCode.Should().Be(System.Net.HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ChangeMessageVisibilityExtendsOrReleasesOneMessageOnly()
    {
        var (sqs, url, _) = await QueueAsync();
        await sqs.SendMessageAsync(url, "a");
        await sqs.SendMessageAsync(url, "b");
        var both = (await ReceiveAsync(sqs, url, 10, visibility: 30)).Messages;
        both.Should().HaveCount(2);

        await sqs.ChangeMessageVisibilityAsync(url, both[0].ReceiptHandle, 300);
        await sqs.ChangeMessageVisibilityAsync(url, both[1].ReceiptHandle, 0);
        var back = (await ReceiveAsync(sqs, url, 10, visibility: 30)).Messages;
        back.Select(m => m.Body).Should().Equal("b");

        factory.Clock.Advance(TimeSpan.FromSeconds(60));
        var later = (await ReceiveAsync(sqs, url, 10)).Messages;
        later.Select(m => m.Body).Should().Equal("b");

        var batch = await sqs.ChangeMessageVisibilityBatchAsync(url,
        [
            new ChangeMessageVisibilityBatchRequestEntry("ok", later[0].ReceiptHandle) { VisibilityTimeout = 100 },
            new ChangeMessageVisibilityBatchRequestEntry("old", back[0].ReceiptHandle) { VisibilityTimeout = 100 },
        ]);
        batch.Successful.Select(s => s.Id).Should().Equal("ok");
        batch.Failed.Single().Code.Should().Be("AWS.SimpleQueueService.MessageNotInflight");
    }

    [Fact]
    public async Task BatchesReportEachEntryAndStoreTheValidOnes()
    {
        var (sqs, url, _) = await QueueAsync();
        var sent = await sqs.SendMessageBatchAsync(url,
        [
            new SendMessageBatchRequestEntry("one", "1"),
            new SendMessageBatchRequestEntry("bad", "nul \u0001 here"),
            new SendMessageBatchRequestEntry("two", "2") { DelaySeconds = 0 },
            new SendMessageBatchRequestEntry("late", "3") { DelaySeconds = 120 },
        ]);
        sent.Successful.Select(s => s.Id).Should().Equal("one", "two", "late");
        sent.Failed.Single().Should().BeEquivalentTo(new { Id = "bad", Code = "InvalidMessageContents", SenderFault = true });

        var received = (await ReceiveAsync(sqs, url)).Messages;
        received.Select(m => m.Body).Should().Equal("1", "2");
        var deleted = await sqs.DeleteMessageBatchAsync(url,
        [
            new DeleteMessageBatchRequestEntry("a", received[0].ReceiptHandle),
            new DeleteMessageBatchRequestEntry("b", received[1].ReceiptHandle),
            new DeleteMessageBatchRequestEntry("c", "not-a-handle"),
        ]);
        deleted.Successful.Select(s => s.Id).Should().Equal("a", "b");
        deleted.Failed.Single().Should().BeEquivalentTo(new { Id = "c", Code = "ReceiptHandleIsInvalid" });

        factory.Clock.Advance(TimeSpan.FromSeconds(121));
        (await ReceiveAsync(sqs, url)).Messages.Select(m => m.Body).Should().Equal("3");

        await FluentActions.Awaiting(() => sqs.SendMessageBatchAsync(url, [])).Should().ThrowAsync<EmptyBatchRequestException>();
        await FluentActions.Awaiting(() => sqs.SendMessageBatchAsync(url, [.. Enumerable.Range(0, 11).Select(i => new SendMessageBatchRequestEntry($"e{i}", "x"))]))
            .Should().ThrowAsync<TooManyEntriesInBatchRequestException>();
        await FluentActions.Awaiting(() => sqs.SendMessageBatchAsync(url, [new("same", "x"), new("same", "y")]))
            .Should().ThrowAsync<BatchEntryIdsNotDistinctException>();
        await FluentActions.Awaiting(() => sqs.SendMessageBatchAsync(url, [new("bad id!", "x")]))
            .Should().ThrowAsync<InvalidBatchEntryIdException>();
        await FluentActions.Awaiting(() => sqs.SendMessageBatchAsync(url, [new("a", new string('x', 200_000)), new("b", new string('y', 100_000))]))
            .Should().ThrowAsync<BatchRequestTooLongException>();
    }

    [Fact]
    public async Task BadMessagesAreRefusedAndNothingIsStored()
    {
        var (sqs, url, _) = await QueueAsync("small", new() { ["MaximumMessageSize"] = "1024" });
        async Task<string> CodeOf(Func<Task> action) =>
            (await FluentActions.Awaiting(action).Should().ThrowAsync<AmazonSQSException>()).Which.ErrorCode;

        (await CodeOf(() => sqs.SendMessageAsync(url, new string('x', 1025)))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.SendMessageAsync(new SendMessageRequest(url, "x") { DelaySeconds = 901 }))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.SendMessageAsync(new SendMessageRequest(url, "x")
        {
            MessageAttributes = new() { ["n"] = new MessageAttributeValue { DataType = "Number", StringValue = "twelve" } },
        }))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.SendMessageAsync(new SendMessageRequest(url, "x") { MessageDeduplicationId = "d" }))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 11 }))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { WaitTimeSeconds = 21 }))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.DeleteMessageAsync(url, "x"))).Should().Be("ReceiptHandleIsInvalid");
        (await sqs.GetQueueAttributesAsync(url, ["All"])).ApproximateNumberOfMessages.Should().Be(0);
    }

    [Fact]
    public async Task ALongPollingReceiveIsAnsweredByASendWhileItWaits()
    {
        var (sqs, url, _) = await QueueAsync();
        var waiting = sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { WaitTimeSeconds = 20, MaxNumberOfMessages = 5 });
        var waiters = factory.Services.GetRequiredService<Marconi.Core.ClaimWaiters>();
        // The receive is waiting once the host counts a waiter; the send is what must answer it.
        while (waiters.Count == 0 && !waiting.IsCompleted)
        {
            await Task.Delay(20);
        }

        waiting.IsCompleted.Should().BeFalse("nothing was there to receive yet");
        await sqs.SendMessageAsync(url, "wake up");
        var answered = await waiting.WaitAsync(TimeSpan.FromSeconds(15));
        answered.Messages.Select(m => m.Body).Should().Equal("wake up");
    }

    [Fact]
    public async Task AMessageReceivedMoreThanMaxReceiveCountMovesToTheDeadLetterQueue()
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        var dlq = (await sqs.CreateQueueAsync("failed")).QueueUrl;
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest("tasks")
        {
            Attributes = new() { ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{{project}}:failed","maxReceiveCount":"2"}""" },
        })).QueueUrl;
        await sqs.SendMessageAsync(url, "poison");
        for (var i = 0; i < 2; i++)
        {
            (await ReceiveAsync(sqs, url, 1, visibility: 30)).Messages.Should().ContainSingle();
            factory.Clock.Advance(TimeSpan.FromSeconds(31));
        }

        (await ReceiveAsync(sqs, url)).Messages.Should().BeNullOrEmpty();
        (await ReceiveAsync(sqs, dlq)).Messages.Select(m => m.Body).Should().Equal("poison");
    }

    [Fact]
    public async Task ConcurrentReceiversNeverGetTheSameMessage()
    {
        var (sqs, url, _) = await QueueAsync();
        const int count = 60;
        for (var i = 0; i < count; i += 10)
        {
            await sqs.SendMessageBatchAsync(url, [.. Enumerable.Range(i, 10).Select(n => new SendMessageBatchRequestEntry($"m{n}", n.ToString()))]);
        }

        var seen = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            while (true)
            {
                var batch = (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 10, VisibilityTimeout = 300 })).Messages;
                if (batch is not { Count: > 0 })
                {
                    return;
                }

                foreach (var message in batch)
                {
                    seen.Add(message.Body);
                }
            }
        }));

        seen.Should().HaveCount(count).And.OnlyHaveUniqueItems();
    }
}
