using Marconi.Client;
using Marconi.Core;
using Marconi.Tests.Http;

namespace Marconi.Tests.Client;

/// <summary>The client against the real host whose storage fails: 503 is retried where that is safe, then typed.</summary>
public sealed class ClientUnavailableStorageTests(FaultyStorageFactory factory) : IClassFixture<FaultyStorageFactory>
{
    [Fact]
    public async Task HealthIsFalseOn503WithoutRetryingWhilePingStillAnswers()
    {
        factory.Failure = () => Errors.StorageUnavailable("The probe");
        await using var client = NewClient();

        (await client.IsHealthyAsync()).Should().BeFalse();
        await client.PingAsync();
        (await RequestsToAsync("/v1/health", atLeast: 2)).Should().Be(2, "one GET and one HEAD: a 503 from health is an answer");
    }

    [Fact]
    public async Task IdempotentCallsAreRetriedOn503ThenRaiseServiceUnavailable()
    {
        factory.Failure = () => Errors.StorageUnavailable("Reading the queue");
        await using var client = NewClient();

        var stats = () => client.Queue("retried").GetStatsAsync();
        var error = (await stats.Should().ThrowAsync<ServiceUnavailableException>()).Which;
        (error.Status, error.Title).Should().Be((503, "Service temporarily unavailable"));
        error.Description.Should().Contain("Reading the queue");
        (await RequestsToAsync("/v1/queues/retried/stats", atLeast: 3)).Should().Be(3, "the first attempt and MaxRetries (2) retries");
    }

    [Fact]
    public async Task APostAnswered503IsNotRepeated()
    {
        factory.Failure = () => Errors.StorageUnavailable("Storing the messages");
        await using var client = NewClient();

        var post = () => client.Queue("once").PostAsync("x", 60);
        await post.Should().ThrowAsync<ServiceUnavailableException>();
        (await RequestsToAsync("/v1/queues/once/messages", atLeast: 1)).Should().Be(1, "a post that reached the server is never sent twice");
    }

    private MarconiClient NewClient() => new(new MarconiClientOptions
    {
        Endpoint = factory.ServerAddress,
        Api = MarconiApi.V1, // these check v1's wire (paths, the default namespace)
        ProjectId = "project-" + Guid.NewGuid().ToString("N"),
        MaxRetries = 2,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
    });

    /// <summary>How many requests the host logged for a path, once at least <paramref name="atLeast"/> are (and a moment more for stragglers).</summary>
    private async Task<int> RequestsToAsync(string path, int atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (factory.Logs.RequestsTo(path).Count < atLeast && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await Task.Delay(200);
        return factory.Logs.RequestsTo(path).Count;
    }
}
