using System.Net;
using System.Text.Json;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Hosting;

namespace Marconi.Tests.Zaqar;

/// <summary>The host with <c>Marconi:Notifications:RequireConfirmation=true</c> and a public URL.</summary>
public sealed class ConfirmationFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Notifications:RequireConfirmation", "true");
        builder.UseSetting("Marconi:Notifications:PublicUrl", "https://queues.example.com/");
    }
}

/// <summary>
/// v2 contract 10.4: with confirmation required, a new subscriber is sent a pre-signed grant to
/// confirm itself, is notified only once confirmed, and is told when it is unsubscribed.
/// </summary>
public sealed class SubscriptionConfirmationTests(ConfirmationFactory factory) : IClassFixture<ConfirmationFactory>
{
    [Fact]
    public async Task ASubscriberConfirmsWithTheGrantItWasSentAndOnlyThenIsNotified()
    {
        await using var listener = await WebhookListener.StartAsync();
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var created = await (await client.PostAsync($"/v2/queues/{queue}/subscriptions",
            $$"""{"subscriber": "{{listener.BaseUrl}}/confirm-me", "ttl": 3600}""")).ShouldBeJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("subscription_id").GetString();

        var request = JsonDocument.Parse((await listener.NextAsync()).Body).RootElement;
        request.GetProperty("Message_Type").GetString().Should().Be("SubscriptionConfirmation");
        var path = $"/v2/queues/{queue}/subscriptions/{id}/confirm";
        request.GetProperty("URL-Paths").GetString().Should().Be(path);
        request.GetProperty("URL-Methods").GetString().Should().Be("PUT");
        request.GetProperty("X-Project-ID").GetString().Should().Be(client.Project);
        request.GetProperty("WSGISubscribeURL").GetString().Should().Be("https://queues.example.com" + path);
        request.GetProperty("SubscribeBody").GetRawText().Should().Be("""{"confirmed":true}""");

        // Not confirmed yet: a post reaches nobody.
        await client.PostV2Async("v2", queue, """[{"body": "before"}]""");

        // The subscriber confirms with nothing but the grant it was sent.
        using var subscriber = factory.CreateV1Client();
        subscriber.Project = request.GetProperty("X-Project-ID").GetString();
        var confirm = subscriber.Request(HttpMethod.Put, path, request.GetProperty("SubscribeBody").GetRawText());
        foreach (var header in new[] { "URL-Signature", "URL-Methods", "URL-Paths", "URL-Expires" })
        {
            confirm.Headers.TryAddWithoutValidation(header, request.GetProperty(header).GetString());
        }

        await (await subscriber.SendAsync(confirm)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await client.PostV2Async("v2", queue, """[{"body": "after"}]""");
        var delivered = JsonDocument.Parse((await listener.NextAsync()).Body).RootElement;
        delivered.GetProperty("body").GetString().Should().Be("after");

        await client.PutAsync($"/v2/queues/{queue}/subscriptions/{id}/confirm", """{"confirmed": false}""");
        JsonDocument.Parse((await listener.NextAsync()).Body).RootElement.GetProperty("Message_Type").GetString()
            .Should().Be("UnsubscribeConfirmation");
    }
}
