using System.Net;
using System.Xml.Linq;
using FluentAssertions;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>
/// Both of SQS's protocols on the wire, without an SDK in between: their shapes, and bad input of
/// every kind answered with a 4xx in SQS's shape (never a 500). Without keys, a request's access key
/// id names its project and its signature is not checked.
/// </summary>
public sealed class SqsProtocolTests(SqsFactory factory) : IClassFixture<SqsFactory>
{
    private static readonly XNamespace Sqs = "http://queue.amazonaws.com/doc/2012-11-05/";
    private readonly string _project = "proto-" + Guid.NewGuid().ToString("N")[..8];

    private HttpRequestMessage Signed(HttpMethod method, string target)
    {
        var request = new HttpRequestMessage(method, target);
        var now = factory.Clock.GetUtcNow().UtcDateTime;
        request.Headers.TryAddWithoutValidation("X-Amz-Date", now.ToString("yyyyMMdd'T'HHmmss'Z'"));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={_project}/{now:yyyyMMdd}/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=00");
        return request;
    }

    private async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> JsonAsync(string action, string body)
    {
        using var http = new HttpClient { BaseAddress = factory.SqsAddress };
        using var request = Signed(HttpMethod.Post, "/");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "AmazonSQS." + action);
        request.Content = new StringContent(body);
        request.Content.Headers.ContentType = new("application/x-amz-json-1.0");
        var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private async Task<(HttpStatusCode Status, XElement Body)> QueryAsync(params (string Name, string Value)[] fields)
    {
        using var http = new HttpClient { BaseAddress = factory.SqsAddress };
        using var request = Signed(HttpMethod.Post, "/");
        request.Content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        using var response = await http.SendAsync(request);
        return (response.StatusCode, XElement.Parse(await response.Content.ReadAsStringAsync()));
    }

    private string QueueUrl(string name) => $"{factory.SqsAddress.ToString().TrimEnd('/')}/{_project}/{name}";

    [Fact]
    public async Task TheQueryProtocolAnswersInSqsXml()
    {
        var (status, created) = await QueryAsync(("Action", "CreateQueue"), ("QueueName", "xml"), ("Attribute.1.Name", "VisibilityTimeout"), ("Attribute.1.Value", "40"));
        status.Should().Be(HttpStatusCode.OK);
        created.Name.Should().Be(Sqs + "CreateQueueResponse");
        created.Element(Sqs + "CreateQueueResult")!.Element(Sqs + "QueueUrl")!.Value.Should().Be(QueueUrl("xml"));
        created.Element(Sqs + "ResponseMetadata")!.Element(Sqs + "RequestId")!.Value.Should().NotBeEmpty();

        (await QueryAsync(("Action", "SendMessage"), ("QueueUrl", QueueUrl("xml")), ("MessageBody", "line one\r\nline two"),
            ("MessageAttribute.1.Name", "kind"), ("MessageAttribute.1.Value.DataType", "String"), ("MessageAttribute.1.Value.StringValue", "x"))).Status
            .Should().Be(HttpStatusCode.OK);
        var (_, received) = await QueryAsync(("Action", "ReceiveMessage"), ("QueueUrl", QueueUrl("xml")),
            ("AttributeName.1", "All"), ("MessageAttributeName.1", "All"));
        var message = received.Element(Sqs + "ReceiveMessageResult")!.Element(Sqs + "Message")!;
        message.Element(Sqs + "Body")!.Value.Should().Be("line one\r\nline two", "a carriage return survives the XML");
        message.Elements(Sqs + "Attribute").Select(a => a.Element(Sqs + "Name")!.Value).Should().Contain(["SentTimestamp", "ApproximateReceiveCount"]);
        var attribute = message.Element(Sqs + "MessageAttribute")!;
        attribute.Element(Sqs + "Name")!.Value.Should().Be("kind");
        attribute.Element(Sqs + "Value")!.Element(Sqs + "StringValue")!.Value.Should().Be("x");

        var (_, attributes) = await QueryAsync(("Action", "GetQueueAttributes"), ("QueueUrl", QueueUrl("xml")), ("AttributeName.1", "VisibilityTimeout"));
        var pair = attributes.Element(Sqs + "GetQueueAttributesResult")!.Element(Sqs + "Attribute")!;
        (pair.Element(Sqs + "Name")!.Value, pair.Element(Sqs + "Value")!.Value).Should().Be(("VisibilityTimeout", "40"));
    }

