using Amazon.SQS.Model;
using FluentAssertions;
using Xunit;

namespace Marconi.Tests.Sqs;

public sealed class SqsSmokeTests(SqsKeysFactory factory) : IClassFixture<SqsKeysFactory>
{
    [Fact]
    public async Task Cycle()
    {
        var (sqs, _) = await factory.CreateProjectClientAsync();
        var url = (await sqs.CreateQueueAsync("jobs")).QueueUrl;
        var sent = await sqs.SendMessageAsync(new SendMessageRequest(url, "hello") { MessageAttributes = new() { ["k"] = new MessageAttributeValue { DataType = "String", StringValue = "v" } } });
        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 10, MessageAttributeNames = ["All"], MessageSystemAttributeNames = ["All"] });
        received.Messages.Should().ContainSingle().Which.Body.Should().Be("hello");
        received.Messages[0].MessageId.Should().Be(sent.MessageId);
        await sqs.DeleteMessageAsync(url, received.Messages[0].ReceiptHandle);
        var attrs = await sqs.GetQueueAttributesAsync(url, ["All"]);
        attrs.ApproximateNumberOfMessages.Should().Be(0);
        var ex = await Assert.ThrowsAsync<QueueDoesNotExistException>(() => sqs.GetQueueUrlAsync("nope"));
    }
}
