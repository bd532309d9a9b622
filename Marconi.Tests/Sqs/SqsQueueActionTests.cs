using Amazon.SQS;
using Amazon.SQS.Model;
using FluentAssertions;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>The queue actions of the SQS endpoint through the real AWS SDK for .NET (JSON protocol), with keys.</summary>
public sealed class SqsQueueActionTests(SqsKeysFactory factory) : IClassFixture<SqsKeysFactory>
{
    [Fact]
    public async Task CreateQueueAnswersAUrlOfTheProjectAndGetQueueUrlFindsIt()
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        var created = await sqs.CreateQueueAsync("jobs");
        created.QueueUrl.Should().Be($"{factory.SqsAddress.ToString().TrimEnd('/')}/{project}/jobs");
        (await sqs.GetQueueUrlAsync("jobs")).QueueUrl.Should().Be(created.QueueUrl);

        // Creating it again with the same attributes answers the same URL; with others, QueueNameExists.
        (await sqs.CreateQueueAsync("jobs")).QueueUrl.Should().Be(created.QueueUrl);
        await sqs.SetQueueAttributesAsync(created.QueueUrl, new() { ["VisibilityTimeout"] = "45" });
        await FluentActions.Awaiting(() => sqs.CreateQueueAsync(new CreateQueueRequest("jobs") { Attributes = new() { ["VisibilityTimeout"] = "50" } }))
            .Should().ThrowAsync<QueueNameExistsException>();
        (await sqs.CreateQueueAsync(new CreateQueueRequest("jobs") { Attributes = new() { ["VisibilityTimeout"] = "45" } })).QueueUrl
            .Should().Be(created.QueueUrl);
    }

    [Fact]
    public async Task AMissingQueueIsQueueDoesNotExist()
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        await FluentActions.Awaiting(() => sqs.GetQueueUrlAsync("missing")).Should().ThrowAsync<QueueDoesNotExistException>();
        var url = $"{factory.SqsAddress.ToString().TrimEnd('/')}/{project}/missing";
        var error = await FluentActions.Awaiting(() => sqs.SendMessageAsync(url, "x")).Should().ThrowAsync<AmazonSQSException>();
        error.Which.ErrorCode.Should().BeOneOf("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist");
        await FluentActions.Awaiting(() => sqs.DeleteQueueAsync(url)).Should().ThrowAsync<QueueDoesNotExistException>();
        await FluentActions.Awaiting(() => sqs.GetQueueAttributesAsync(url, ["All"])).Should().ThrowAsync<QueueDoesNotExistException>();
    }

    [Fact]
    public async Task ListQueuesFiltersByPrefixAndPagesWithNextToken()
    {
        var (sqs, _) = await factory.CreateProjectClientAsync();
        foreach (var name in new[] { "alpha-1", "alpha-2", "alpha-3", "beta", "alpha" })
        {
            await sqs.CreateQueueAsync(name);
        }

        var all = await sqs.ListQueuesAsync(new ListQueuesRequest());
        all.QueueUrls.Select(u => u.Split('/')[^1]).Should().Equal("alpha", "alpha-1", "alpha-2", "alpha-3", "beta");

        var prefixed = await sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = "alpha" });
        prefixed.QueueUrls.Select(u => u.Split('/')[^1]).Should().Equal("alpha", "alpha-1", "alpha-2", "alpha-3");

        var first = await sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = "alpha-", MaxResults = 2 });
        first.QueueUrls.Select(u => u.Split('/')[^1]).Should().Equal("alpha-1", "alpha-2");
        first.NextToken.Should().NotBeNullOrEmpty();
        var second = await sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = "alpha-", MaxResults = 2, NextToken = first.NextToken });
        second.QueueUrls.Select(u => u.Split('/')[^1]).Should().Equal("alpha-3");
        second.NextToken.Should().BeNull();
    }

    [Fact]
    public async Task AProjectSeesOnlyItsOwnQueues()
    {
        var (mine, _) = await factory.CreateProjectClientAsync();
        var (theirs, theirProject) = await factory.CreateProjectClientAsync();
        var theirUrl = (await theirs.CreateQueueAsync("private")).QueueUrl;

        (await mine.ListQueuesAsync(new ListQueuesRequest())).QueueUrls.Should().BeNullOrEmpty();
        await FluentActions.Awaiting(() => mine.GetQueueUrlAsync("private")).Should().ThrowAsync<QueueDoesNotExistException>();
        // Naming another project's queue URL is refused for the key, whatever exists there.
        var refused = await FluentActions.Awaiting(() => mine.SendMessageAsync(theirUrl, "x")).Should().ThrowAsync<AmazonSQSException>();
        refused.Which.ErrorCode.Should().Be("AccessDenied");
        refused.Which.StatusCode.Should().Be(System.Net.HttpStatusCode.Forbidden);
        theirProject.Should().NotBeEmpty();
    }

    [Fact]
    public async Task AttributesMapOntoTheQueuesMetadataAndStats()
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        var dlq = (await sqs.CreateQueueAsync("dead")).QueueUrl;
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest("work")
        {
            Attributes = new()
            {
                ["DelaySeconds"] = "0",
                ["MessageRetentionPeriod"] = "7200",
                ["VisibilityTimeout"] = "120",
                ["ReceiveMessageWaitTimeSeconds"] = "2",
                ["MaximumMessageSize"] = "2048",
                ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{{project}}:dead","maxReceiveCount":3}""",
            },
        })).QueueUrl;

        var attributes = (await sqs.GetQueueAttributesAsync(url, ["All"])).Attributes;
        attributes["MessageRetentionPeriod"].Should().Be("7200");
        attributes["VisibilityTimeout"].Should().Be("120");
        attributes["ReceiveMessageWaitTimeSeconds"].Should().Be("2");
        attributes["MaximumMessageSize"].Should().Be("2048");
        attributes["QueueArn"].Should().Be($"arn:aws:sqs:us-east-1:{project}:work");
        attributes["RedrivePolicy"].Should().Contain("\"maxReceiveCount\":3").And.Contain($"arn:aws:sqs:us-east-1:{project}:dead");
        attributes["ApproximateNumberOfMessages"].Should().Be("0");
        attributes.Should().ContainKey("CreatedTimestamp");

        // The reserved metadata a v2 client reads.
        var v2 = await V2Client.GetStringAsync(factory, project, "/v2/queues/work");
        v2.Should().Contain("\"_default_message_ttl\":7200").And.Contain("\"_dead_letter_queue\":\"dead\"").And.Contain("\"_max_claim_count\":3");

        await sqs.SendMessageAsync(url, "a");
        await sqs.SendMessageAsync(url, "b");
        await sqs.SendMessageAsync(new SendMessageRequest(url, "later") { DelaySeconds = 600 });
        await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 1, WaitTimeSeconds = 0 });
        var counts = await sqs.GetQueueAttributesAsync(url,
            ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]);
        counts.ApproximateNumberOfMessages.Should().Be(1);
        counts.ApproximateNumberOfMessagesNotVisible.Should().Be(1);
        counts.ApproximateNumberOfMessagesDelayed.Should().Be(1);
        counts.Attributes.Should().HaveCount(3);

        await sqs.SetQueueAttributesAsync(url, new() { ["RedrivePolicy"] = "" });
        (await sqs.GetQueueAttributesAsync(url, ["All"])).Attributes.Should().NotContainKey("RedrivePolicy");
        dlq.Should().EndWith("/dead");
    }

    [Fact]
    public async Task BadAttributesAreRefusedWithSqsCodes()
    {
        var (sqs, project) = await factory.CreateProjectClientAsync();
        var url = (await sqs.CreateQueueAsync("strict")).QueueUrl;
        async Task<string> CodeOf(Func<Task> action) =>
            (await FluentActions.Awaiting(action).Should().ThrowAsync<AmazonSQSException>()).Which.ErrorCode;

        (await CodeOf(() => sqs.SetQueueAttributesAsync(url, new() { ["VisibilityTimeout"] = "43201" }))).Should().Be("InvalidAttributeValue");
        (await CodeOf(() => sqs.SetQueueAttributesAsync(url, new() { ["Bogus"] = "1" }))).Should().Be("InvalidAttributeName");
        (await CodeOf(() => sqs.SetQueueAttributesAsync(url, new() { ["Policy"] = "{}" }))).Should().Contain("UnsupportedOperation");
        (await CodeOf(() => sqs.SetQueueAttributesAsync(url, new()
        {
            ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{{project}}:nowhere","maxReceiveCount":3}""",
        }))).Should().Be("InvalidAttributeValue");
        (await CodeOf(() => sqs.GetQueueAttributesAsync(url, ["Nope"]))).Should().Be("InvalidAttributeName");
        (await CodeOf(() => sqs.CreateQueueAsync("orders.fifo"))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.CreateQueueAsync(new CreateQueueRequest("orders") { Attributes = new() { ["FifoQueue"] = "true" } })))
            .Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.CreateQueueAsync("bad name"))).Should().Be("InvalidParameterValue");
        (await CodeOf(() => sqs.CreateQueueAsync(new string('q', 65)))).Should().Be("InvalidParameterValue");
        // Nothing was stored by the refused requests.
        (await sqs.ListQueuesAsync(new ListQueuesRequest())).QueueUrls.Select(u => u.Split('/')[^1]).Should().Equal("strict");
        (await sqs.GetQueueAttributesAsync(url, ["VisibilityTimeout"])).VisibilityTimeout.Should().Be(30);
        (await sqs.GetQueueAttributesAsync(url, ["All"])).Attributes.Should().NotContainKey("RedrivePolicy", "a refused policy is not stored");
    }

    [Fact]
    public async Task TagsAreSetListedAndRemoved()
    {
        var (sqs, _) = await factory.CreateProjectClientAsync();
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest("tagged") { Tags = new() { ["team"] = "ops" } })).QueueUrl;
        (await sqs.ListQueueTagsAsync(new ListQueueTagsRequest { QueueUrl = url })).Tags.Should().Equal(new Dictionary<string, string> { ["team"] = "ops" });
        await sqs.TagQueueAsync(new TagQueueRequest { QueueUrl = url, Tags = new() { ["env"] = "prod", ["team"] = "dev" } });
        (await sqs.ListQueueTagsAsync(new ListQueueTagsRequest { QueueUrl = url })).Tags
            .Should().BeEquivalentTo(new Dictionary<string, string> { ["team"] = "dev", ["env"] = "prod" });
        await sqs.UntagQueueAsync(new UntagQueueRequest { QueueUrl = url, TagKeys = ["team"] });
        (await sqs.ListQueueTagsAsync(new ListQueueTagsRequest { QueueUrl = url })).Tags
            .Should().BeEquivalentTo(new Dictionary<string, string> { ["env"] = "prod" });
    }

    [Fact]
    public async Task PurgeEmptiesAndDeleteRemovesTheQueue()
    {
        var (sqs, _) = await factory.CreateProjectClientAsync();
        var url = (await sqs.CreateQueueAsync("temp")).QueueUrl;
        await sqs.SendMessageAsync(url, "1");
        await sqs.SendMessageAsync(url, "2");
        await sqs.PurgeQueueAsync(url);
        (await sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages.Should().Be(0);
        await sqs.DeleteQueueAsync(url);
        await FluentActions.Awaiting(() => sqs.GetQueueUrlAsync("temp")).Should().ThrowAsync<QueueDoesNotExistException>();
    }
}
