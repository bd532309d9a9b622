using System.Net.Http.Json;
using System.Text.Json;
using Marconi.Core.Keys;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Marconi.Tests.Sqs;

/// <summary>The v2 HTTP API of the same host, for the cross-API tests: a full key of the project, or none without keys.</summary>
public static class V2Client
{
    public static async Task<HttpClient> ForAsync(SqsFactory factory, string project)
    {
        var http = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = factory.ServerAddress });
        http.DefaultRequestHeaders.Add("X-Project-ID", project);
        http.DefaultRequestHeaders.Add("Client-ID", Guid.NewGuid().ToString());
        if (factory is SqsKeysFactory keys)
        {
            var (_, _, token) = await keys.IssueAsync(project, KeyRole.Full);
            http.DefaultRequestHeaders.Add("X-Auth-Token", token);
        }

        return http;
    }

    public static async Task<string> GetStringAsync(SqsFactory factory, string project, string path)
    {
        using var http = await ForAsync(factory, project);
        return await http.GetStringAsync(path);
    }

    public static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, object? body, int expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            // A string is sent as the JSON it is (member names as written), anything else serialised.
            request.Content = body is string json
                ? new StringContent(json, System.Text.Encoding.UTF8, "application/json")
                : JsonContent.Create(body);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{method} {path}: expected {expected}, got {(int)response.StatusCode}: {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