    [Fact]
    public async Task QueryErrorsAreSqsErrorResponses()
    {
        var (status, error) = await QueryAsync(("Action", "Frobnicate"));
        status.Should().Be(HttpStatusCode.BadRequest);
        error.Name.Should().Be(Sqs + "ErrorResponse");
        error.Element(Sqs + "Error")!.Element(Sqs + "Code")!.Value.Should().Be("InvalidAction");
        error.Element(Sqs + "Error")!.Element(Sqs + "Type")!.Value.Should().Be("Sender");
        error.Element(Sqs + "RequestId")!.Value.Should().NotBeEmpty();

        (await QueryAsync(("Action", "GetQueueUrl"), ("QueueName", "nothing-here"))).Body.Element(Sqs + "Error")!.Element(Sqs + "Code")!.Value
            .Should().Be("AWS.SimpleQueueService.NonExistentQueue");
        (await QueryAsync(("Action", "AddPermission"), ("QueueUrl", QueueUrl("x")))).Body.Element(Sqs + "Error")!.Element(Sqs + "Code")!.Value
            .Should().Be("AWS.SimpleQueueService.UnsupportedOperation");
        (await QueryAsync(("Action", "CreateQueue"))).Body.Element(Sqs + "Error")!.Element(Sqs + "Code")!.Value.Should().Be("MissingParameter");
        (await QueryAsync(("Action", "ReceiveMessage"), ("QueueUrl", QueueUrl("x")), ("MaxNumberOfMessages", "ten"))).Body
            .Element(Sqs + "Error")!.Element(Sqs + "Code")!.Value.Should().Be("InvalidParameterValue");
        (await QueryAsync(("Action", "ReceiveMessage"), ("QueueUrl", QueueUrl("x")), ("AttributeName.x", "All"))).Status.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AMessageV2CanHoldButXmlCannotIsReceivedWithReplacementCharacters()
    {
        using var v2 = await V2Client.ForAsync(factory, _project);
        await V2Client.SendAsync(v2, HttpMethod.Post, "/v2/queues/control/messages", """{"messages": [{"ttl": 300, "body": "bell \u0007 here"}]}""", 201);
        var (status, received) = await QueryAsync(("Action", "ReceiveMessage"), ("QueueUrl", QueueUrl("control")));
        status.Should().Be(HttpStatusCode.OK);
        received.Element(Sqs + "ReceiveMessageResult")!.Element(Sqs + "Message")!.Element(Sqs + "Body")!.Value.Should().Be("bell \uFFFD here");
    }

    [Theory]
    [InlineData("CreateQueue", """{"QueueName": "a\ud800b"}""", "InvalidParameterValue")]
    [InlineData("CreateQueue", """{"QueueName": """, "InvalidParameterValue")]
    [InlineData("CreateQueue", """["QueueName"]""", "InvalidParameterValue")]
    [InlineData("CreateQueue", """{"QueueName": 12}""", "InvalidParameterValue")]
    [InlineData("CreateQueue", """{"QueueName": "ok", "Attributes": {"DelaySeconds": 5}}""", "InvalidParameterValue")]
    [InlineData("ListQueues", """{"MaxResults": 1e400}""", "InvalidParameterValue")]
    [InlineData("ListQueues", """{"MaxResults": 0}""", "InvalidParameterValue")]
    [InlineData("DeleteQueue", """{"QueueUrl": "not a url"}""", "InvalidParameterValue")]
    [InlineData("Frobnicate", "{}", "InvalidAction")]
    [InlineData("ListMessageMoveTasks", "{}", "AWS.SimpleQueueService.UnsupportedOperation")]
    public async Task BadJsonRequestsAre400InSqsShape(string action, string body, string code)
    {
        var (status, text, response) = await JsonAsync(action, body);
        status.Should().Be(HttpStatusCode.BadRequest, text);
        response.Headers.GetValues("x-amzn-query-error").Single().Should().Be(code + ";Sender");
        text.Should().Contain("\"__type\":\"com.amazonaws.sqs#").And.Contain("\"message\":");
    }

    [Fact]
    public async Task ALoneSurrogateInAMessageBodyIsRefusedAndNothingStored()
    {
        (await JsonAsync("CreateQueue", """{"QueueName": "surrogates"}""")).Status.Should().Be(HttpStatusCode.OK);
        var url = QueueUrl("surrogates");
        var (status, text, _) = await JsonAsync("SendMessage", $$"""{"QueueUrl": "{{url}}", "MessageBody": "a\udc00b"}""");
        status.Should().Be(HttpStatusCode.BadRequest, text);
        var (_, attributes, _) = await JsonAsync("GetQueueAttributes", $$"""{"QueueUrl": "{{url}}", "AttributeNames": ["ApproximateNumberOfMessages"]}""");
        attributes.Should().Contain("\"ApproximateNumberOfMessages\":\"0\"");
    }

    [Fact]
    public async Task AReceiveFromAMissingQueueIsNonExistentQueueWhetherOrNotItWaits()
    {
        foreach (var body in new[]
                 {
                     $$"""{"QueueUrl": "{{QueueUrl("absent")}}", "VisibilityTimeout": 30, "WaitTimeSeconds": 0}""",
                     $$"""{"QueueUrl": "{{QueueUrl("absent")}}", "VisibilityTimeout": 30, "WaitTimeSeconds": 20}""",
                     $$"""{"QueueUrl": "{{QueueUrl("absent")}}"}""",
                 })
        {
            var (status, _, response) = await JsonAsync("ReceiveMessage", body);
            status.Should().Be(HttpStatusCode.BadRequest);
            response.Headers.GetValues("x-amzn-query-error").Single().Should().StartWith("AWS.SimpleQueueService.NonExistentQueue");
        }
    }

    [Fact]
    public async Task ABodyOverTheLimitIs413BeforeItIsRead()
    {
        // Only the headers are sent: the answer must come from the declared length, not from reading 5 MiB.
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(factory.SqsAddress.Host, factory.SqsAddress.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            $"POST / HTTP/1.1\r\nHost: {factory.SqsAddress.Authority}\r\nX-Amz-Target: AmazonSQS.SendMessage\r\n" +
            $"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {5 << 20}\r\n\r\n"));
        using var reader = new StreamReader(stream);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        statusLine.Should().Be("HTTP/1.1 413 Payload Too Large");
    }

