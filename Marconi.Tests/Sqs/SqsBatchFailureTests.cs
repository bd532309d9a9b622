using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Marconi.Tests.Sqs;

/// <summary>
/// A batch's failed entries (<c>BatchResultErrorEntry</c>) in each protocol's own types: the JSON
/// protocol's <c>SenderFault</c> is a boolean, the query protocol's the text <c>true</c>/<c>false</c>.
/// </summary>
public sealed class SqsBatchFailureTests(SqsFactory factory) : IClassFixture<SqsFactory>
{
    [Fact]
    public async Task SenderFaultIsAJsonBooleanInTheJsonProtocolAndTextInTheQueryProtocol()
    {
        var project = "sqs-" + Guid.NewGuid().ToString("N")[..12];
        using var http = new HttpClient { BaseAddress = factory.SqsAddress };
        var queueUrl = JsonDocument.Parse(await PostJsonAsync(http, project, "CreateQueue", """{"QueueName": "sender-fault"}"""))
            .RootElement.GetProperty("QueueUrl").GetString()!;

        var json = await PostJsonAsync(http, project, "DeleteMessageBatch",
            JsonSerializer.Serialize(new { QueueUrl = queueUrl, Entries = new[] { new { Id = "x", ReceiptHandle = "bogus" } } }));
        var entry = JsonDocument.Parse(json).RootElement.GetProperty("Failed")[0];
        entry.GetProperty("SenderFault").ValueKind.Should().Be(JsonValueKind.True, json);

        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Action"] = "DeleteMessageBatch", ["QueueUrl"] = queueUrl,
            ["DeleteMessageBatchRequestEntry.1.Id"] = "x", ["DeleteMessageBatchRequestEntry.1.ReceiptHandle"] = "bogus",
        });
        var xml = await PostAsync(http, project, form, target: null);
        xml.Should().Contain("<SenderFault>true</SenderFault>");
    }

    private static Task<string> PostJsonAsync(HttpClient http, string project, string action, string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
        return PostAsync(http, project, content, "AmazonSQS." + action);
    }

    /// <summary>Keys are off: the signature's access key id names the project, and the signature itself is not checked.</summary>
    private static async Task<string> PostAsync(HttpClient http, string project, HttpContent content, string? target)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = content };
        if (target is not null)
        {
            request.Headers.Add("X-Amz-Target", target);
        }

        request.Headers.Authorization = new AuthenticationHeaderValue(
            "AWS4-HMAC-SHA256", $"Credential={project}/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=00");
        request.Headers.Add("X-Amz-Date", "20260101T000000Z");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue(text);
        return text;
    }
}
