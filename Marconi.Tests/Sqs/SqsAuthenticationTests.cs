using Amazon.SQS;
using FluentAssertions;
using Marconi.Core.Keys;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>SigV4 with a key's AWS credentials: what is admitted and what is refused, with SQS's codes.</summary>
public sealed class SqsAuthenticationTests(SqsKeysFactory factory) : IClassFixture<SqsKeysFactory>
{
    private static async Task<AmazonSQSException> RefusedAsync(Func<Task> action) =>
        (await FluentActions.Awaiting(action).Should().ThrowAsync<AmazonSQSException>()).Which;

    [Fact]
    public async Task AWrongSecretIsSignatureDoesNotMatchAndAnUnknownKeyInvalidClientTokenId()
    {
        var project = "auth-" + Guid.NewGuid().ToString("N")[..8];
        var (id, secret, _) = await factory.IssueAsync(project);
        var wrong = await RefusedAsync(() => factory.CreateSqsClient(id, secret + "x").CreateQueueAsync("q"));
        wrong.ErrorCode.Should().Be("SignatureDoesNotMatch");
        wrong.StatusCode.Should().Be(System.Net.HttpStatusCode.Forbidden);

        (await RefusedAsync(() => factory.CreateSqsClient("0123456789abcdef", secret).CreateQueueAsync("q"))).ErrorCode.Should().Be("InvalidClientTokenId");
        (await RefusedAsync(() => factory.CreateSqsClient("AKIAIOSFODNN7EXAMPLE", secret).CreateQueueAsync("q"))).ErrorCode.Should().Be("InvalidClientTokenId");
        (await factory.CreateSqsClient(id, secret).ListQueuesAsync(new Amazon.SQS.Model.ListQueuesRequest())).QueueUrls.Should().BeNullOrEmpty("nothing was created");
    }

    [Fact]
    public async Task ARevokedOrRotatedKeyStopsAtOnce()
    {
        var project = "auth-" + Guid.NewGuid().ToString("N")[..8];
        var (id, secret, _) = await factory.IssueAsync(project);
        var sqs = factory.CreateSqsClient(id, secret);
        await sqs.CreateQueueAsync("q");

        var keys = factory.Services.GetRequiredService<KeyOperations>();
        var rotated = await keys.RotateAsync(id, default);
        (await RefusedAsync(() => sqs.CreateQueueAsync("q"))).ErrorCode.Should().Be("SignatureDoesNotMatch");
        var (_, newSecret) = await factory.Services.GetRequiredService<Marconi.Api.Access.AwsCredentials>().ForTokenAsync(rotated.Token, default);
        newSecret.Should().NotBe(secret);
        await factory.CreateSqsClient(id, newSecret).CreateQueueAsync("q");

        await keys.RevokeAsync(id, default);
        (await RefusedAsync(() => factory.CreateSqsClient(id, newSecret).CreateQueueAsync("q"))).ErrorCode.Should().Be("InvalidClientTokenId");
    }

    [Fact]
    public async Task RolesAndScopesHoldAsForTokens()
    {
        var project = "auth-" + Guid.NewGuid().ToString("N")[..8];
        var (fullId, fullSecret, _) = await factory.IssueAsync(project);
        var url = (await factory.CreateSqsClient(fullId, fullSecret).CreateQueueAsync("q")).QueueUrl;

        var (produceId, produceSecret, _) = await factory.IssueAsync(project, KeyRole.Produce);
        var producer = factory.CreateSqsClient(produceId, produceSecret);
        await producer.SendMessageAsync(url, "made");
        (await RefusedAsync(() => producer.ReceiveMessageAsync(url))).ErrorCode.Should().Be("AccessDenied");
        (await RefusedAsync(() => producer.DeleteQueueAsync(url))).ErrorCode.Should().Be("AccessDenied");

        var (consumeId, consumeSecret, _) = await factory.IssueAsync(project, KeyRole.Consume);
        var consumer = factory.CreateSqsClient(consumeId, consumeSecret);
        (await RefusedAsync(() => consumer.SendMessageAsync(url, "x"))).ErrorCode.Should().Be("AccessDenied");
        var got = await consumer.ReceiveMessageAsync(url);
        got.Messages.Single().Body.Should().Be("made");

        // An admin key has no project of its own: it may act on a queue URL's project, not create unnamed ones.
        var (adminId, adminSecret, _) = await factory.IssueAsync(null);
        var admin = factory.CreateSqsClient(adminId, adminSecret);
        (await RefusedAsync(() => admin.CreateQueueAsync("anywhere"))).ErrorCode.Should().Be("AccessDenied");
        (await admin.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessagesNotVisible"])).ApproximateNumberOfMessagesNotVisible.Should().Be(1);
    }

    [Fact]
    public async Task UnsignedAndStaleRequestsAreRefused()
    {
        using var http = new HttpClient { BaseAddress = factory.SqsAddress };
        using var unsigned = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent("{}") };
        unsigned.Headers.Add("X-Amz-Target", "AmazonSQS.ListQueues");
        unsigned.Content.Headers.ContentType = new("application/x-amz-json-1.0");
        using var answer = await http.SendAsync(unsigned);
        ((int)answer.StatusCode).Should().Be(403);
        answer.Headers.GetValues("x-amzn-query-error").Single().Should().Be("MissingAuthenticationToken;Sender");
        (await answer.Content.ReadAsStringAsync()).Should().Contain("\"__type\":\"com.amazonaws.sqs#MissingAuthenticationToken\"");

        var project = "auth-" + Guid.NewGuid().ToString("N")[..8];
        var (id, secret, _) = await factory.IssueAsync(project);
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        try
        {
            (await RefusedAsync(() => factory.CreateSqsClient(id, secret).ListQueuesAsync(new Amazon.SQS.Model.ListQueuesRequest())))
                .ErrorCode.Should().Be("RequestExpired");
        }
        finally
        {
            factory.Clock.Advance(TimeSpan.FromMinutes(-16));
        }
    }
}
