using Marconi.Client;
using Marconi.Core;
using Marconi.Tests.Http;

namespace Marconi.Tests.Client;

/// <summary>
/// The consumer against the real host whose storage fails: it waits out 503s (the server's <c>Retry-After</c>
/// when it sends one, its own doubling pause otherwise) instead of asking again at once, and stops cleanly meanwhile.
/// </summary>
public sealed class ClientConsumerBackoffTests(FaultyStorageFactory factory) : IClassFixture<FaultyStorageFactory>
{
    [Fact]
    public async Task AnOverloadedServersRetryAfterIsHonoured()
    {
        factory.Failure = () => Errors.Overloaded("a test");
        var gaps = await ClaimGapsAsync("overloaded", claims: 3, new ConsumeOptions { Wait = 1, MinBackoff = TimeSpan.FromMilliseconds(20) });

        gaps.Should().OnlyContain(gap => gap >= TimeSpan.FromMilliseconds(900), "the server asked for 1 s, far above the consumer's own 20 ms");
    }

    [Fact]
    public async Task AFailingStoreIsAskedAgainAfterGrowingPauses()
    {
        factory.Failure = () => Errors.StorageUnavailable("Claiming");
        var gaps = await ClaimGapsAsync("failing", claims: 4, new ConsumeOptions { Wait = 1, MinBackoff = TimeSpan.FromMilliseconds(100) });

        gaps[0].Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(70), "the first pause is MinBackoff, less its jitter");
        // 100, 200, 400 ms (each ± a fifth): the third pause is at least 320 ms, the first at most 120 ms.
        gaps[2].Should().BeGreaterThan(gaps[0] + TimeSpan.FromMilliseconds(150), "the pause doubles after each failure");
    }

    /// <summary>Runs a consumer until the server has logged so many claims, stops it, and returns the time between them.</summary>
    private async Task<List<TimeSpan>> ClaimGapsAsync(string queue, int claims, ConsumeOptions options)
    {
        var project = "backoff-" + Guid.NewGuid().ToString("N");
        await using var client = new MarconiClient(new MarconiClientOptions { Endpoint = factory.ServerAddress, ProjectId = project, MaxRetries = 0 });
        using var stop = new CancellationTokenSource();
        var path = $"/v2/queues/{queue}/claims";
        var consumer = client.Queue(queue).ConsumeAsync((_, _) => Task.CompletedTask, options, stop.Token);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (factory.Logs.RequestsTo(path).Count < claims)
        {
            DateTime.UtcNow.Should().BeBefore(deadline);
            consumer.IsCompleted.Should().BeFalse("a 503 is waited out, not thrown");
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await consumer.WaitAsync(TimeSpan.FromSeconds(10)); // returns, without an exception
        var logged = factory.Logs.RequestsTo(path).OrderBy(e => e.Timestamp).ToList();
        logged.Should().OnlyContain(e => e.Properties["StatusCode"].ToString() == "503");
        return logged.Zip(logged.Skip(1), (a, b) => b.Timestamp - a.Timestamp).Take(claims - 1).ToList();
    }
}

/// <summary>A claim the server refuses for good ends the consumer with the error, instead of asking forever.</summary>
public sealed class ClientConsumerRefusalTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task ARefusedClaimEndsTheConsumerWithItsError()
    {
        await using var client = new MarconiClient(factory.ServerAddress.ToString(), projectId: "refused-" + Guid.NewGuid().ToString("N"));
        var consume = () => client.Queue("q").ConsumeAsync((_, _) => Task.CompletedTask,
            new ConsumeOptions { ClaimTtl = 30, HeartbeatInterval = TimeSpan.FromSeconds(10) }).WaitAsync(TimeSpan.FromSeconds(30));

        (await consume.Should().ThrowAsync<MarconiValidationException>()).Which.Status.Should().Be(400, "a claim TTL under 60 s is refused");
    }
}
