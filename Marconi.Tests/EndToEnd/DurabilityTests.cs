using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>A 201 means the message is on disk: a host killed mid-post keeps every acknowledged message.</summary>
public sealed class DurabilityTests : IDisposable
{
    private const string ClientId = "3381af92-2b9e-11e3-b191-71861300734c";
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task AHostKilledWhilePostingKeepsEveryAcknowledgedMessage()
    {
        var acknowledged = new ConcurrentDictionary<string, string>();
        await using (var host = HostProcess.Start(_database.Path))
        {
            await host.WaitUntilServingAsync();
            (await host.Client.PutAsync("/v1/queues/durable", null)).StatusCode.Should().Be(HttpStatusCode.Created);

            using var stop = new CancellationTokenSource();
            var producers = Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var body = $"{{\"producer\":{p},\"i\":{i}}}";
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/queues/durable/messages")
                    {
                        Content = new StringContent($"[{{\"ttl\":3600,\"body\":{body}}}]", Encoding.UTF8, "application/json"),
                    };
                    request.Headers.Add("Client-ID", ClientId);
                    try
                    {
                        using var response = await host.Client.SendAsync(request);
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            var href = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("resources")[0].GetString()!;
                            acknowledged[href] = body;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // the host is gone
                    }
                    catch (TaskCanceledException)
                    {
                        return;
                    }
                }
            })).ToList();

            while (acknowledged.Count < 300)
            {
                await Task.Delay(20);
            }

            host.KillHard();
            await stop.CancelAsync();
            await Task.WhenAll(producers);
        }

        await using var restarted = HostProcess.Start(_database.Path);
        await restarted.WaitUntilServingAsync();
        var stored = await ListAllAsync(restarted.Client, "/v1/queues/durable/messages?echo=true&include_claimed=true&limit=20");

        foreach (var (href, body) in acknowledged)
        {
            stored.Should().ContainKey(href);
            JsonDocument.Parse(stored[href]).RootElement.GetRawText().Should().Be(JsonDocument.Parse(body).RootElement.GetRawText());
        }

        using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/queues/durable/messages")
        {
            Content = new StringContent("""[{"ttl":60,"body":"after restart"}]"""),
        };
        post.Headers.Add("Client-ID", ClientId);
        (await restarted.Client.SendAsync(post)).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    private static async Task<Dictionary<string, string>> ListAllAsync(HttpClient client, string href)
    {
        var messages = new Dictionary<string, string>();
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, href);
            request.Headers.Add("Client-ID", ClientId);
            using var response = await client.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                return messages;
            }

            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var page = await response.Content.ReadFromJsonAsync<JsonElement>();
            foreach (var message in page.GetProperty("messages").EnumerateArray())
            {
                messages[message.GetProperty("href").GetString()!] = message.GetProperty("body").GetRawText();
            }

            href = page.GetProperty("links")[0].GetProperty("href").GetString()!;
        }
    }
}
