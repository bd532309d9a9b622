using System.Net;
using System.Text.Json;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>The set-up steps v1.1 and v2 tests share, over a <see cref="V1Client"/> (the headers are the same).</summary>
public static class ZaqarClient
{
    public const string PatchType = "application/openstack-messaging-v2.0-json-patch";

    /// <summary>Posts <c>{"messages": [...]}</c> and returns the ids in order.</summary>
    public static async Task<List<string>> PostV2Async(this V1Client client, string version, string queue, string messagesJson)
    {
        var response = await client.PostAsync($"/{version}/queues/{queue}/messages", $$"""{"messages": {{messagesJson}}}""");
        var body = await response.ShouldBeJsonAsync(HttpStatusCode.Created);
        return body.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!.Split('/')[^1]).ToList();
    }

    /// <summary>Posts <paramref name="count"/> messages with bodies 0, 1, 2, …</summary>
    public static Task<List<string>> PostNumberedV2Async(this V1Client client, string version, string queue, int count, int ttl = 300) =>
        client.PostV2Async(version, queue, "[" + string.Join(",", Enumerable.Range(0, count).Select(i => $$"""{"ttl":{{ttl}},"body":{{i}}}""")) + "]");

    /// <summary>Creates a claim and returns its id and the claimed messages.</summary>
    public static async Task<(string ClaimId, JsonElement Messages)> ClaimV2Async(
        this V1Client client, string version, string queue, string body = "{}", int? limit = null)
    {
        var response = await client.PostAsync($"/{version}/queues/{queue}/claims" + (limit is { } l ? $"?limit={l}" : ""), body);
        var json = await response.ShouldBeJsonAsync(HttpStatusCode.Created);
        return (response.Location()!.Split('/')[^1], json.GetProperty("messages"));
    }

    public static async Task<HttpResponseMessage> PatchQueueAsync(this V1Client client, string queue, string body, string? contentType = PatchType)
    {
        var request = client.Request(HttpMethod.Patch, $"/v2/queues/{queue}", body, contentType);
        return await client.SendAsync(request);
    }

    /// <summary>The ids in a message listing, in order.</summary>
    public static List<string> Ids(this JsonElement messages) =>
        messages.EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();

    /// <summary>The bodies in a message listing, as raw JSON, in order.</summary>
    public static List<string> Bodies(this JsonElement messages) =>
        messages.EnumerateArray().Select(m => m.GetProperty("body").GetRawText()).ToList();
}