    [Fact]
    public async Task AnAccessKeyIdTooLongForAProjectIsRefused()
    {
        using var http = new HttpClient { BaseAddress = factory.SqsAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new FormUrlEncodedContent([new("Action", "ListQueues")]) };
        var now = factory.Clock.GetUtcNow().UtcDateTime;
        request.Headers.TryAddWithoutValidation("X-Amz-Date", now.ToString("yyyyMMdd'T'HHmmss'Z'"));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={new string('p', 257)}/{now:yyyyMMdd}/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=00");
        using var response = await http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).Should().Contain("<Code>InvalidClientTokenId</Code>");
    }

    [Fact]
    public async Task TheQueryProtocolAlsoComesAsAGet()
    {
        using var http = new HttpClient { BaseAddress = factory.SqsAddress };
        using var request = Signed(HttpMethod.Get, "/?Action=CreateQueue&QueueName=by-get");
        using var response = await http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        XElement.Parse(await response.Content.ReadAsStringAsync()).Descendants(Sqs + "QueueUrl").Single().Value.Should().Be(QueueUrl("by-get"));
    }

    [Fact]
    public async Task EachRequestIsLoggedWithItsActionAndStatus()
    {
        await JsonAsync("GetQueueUrl", """{"QueueName": "logged-missing"}""");
        // The line is written as the answer leaves, so it may follow the answer by a moment.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        Serilog.Events.LogEvent? line;
        while ((line = factory.Logs.Events.FirstOrDefault(e => e.RenderMessage().Contains("SQS \"GetQueueUrl\" responded 400")
                   && e.Properties["Project"].ToString().Contains(_project))) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        line.Should().NotBeNull();
        line!.Properties["Transport"].ToString().Should().Contain("sqs");
    }
}
