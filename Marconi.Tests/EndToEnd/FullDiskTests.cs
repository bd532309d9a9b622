using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// A full disk, made real with a small tmpfs: posts are refused first (503 "Storage full"),
/// health and readiness say so while liveness does not, deletes still work and free room, and
/// every message acknowledged before stays readable.
/// </summary>
public sealed class FullDiskTests
{
    private const string ClientId = "3381af92-2b9e-11e3-b191-71861300734c";
    private static readonly string Body = new('x', 4000);

    [SkippableFact]
    public async Task PostsAreRefusedFirstAndDeletingAQueueMakesRoomAgain()
    {
        using var disk = SmallDisk.TryMount(32, out var whyNot);
        Skip.If(disk is null, whyNot);
        await using var host = await StartAsync(disk, minFreeBytes: 4194304, reserveBytes: 4194304);
        File.Exists(Path.Combine(disk.Path, "marconi.db-reserve")).Should().BeTrue("the reserve is made at start");

        var kept = await PostAsync(host, "kept", 20);
        await PostAsync(host, "bulky", 400);
        (await StatusAsync(host, "/healthz/ready")).Should().Be(HttpStatusCode.OK);

        disk.Fill();

        // The free-space reading is cached for half a second: within a bounded time posts turn to 503.
        var refused = await PostUntilRefusedAsync(host, "kept", 1, kept);
        refused.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        refused.Body.GetProperty("title").GetString().Should().Be("Service temporarily unavailable");
        refused.Body.GetProperty("description").GetString().Should().StartWith("Storage full");

        (await StatusAsync(host, "/v1/health")).Should().Be(HttpStatusCode.ServiceUnavailable);
        (await StatusAsync(host, "/healthz/ready")).Should().Be(HttpStatusCode.ServiceUnavailable);
        (await StatusAsync(host, "/healthz/live")).Should().Be(HttpStatusCode.OK);
        (await host.Client.PutAsync("/v1/queues/another", null)).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);

        // Consumers still work on a full disk: a claim, and a delete of what it took.
        await DeleteOneAsync(host, "kept", kept);

