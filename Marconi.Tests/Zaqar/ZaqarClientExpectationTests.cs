using System.Net;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>v2 contract 15: what python-zaqarclient and other clients rely on, that other tests do not cover.</summary>
public sealed class ZaqarClientExpectationTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task VersionsAnswerWithTheUsualHeadersToo()
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        request.Headers.TryAddWithoutValidation("User-Agent", "python-zaqarclient");
        var response = await client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.MultipleChoices);
        (await response.JsonAsync()).GetProperty("versions").GetArrayLength().Should().Be(3);
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task CreateAcceptsAnyJsonAcceptAndRefusesPlainText(string version)
    {
        using var client = factory.CreateV1Client();
        foreach (var accept in new[] { "*/*", "application/*", "application/json" })
        {
            var queue = V1Client.NewQueueName();
            var request = client.Request(HttpMethod.Put, $"/{version}/queues/{queue}");
            request.Headers.TryAddWithoutValidation("Accept", accept);
            var response = await client.SendAsync(request);
            await response.ShouldBeEmptyAsync(HttpStatusCode.Created);
            response.Location().Should().Be($"/{version}/queues/{queue}");
        }

        var plain = client.Request(HttpMethod.Put, $"/{version}/queues/{V1Client.NewQueueName()}");
        plain.Headers.TryAddWithoutValidation("Accept", "text/plain");
        await (await client.SendAsync(plain)).ShouldBeErrorAsync(HttpStatusCode.NotAcceptable, "Not acceptable");
    }

    [Fact]
    public async Task V2MetadataIsTheStoredObjectPlusExactlySixDefaults()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"color": "red", "_default_message_ttl": null}""");
        var metadata = await (await client.GetAsync($"/v2/queues/{queue}")).ShouldBeJsonAsync();
        metadata.Members().Should().BeEquivalentTo(
            ["color", "_max_messages_post_size", "_default_message_ttl", "_default_message_delay", "_dead_letter_queue",
             "_dead_letter_queue_messages_ttl", "_max_claim_count"]);
        metadata.GetProperty("_default_message_ttl").GetInt64().Should().Be(3600);
        metadata.GetProperty("_max_messages_post_size").GetInt64().Should().Be(262144);
        metadata.GetProperty("_default_message_delay").GetInt64().Should().Be(0);
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task DeletedOrUnknownThingsAre404ToReadAnd204ToDelete(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostNumberedV2Async(version, queue, 2);
        var path = $"/{version}/queues/{queue}";
        await (await client.DeleteAsync($"{path}/messages/{ids[0]}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.DeleteAsync($"{path}/messages/{ids[0]}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.GetAsync($"{path}/messages/{ids[0]}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await client.GetAsync($"{path}/messages?ids={ids[0]}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        (await (await client.GetAsync($"{path}/messages?ids={ids[0]},{ids[1]}")).ShouldBeJsonAsync()).GetProperty("messages").Ids().Should().Equal(ids[1]);

        var (claimId, _) = await client.ClaimV2Async(version, queue);
        await (await client.DeleteAsync($"{path}/claims/{claimId}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.DeleteAsync($"{path}/claims/{claimId}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.GetAsync($"{path}/claims/{claimId}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await client.PatchAsync($"{path}/claims/{claimId}", "{}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await client.DeleteAsync($"{path}/messages/unknown")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ASubscriptionPatchedToSixtySecondsIsGoneWithinSixtyOne()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var shortLived = (await (await client.PostAsync($"/v2/queues/{queue}/subscriptions", """{"subscriber": "http://example.com/a"}"""))
            .ShouldBeJsonAsync(HttpStatusCode.Created)).GetProperty("subscription_id").GetString();
        (await client.PostAsync($"/v2/queues/{queue}/subscriptions", """{"subscriber": "http://example.com/b"}""")).StatusCode.Should().Be(HttpStatusCode.Created);
        var patch = await client.PatchAsync($"/v2/queues/{queue}/subscriptions/{shortLived}", """{"ttl": 60}""");
        await patch.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        patch.Location().Should().Be($"/v2/queues/{queue}/subscriptions/{shortLived}");

        factory.Clock.Advance(TimeSpan.FromSeconds(61));
        await (await client.GetAsync($"/v2/queues/{queue}/subscriptions/{shortLived}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        var listed = (await (await client.GetAsync($"/v2/queues/{queue}/subscriptions")).ShouldBeJsonAsync()).GetProperty("subscriptions");
        listed.EnumerateArray().Select(s => s.GetProperty("subscriber").GetString()).Should().Equal("http://example.com/b");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task PoppingLeavesTheRest(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostNumberedV2Async(version, queue, 3);
        (await (await client.DeleteAsync($"/{version}/queues/{queue}/messages?pop=2")).ShouldBeJsonAsync()).GetProperty("messages").GetArrayLength().Should().Be(2);
        (await (await client.GetAsync($"/{version}/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages").GetProperty("total").GetInt64().Should().Be(1);
        var empty = await (await client.DeleteAsync($"/{version}/queues/{V1Client.NewQueueName()}/messages?pop=1")).ShouldBeJsonAsync();
        empty.GetRawText().Should().Be("""{"messages":[]}""");
    }
}
