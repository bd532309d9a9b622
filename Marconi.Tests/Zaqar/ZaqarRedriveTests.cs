using System.Net;
using System.Text.Json;
using Marconi.Core;
using Marconi.Tests.Http;
using Marconi.Tests.LongPoll;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace Marconi.Tests.Zaqar;

/// <summary>
/// Marconi's <c>POST /v2/queues/{q}/redrive</c>: free messages of the queue's dead-letter queue go
/// back to its tail, in order, claimable again; errors in the contract's shape.
/// </summary>
public sealed class ZaqarRedriveTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    /// <summary>A queue whose messages move to <c>{queue}-dead</c> at their second claim.</summary>
    private static async Task<(string Queue, string DeadLetterQueue)> DeadLetteringQueueAsync(V1Client client)
    {
        var queue = V1Client.NewQueueName();
        var dlq = queue + "-dead";
        (await client.PutAsync($"/v2/queues/{queue}", $$"""{"_max_claim_count": 1, "_dead_letter_queue": "{{dlq}}"}"""))
            .StatusCode.Should().Be(HttpStatusCode.Created);
        return (queue, dlq);
    }

    private static async Task<JsonElement> RedriveAsync(V1Client client, string queue, string? body = null)
    {
        var response = await client.PostAsync($"/v2/queues/{queue}/redrive", body);
        var json = await response.ShouldBeJsonAsync(HttpStatusCode.OK);
        json.Members().Should().Equal("moved", "remaining");
        return json;
    }

    private static (int Moved, int Remaining) Counts(JsonElement answer) =>
        (answer.GetProperty("moved").GetInt32(), answer.GetProperty("remaining").GetInt32());

    private static async Task<JsonElement> MessagesAsync(V1Client client, string queue) =>
        (await (await client.GetAsync($"/v2/queues/{queue}/messages?echo=true&include_claimed=true"))
            .ShouldBeJsonAsync()).GetProperty("messages");

    [Fact]
    public async Task DeadLetteredMessagesComeBackToTheTailClaimableAgainWithTheirCountsReset()
    {
        using var client = factory.CreateV1Client();
        var (queue, dlq) = await DeadLetteringQueueAsync(client);
        await client.PostV2Async("v2", queue, """[{"body": "poison-1"}, {"body": "poison-2"}]""");
        var (claimId, _) = await client.ClaimV2Async("v2", queue, limit: 2);
        await client.DeleteAsync($"/v2/queues/{queue}/claims/{claimId}");
        // The second claim moves both to the dead-letter queue and has nothing left to claim.
        (await client.PostAsync($"/v2/queues/{queue}/claims", "{}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await MessagesAsync(client, dlq)).Bodies().Should().Equal("\"poison-1\"", "\"poison-2\"");
        var later = await client.PostV2Async("v2", queue, """[{"body": "later"}]""");

        Counts(await RedriveAsync(client, queue)).Should().Be((2, 0));

        var back = await MessagesAsync(client, queue);
        back.Bodies().Should().Equal("\"later\"", "\"poison-1\"", "\"poison-2\"");
        back.Ids()[0].Should().Be(later[0]);
        (await MessagesAsync(client, dlq)).GetArrayLength().Should().Be(0);

        // Claimed once more, not dead-lettered at once: their claim count started again.
        var (again, claimed) = await client.ClaimV2Async("v2", queue, limit: 5);
        claimed.Bodies().Should().Equal("\"later\"", "\"poison-1\"", "\"poison-2\"");
        await client.DeleteAsync($"/v2/queues/{queue}/claims/{again}");
        var popped = await (await client.DeleteAsync($"/v2/queues/{queue}/messages?pop=3")).ShouldBeJsonAsync();
        popped.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("claim_count").GetInt32()).Should().Equal(1, 1, 1);
    }

    [Fact]
    public async Task TheLimitIsHonouredAndClaimedDeadLettersStay()
    {
        using var client = factory.CreateV1Client();
        var (queue, dlq) = await DeadLetteringQueueAsync(client);
        // A dead-letter queue is a queue like any other: filled here by posting to it.
        await client.PostNumberedV2Async("v2", dlq, 5);
        var (_, held) = await client.ClaimV2Async("v2", dlq, limit: 1);   // 0, held

        Counts(await RedriveAsync(client, queue, """{"limit": 2}""")).Should().Be((2, 2));
        (await MessagesAsync(client, queue)).Bodies().Should().Equal("1", "2");
        Counts(await RedriveAsync(client, queue, "{}")).Should().Be((2, 0));
        Counts(await RedriveAsync(client, queue)).Should().Be((0, 0));

        (await MessagesAsync(client, queue)).Bodies().Should().Equal("1", "2", "3", "4");
        (await MessagesAsync(client, dlq)).Bodies().Should().Equal(held.Bodies());
    }

    [Fact]
    public async Task AMissingDeadLetterQueueHasNothingToMove()
    {
        using var client = factory.CreateV1Client();
        var (queue, _) = await DeadLetteringQueueAsync(client);

        Counts(await RedriveAsync(client, queue, """{"limit": 1000}""")).Should().Be((0, 0));
        (await (await client.GetAsync("/v2/queues")).ShouldBeJsonAsync()).GetProperty("queues").EnumerateArray()
            .Select(q => q.GetProperty("name").GetString()).Should().Equal(queue);
    }

    [Fact]
    public async Task AQueueWithoutADeadLetterQueueIs409()
    {
        using var client = factory.CreateV1Client();
        var plain = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{plain}", """{"_max_claim_count": 3}""");
        var response = await client.PostAsync($"/v2/queues/{plain}/redrive", null);
        var error = await response.ShouldBeJsonAsync(HttpStatusCode.Conflict);
        error.GetProperty("title").GetString().Should().Be("Resource conflict");
        error.GetProperty("description").GetString().Should().Contain("_dead_letter_queue");
    }

    [Fact]
    public async Task AMissingQueueIs404()
    {
        using var client = factory.CreateV1Client();
        await (await client.PostAsync($"/v2/queues/{V1Client.NewQueueName()}/redrive", """{"limit": 5}"""))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Theory]
    [InlineData("""{"limit": 0}""", "Invalid API request")]
    [InlineData("""{"limit": -1}""", "Invalid API request")]
    [InlineData("""{"limit": 1001}""", "Invalid API request")]
    [InlineData("""{"limit": 99999999999999999}""", "Invalid API request")]
    [InlineData("""{"limit": "5"}""", "Invalid request body")]
    [InlineData("""{"limit": 1.5}""", "Invalid request body")]
    [InlineData("""{"limit": null}""", "Invalid request body")]
    [InlineData("""{"limit": 5, "queue": "other"}""", "Invalid API request")]
    [InlineData("""[5]""", "Invalid request body")]
    [InlineData("""{"limit": 5""", "Invalid request body")]
    public async Task BadBodiesAre400AndMoveNothing(string body, string title)
    {
        using var client = factory.CreateV1Client();
        var (queue, dlq) = await DeadLetteringQueueAsync(client);
        await client.PostNumberedV2Async("v2", dlq, 1);

        await (await client.PostAsync($"/v2/queues/{queue}/redrive", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);

        (await MessagesAsync(client, dlq)).GetArrayLength().Should().Be(1);
    }

    [Fact]
    public async Task ARedriveWakesAClaimWaitingOnTheQueue()
    {
        using var client = factory.CreateV1Client();
        var (queue, dlq) = await DeadLetteringQueueAsync(client);
        var waiters = factory.Services.GetRequiredService<ClaimWaiters>();
        var claim = client.PostAsync($"/v2/queues/{queue}/claims?wait=20", "{}");
        await LongPollClaimTests.WaitForWaitersAsync(waiters, client.Project!, queue, 1);
        await client.PostV2Async("v2", dlq, """[{"body": "back"}]""");

        Counts(await RedriveAsync(client, queue)).Should().Be((1, 0));

        var response = await claim.WaitAsync(TimeSpan.FromSeconds(10));
        (await response.ShouldBeJsonAsync(HttpStatusCode.Created)).GetProperty("messages").Bodies().Should().Equal("\"back\"");
    }

    [Fact]
    public async Task ARedriveIsLoggedAsItsOperation()
    {
        using var client = factory.CreateV1Client();
        var (queue, _) = await DeadLetteringQueueAsync(client);
        var path = $"/v2/queues/{queue}/redrive";
        await RedriveAsync(client, queue);

        var logged = await factory.Logs.WaitForRequestAsync(path);
        logged.Level.Should().Be(LogEventLevel.Debug);
        Scalar(logged, "RequestMethod").Should().Be("POST");
        Scalar(logged, "StatusCode").Should().Be(200);
        Scalar(logged, "Version").Should().Be("v2");
        Scalar(logged, "Operation").Should().Be("queue_redrive");
        Scalar(logged, "Queue").Should().Be(queue);
        Scalar(logged, "Route").Should().Be("/v2/queues/{queue_name}/redrive");
        Scalar(logged, "Project").Should().Be(client.Project);
    }

    private static object? Scalar(LogEvent logEvent, string name) =>
        logEvent.Properties[name].Should().BeOfType<ScalarValue>().Subject.Value;
}