        // The operator (or a client) deletes the big queue through the API; that frees room for posts.
        (await host.Client.DeleteAsync("/v1/queues/bulky")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await EventuallyAsync(async () => await StatusAsync(host, "/healthz/ready") == HttpStatusCode.OK ? "ready" : null);
        using (var after = await SendPostAsync(host, "kept", 1))
        {
            after.StatusCode.Should().Be(HttpStatusCode.Created);
            kept.Add((await after.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("resources")[0].GetString()!);
        }

        // Every acknowledged message is still there, intact.
        foreach (var href in kept)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, href);
            request.Headers.Add("Client-ID", ClientId);
            using var response = await host.Client.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.OK, href);
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("body").GetProperty("text").GetString()
                .Should().Be(Body);
        }
    }

    [SkippableFact]
    public async Task HealthFollowsFailingCommitsAndRecoversWhenSpaceReturns()
    {
        using var disk = SmallDisk.TryMount(24, out var whyNot);
        Skip.If(disk is null, whyNot);
        // No threshold and no reserve: only the commits' own outcome can tell the disk is full.
        await using var host = await StartAsync(disk, minFreeBytes: 0, reserveBytes: 0);
        var kept = await PostAsync(host, "kept", 10);

        disk.Fill();
        var refused = await PostUntilRefusedAsync(host, "kept", 20, kept);
        refused.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        refused.Body.GetProperty("description").GetString().Should().StartWith("Storage full");
        (await StatusAsync(host, "/v1/health")).Should().Be(HttpStatusCode.ServiceUnavailable);
        (await StatusAsync(host, "/readyz")).Should().Be(HttpStatusCode.ServiceUnavailable);
        (await StatusAsync(host, "/healthz/ready")).Should().Be(HttpStatusCode.ServiceUnavailable, "the former readiness path still answers");
        (await StatusAsync(host, "/healthz")).Should().Be(HttpStatusCode.OK);
        (await StatusAsync(host, "/healthz/live")).Should().Be(HttpStatusCode.OK);

        disk.Unfill();
        await EventuallyAsync(async () => await StatusAsync(host, "/v1/health") == HttpStatusCode.NoContent ? "healthy" : null);
        (await StatusAsync(host, "/readyz")).Should().Be(HttpStatusCode.OK);
        (await StatusAsync(host, "/healthz/ready")).Should().Be(HttpStatusCode.OK);
        kept.AddRange(await PostAsync(host, "kept", 1));

        using var list = new HttpRequestMessage(HttpMethod.Get, "/v1/queues/kept/stats");
        list.Headers.Add("Client-ID", ClientId);
        var stats = await (await host.Client.SendAsync(list)).Content.ReadFromJsonAsync<JsonElement>();
        stats.GetProperty("messages").GetProperty("total").GetInt32().Should().Be(kept.Count, "every acknowledged post, and no refused one, is stored");
    }

    /// <summary>The real host storing on <paramref name="disk"/>, serving.</summary>
    private static async Task<HostProcess> StartAsync(SmallDisk disk, long minFreeBytes, long reserveBytes)
    {
        var host = HostProcess.Start(Path.Combine(disk.Path, "marconi.db"),
        [
            $"--Marconi:Storage:Sqlite:MinFreeBytes={minFreeBytes}",
            $"--Marconi:Storage:Sqlite:ReserveBytes={reserveBytes}",
        ]);
        try
        {
            await host.WaitUntilServingAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private sealed record Refusal(HttpStatusCode StatusCode, JsonElement Body);

    /// <summary>Posts until a post is refused, keeping the hrefs of those accepted on the way; returns the refusal.</summary>
    private static Task<Refusal> PostUntilRefusedAsync(HostProcess host, string queue, int count, List<string> kept) =>
        EventuallyAsync(async () =>
        {
            using var response = await SendPostAsync(host, queue, count);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                foreach (var href in (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("resources").EnumerateArray())
                {
                    kept.Add(href.GetString()!);
                }

                return null;
            }

            return new Refusal(response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
        });

    private static async Task<List<string>> PostAsync(HostProcess host, string queue, int posts)
    {
        (await host.Client.PutAsync($"/v1/queues/{queue}", null)).IsSuccessStatusCode.Should().BeTrue();
        var hrefs = new List<string>();
        for (var i = 0; i < posts; i++)
        {
            using var response = await SendPostAsync(host, queue, 10);
            response.StatusCode.Should().Be(HttpStatusCode.Created);
            foreach (var href in (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("resources").EnumerateArray())
            {
                hrefs.Add(href.GetString()!);
            }
        }

        return hrefs;
    }

    private static Task<HttpResponseMessage> SendPostAsync(HostProcess host, string queue, int count)
    {
        var messages = string.Join(",", Enumerable.Repeat($"{{\"ttl\":3600,\"body\":{{\"text\":\"{Body}\"}}}}", count));
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/queues/{queue}/messages")
        {
            Content = new StringContent($"[{messages}]", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Client-ID", ClientId);
        return host.Client.SendAsync(request);
    }

    private static async Task DeleteOneAsync(HostProcess host, string queue, List<string> kept)
    {
        using var claim = new HttpRequestMessage(HttpMethod.Post, $"/v1/queues/{queue}/claims?limit=1")
        {
            Content = new StringContent("{\"ttl\":60,\"grace\":60}", Encoding.UTF8, "application/json"),
        };
        claim.Headers.Add("Client-ID", ClientId);
        using var claimed = await host.Client.SendAsync(claim);
        claimed.StatusCode.Should().Be(HttpStatusCode.Created);
        var href = (await claimed.Content.ReadFromJsonAsync<JsonElement>())[0].GetProperty("href").GetString()!;
        using var delete = new HttpRequestMessage(HttpMethod.Delete, href);
        delete.Headers.Add("Client-ID", ClientId);
        (await host.Client.SendAsync(delete)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        kept.Remove(href[..href.IndexOf('?')]);
    }

    private static async Task<HttpStatusCode> StatusAsync(HostProcess host, string path)
    {
        using var response = await host.Client.GetAsync(path);
        return response.StatusCode;
    }

    /// <summary>Retries <paramref name="attempt"/> until it gives an answer, for at most 20 s.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> attempt)
        where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (await attempt() is { } answer)
            {
                return answer;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, "the host should have changed its answer by now");
            await Task.Delay(50);
        }
    }
}
