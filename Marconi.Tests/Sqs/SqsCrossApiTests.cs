using System.Text.Json;
using Amazon.SQS.Model;
using FluentAssertions;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>One store, two front doors: what SQS sends v2 claims, what v2 posts SQS receives.</summary>
public sealed class SqsCrossApiTests(SqsKeysFactory factory) : IClassFixture<SqsKeysFactory>
{
    [Fact]
    public async Task SentThroughSqsClaimedThroughV2()
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        var url = (await sqs.CreateQueueAsync("bridge")).QueueUrl;
        var plain = await sqs.SendMessageAsync(url, "plain text");
        var tagged = await sqs.SendMessageAsync(new SendMessageRequest(url, "with attributes")
        {
            MessageAttributes = new() { ["k"] = new MessageAttributeValue { DataType = "String", StringValue = "v" } },
        });

        using var v2 = await V2Client.ForAsync(factory, project);
        var claimed = await V2Client.SendAsync(v2, HttpMethod.Post, "/v2/queues/bridge/claims", new { ttl = 60, grace = 60 }, 201);
        var messages = claimed.GetProperty("messages").EnumerateArray().ToList();
        messages.Select(m => m.GetProperty("id").GetString()).Should().Equal(plain.MessageId, tagged.MessageId);
        messages[0].GetProperty("body").GetString().Should().Be("plain text");
        messages[1].GetProperty("body").GetProperty("Body").GetString().Should().Be("with attributes");
        messages[1].GetProperty("body").GetProperty("MessageAttributes").GetProperty("k").GetProperty("StringValue").GetString().Should().Be("v");

        // Claimed through v2: SQS sees them in flight and cannot receive them.
        (await sqs.ReceiveMessageAsync(url)).Messages.Should().BeNullOrEmpty();
        (await sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessagesNotVisible"])).ApproximateNumberOfMessagesNotVisible.Should().Be(2);
    }

    [Fact]
    public async Task PostedThroughV2ReceivedThroughSqs()
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        using var v2 = await V2Client.ForAsync(factory, project);
        await V2Client.SendAsync(v2, HttpMethod.Post, "/v2/queues/inbound/messages", """
            {"messages": [
              {"ttl": 300, "body": "a string"},
              {"ttl": 300, "body": {"order": 42}},
              {"ttl": 300, "body": {"Body": "shaped", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "7"}}}}
            ]}
            """, 201);

        var url = (await sqs.GetQueueUrlAsync("inbound")).QueueUrl;
        var received = (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 10, MessageAttributeNames = ["All"] })).Messages;
        received.Select(m => m.Body).Should().Equal("a string", "{\"order\": 42}", "shaped");
        received[2].MessageAttributes["n"].StringValue.Should().Be("7");

        // Deleted through SQS: gone for v2.
        foreach (var message in received)
        {
            await sqs.DeleteMessageAsync(url, message.ReceiptHandle);
        }

        var stats = await V2Client.SendAsync(v2, HttpMethod.Get, "/v2/queues/inbound/stats", null, 200);
        stats.GetProperty("messages").GetProperty("total").GetInt32().Should().Be(0);
    }
}
