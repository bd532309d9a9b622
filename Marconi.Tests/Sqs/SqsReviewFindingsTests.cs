using System.Net;
using Amazon.SQS.Model;
using FluentAssertions;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>Inputs a review found answered with 500 or wrongly; each now a 4xx in SQS's shape, or right.</summary>
public sealed class SqsReviewFindingsTests(SqsFactory factory) : IClassFixture<SqsFactory>
{
    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string? target, HttpContent content, string project)
    {
        using var http = new HttpClient { BaseAddress = factory.SqsAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = content };
        var now = factory.Clock.GetUtcNow().UtcDateTime;
        request.Headers.TryAddWithoutValidation("X-Amz-Date", now.ToString("yyyyMMdd'T'HHmmss'Z'"));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={project}/{now:yyyyMMdd}/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=00");
        if (target is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Target", "AmazonSQS." + target);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("\u0001")]
    [InlineData("Create\u0001Queue")]
    public async Task ControlCharactersInAQueryRequestAre400InXml(string action)
    {
        var (status, body) = await PostAsync(null, new FormUrlEncodedContent([new("Action", action)]), "review");
        status.Should().Be(HttpStatusCode.BadRequest, body);
        body.Should().Contain("<Code>InvalidAction</Code>");
    }

    [Theory]
    [InlineData("""{"QueueName":"a","QueueName":"b"}""")]
    [InlineData("""{"\udc00":1}""")]
    [InlineData("""{"QueueName":"a","Attributes":{"x":"1","x":"2"}}""")]
    public async Task RepeatedOrBrokenMemberNamesAre400(string json)
    {
        var (status, body) = await PostAsync("CreateQueue", new StringContent(json), "review");
        status.Should().Be(HttpStatusCode.BadRequest, body);
        body.Should().Contain("InvalidParameterValue");
    }

    [Fact]
    public async Task AReceiveWithNoVisibilityGivesEachMessageOnce()
    {
        var project = "review-" + Guid.NewGuid().ToString("N")[..8];
        var sqs = factory.CreateSqsClient(project, "x");
        var url = (await sqs.CreateQueueAsync("zero")).QueueUrl;
        await sqs.SendMessageAsync(url, "a");
        await sqs.SendMessageAsync(url, "b");
        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 10, VisibilityTimeout = 0 });
        received.Messages.Select(m => m.Body).Should().Equal("a", "b");
    }

    [Fact]
    public async Task AnAttributeTypeWithAControlCharacterIsRefused()
    {
        var project = "review-" + Guid.NewGuid().ToString("N")[..8];
        var sqs = factory.CreateSqsClient(project, "x");
        var url = (await sqs.CreateQueueAsync("types")).QueueUrl;
        var refused = await FluentActions.Awaiting(() => sqs.SendMessageAsync(new SendMessageRequest(url, "x")
        {
            MessageAttributes = new() { ["k"] = new MessageAttributeValue { DataType = "String.\u0001", StringValue = "v" } },
        })).Should().ThrowAsync<Amazon.SQS.AmazonSQSException>();
        refused.Which.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task MetadataWithRepeatedKeysFromV1IsNoServerError()
    {
        var project = "review-" + Guid.NewGuid().ToString("N")[..8];
        var sqs = factory.CreateSqsClient(project, "x");
        var url = (await sqs.CreateQueueAsync("odd")).QueueUrl;
        using var v2 = await V2Client.ForAsync(factory, project);
        await V2Client.SendAsync(v2, HttpMethod.Put, "/v1/queues/odd/metadata", """{"o":1,"o":2}""", 204);
        await sqs.SendMessageAsync(url, "m");
        (await sqs.ReceiveMessageAsync(url)).Messages.Select(m => m.Body).Should().Equal("m");
        (await sqs.GetQueueAttributesAsync(url, ["VisibilityTimeout"])).VisibilityTimeout.Should().Be(30);
        var refused = await FluentActions.Awaiting(() => sqs.TagQueueAsync(new TagQueueRequest { QueueUrl = url, Tags = new() { ["a"] = "b" } }))
            .Should().ThrowAsync<Amazon.SQS.AmazonSQSException>();
        refused.Which.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
