using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Marconi.Tests.Support;

namespace Marconi.Tests.Sqs;

/// <summary>
/// Debian's python3-boto3 (1.26: SQS's query protocol, form posts answered in XML) with
/// <c>endpoint_url</c> against the real host process with <c>Marconi:Auth:Mode=keys</c>, signing with
/// a project key's AWS credentials as <c>POST /v2/admin/keys</c> answers them (the first admin key made
/// with <c>marconi key create --db</c> before the host starts, as an operator would). The script prints
/// a JSON line per step; the tests assert on those.
/// </summary>
public sealed class SqsBotoTests(SqsBotoTests.Server server) : IClassFixture<SqsBotoTests.Server>
{
    private const string DebianPython = "/usr/bin/python3";
    private const string NoBoto3 = "no /usr/bin/python3 with boto3 here (.ci/run installs Debian's python3-boto3)";
    private const string Project = "boto-project";

    /// <summary>One host and one project key for the class; started only where boto3 is there to use them.</summary>
    public sealed class Server : IAsyncLifetime
    {
        public bool HasBoto3 { get; } = Boto3Installed();

        public SqsHostProcess Process { get; private set; } = null!;

        public string AccessKeyId { get; private set; } = "";

        public string SecretAccessKey { get; private set; } = "";

        public string Folder { get; } = Directory.CreateTempSubdirectory("marconi-sqs-boto-").FullName;

        public string Script => Path.Combine(Folder, "sqs_boto.py");

        public async Task InitializeAsync()
        {
            if (!HasBoto3)
            {
                return;
            }

            await File.WriteAllTextAsync(Script, BotoScript);
            var admin = "";
            Process = await SqsHostProcess.StartAsync(["--Marconi:Auth:Mode=keys"], async database =>
            {
                var created = await CliProcess.RunAsync(["key", "create", "--admin", "--name", "ops", "--db", database]);
                created.Code.Should().Be(0, created.Stderr);
                admin = created.Stdout.TrimEnd('\n');
            });

            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/admin/keys")
            {
                Content = JsonContent.Create(new { name = "boto", project = Project }),
            };
            request.Headers.Add("X-Auth-Token", admin);
            using var response = await Process.Host.Client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            response.IsSuccessStatusCode.Should().BeTrue(body);
            using var key = JsonDocument.Parse(body);
            AccessKeyId = key.RootElement.GetProperty("aws_access_key_id").GetString()!;
            SecretAccessKey = key.RootElement.GetProperty("aws_secret_access_key").GetString()!;
        }

        public async Task DisposeAsync()
        {
            if (HasBoto3)
            {
                await Process.DisposeAsync();
            }

            Directory.Delete(Folder, recursive: true);
        }

        private static bool Boto3Installed()
        {
            if (!File.Exists(DebianPython))
            {
                return false;
            }

            using var probe = System.Diagnostics.Process.Start(new ProcessStartInfo(DebianPython, ["-c", "import boto3"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            probe.WaitForExit();
            return probe.ExitCode == 0;
        }
    }

    [SkippableFact]
    public async Task AQueueAndItsMessagesGoThroughEveryActionWithAProjectKey()
    {
        Skip.IfNot(server.HasBoto3, NoBoto3);
        var steps = await RunAsync("cycle", server.SecretAccessKey);
        var url = $"{server.Process.SqsUrl}/{Project}/boto-jobs";

        Step(steps, "create_queue").GetProperty("url").GetString().Should().Be(url, "the queue URL names the key's project");
        var sent = Step(steps, "send_message");
        sent.GetProperty("md5_body").GetBoolean().Should().BeTrue();
        sent.GetProperty("md5_attributes").GetBoolean().Should().BeTrue("MD5OfMessageAttributes is SQS's digest of the attributes sent");

        var batch = Step(steps, "send_message_batch");
        Strings(batch.GetProperty("successful")).Should().Equal("a", "c");
        batch.GetProperty("failed").GetRawText().Should().Be("""[{"Code": "InvalidMessageContents", "Id": "bad", "SenderFault": true}]""",
            "the invalid entry fails alone; the others are stored");

        var received = steps.Where(s => s.GetProperty("step").GetString() == "received").ToList();
        received.Select(m => m.GetProperty("body").GetString()).Should().Equal("order 42 <&>", "line one\r\nline two", "third \U0001F600");
        received[0].GetProperty("id").GetString().Should().Be(sent.GetProperty("id").GetString());
        received.Should().AllSatisfy(m =>
        {
            m.GetProperty("md5_body").GetBoolean().Should().BeTrue();
            Strings(m.GetProperty("system")).Should().Equal("ApproximateReceiveCount", "SentTimestamp");
            m.GetProperty("receive_count").GetString().Should().Be("1");
        });
        received[0].GetProperty("md5_attributes").GetBoolean().Should().BeTrue();
        received[0].GetProperty("attributes").GetRawText().Should().Be(
            """{"blob": ["Binary", null, "AP9yYXc="], "priority": ["Number", "1", null]}""", "both attributes come back as sent");
        received[1].GetProperty("attributes").GetRawText().Should().Be("{}");

        var again = Step(steps, "received_again");
        Strings(again.GetProperty("bodies")).Should().Equal(["third \U0001F600"], "a visibility of 0 releases the message");
        Strings(again.GetProperty("receive_counts")).Should().Equal("2");
        var deleted = Step(steps, "delete_message_batch");
        Strings(deleted.GetProperty("successful")).Should().Equal("valid");
        deleted.GetProperty("failed").GetRawText().Should().Be("""[["bogus", "ReceiptHandleIsInvalid"], ["stale", "ReceiptHandleIsInvalid"]]""",
            "a made-up handle, and the handle of a receive the message has moved on from, are refused entry by entry");

        var attributes = Step(steps, "get_queue_attributes");
        (attributes.GetProperty("visible").GetString(), attributes.GetProperty("not_visible").GetString()).Should().Be(("0", "1"));
        attributes.GetProperty("visibility").GetString().Should().Be("45", "the attribute given at creation");
        attributes.GetProperty("arn").GetString().Should().Be($"arn:aws:sqs:us-east-1:{Project}:boto-jobs");
        Strings(Step(steps, "list_queues").GetProperty("urls")).Should().Equal(url);
        var tags = Step(steps, "tags");
        tags.GetProperty("tagged").GetRawText().Should().Be("""{"env": "test", "team": "orders"}""");
        tags.GetProperty("untagged").GetRawText().Should().Be("""{"team": "orders"}""");
        var purged = Step(steps, "purge_queue");
        (purged.GetProperty("visible").GetString(), purged.GetProperty("not_visible").GetString()).Should().Be(("0", "0"));
        var gone = Step(steps, "delete_queue");
        gone.GetProperty("get_queue_url").GetString().Should().Be("AWS.SimpleQueueService.NonExistentQueue");
        gone.GetProperty("list_queues").GetArrayLength().Should().Be(0);

        server.Process.Host.Output.Should().NotContain(server.SecretAccessKey, "no secret reaches the server's log");
    }

    [SkippableFact]
    public async Task AWrongSecretIsRefusedWithSignatureDoesNotMatchAndAnUnknownKeyWithInvalidClientTokenId()
    {
        Skip.IfNot(server.HasBoto3, NoBoto3);
        var steps = await RunAsync("refusals", server.SecretAccessKey);

        Step(steps, "wrong_secret").GetProperty("code").GetString().Should().Be("SignatureDoesNotMatch");
        Step(steps, "unknown_key").GetProperty("code").GetString().Should().Be("InvalidClientTokenId");
        Step(steps, "right_secret").GetProperty("code").ValueKind.Should().Be(JsonValueKind.Null, "the same call with the key's secret is admitted");
    }

    [SkippableFact]
    public async Task AFifoQueueWorksOverTheQueryProtocol()
    {
        Skip.IfNot(server.HasBoto3, NoBoto3);
        var steps = await RunAsync("fifo", server.SecretAccessKey);

        var sent = Step(steps, "sent");
        sent.GetProperty("duplicate").GetString().Should().Be(sent.GetProperty("first").GetString(), "content-based deduplication");
        var sequences = Strings(sent.GetProperty("batch_sequences")).Prepend(sent.GetProperty("sequence").GetString()!).ToList();
        sequences.Should().OnlyContain(n => n.Length == 20).And.BeInAscendingOrder(StringComparer.Ordinal);

        var received = Step(steps, "received");
        Strings(received.GetProperty("held")).Should().Equal("a1");
        Strings(received.GetProperty("others")).Should().Equal(["b1"], "group A is in flight");
        received.GetProperty("attributes").GetProperty("MessageGroupId").GetString().Should().Be("A");
        received.GetProperty("attributes").GetProperty("MessageDeduplicationId").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
        received.GetProperty("attributes").GetProperty("SequenceNumber").GetString().Should().Be(sent.GetProperty("sequence").GetString());

        var after = Step(steps, "after_delete");
        Strings(after.GetProperty("bodies")).Should().Equal("a2");
        after.GetProperty("missing_group").GetString().Should().Be("MissingParameter");
        var attributes = Step(steps, "attributes");
        attributes.GetProperty("FifoQueue").GetString().Should().Be("true");
        attributes.GetProperty("ContentBasedDeduplication").GetString().Should().Be("true");
    }

    [SkippableFact]
    public async Task GetQueueUrlOfAMissingQueueRaisesQueueDoesNotExist()
    {
        Skip.IfNot(server.HasBoto3, NoBoto3);
        var missing = Step(await RunAsync("missing-queue", server.SecretAccessKey), "missing_queue");

        missing.GetProperty("code").GetString().Should().Be("AWS.SimpleQueueService.NonExistentQueue");
        missing.GetProperty("modeled").GetBoolean().Should().BeTrue("boto3 raises its modeled QueueDoesNotExist for that code");
    }

    private async Task<List<JsonElement>> RunAsync(string scenario, string secret)
    {
        var output = await AwsClientProcess.RunAsync(DebianPython,
            [server.Script, scenario, server.Process.SqsUrl, server.AccessKeyId, secret], server.Folder);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    private static JsonElement Step(List<JsonElement> steps, string name) =>
        steps.Should().ContainSingle(s => s.GetProperty("step").GetString() == name, $"the script printed one {name} line").Subject;

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private const string BotoScript = """
        import base64, hashlib, json, struct, sys

        import boto3
        from botocore.config import Config
        from botocore.exceptions import ClientError

        scenario, endpoint, key_id, secret = sys.argv[1:5]


        def client(access_key_id, secret_access_key):
            return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                                aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
                                config=Config(retries={"total_max_attempts": 1}))


        def out(step, **values):
            print(json.dumps(dict(step=step, **values), sort_keys=True), flush=True)


        def error_code(call):
            try:
                call()
            except ClientError as e:
                return e.response["Error"]["Code"]
            return None


        def md5_of_attributes(attributes):
            # SQS's digest: by name, each name, type, transport kind and value length-prefixed.
            data = b""
            for name in sorted(attributes):
                value = attributes[name]
                for text in (name, value["DataType"]):
                    data += struct.pack(">I", len(text.encode())) + text.encode()
                if "BinaryValue" in value:
                    data += b"\x02" + struct.pack(">I", len(value["BinaryValue"])) + value["BinaryValue"]
                else:
                    data += b"\x01" + struct.pack(">I", len(value["StringValue"].encode())) + value["StringValue"].encode()
            return hashlib.md5(data).hexdigest()


        sqs = client(key_id, secret)

        if scenario == "cycle":
            url = sqs.create_queue(QueueName="boto-jobs", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
            out("create_queue", url=url)
            body = "order 42 <&>"
            attributes = {"priority": {"DataType": "Number", "StringValue": "1"},
                          "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xffraw"}}
            sent = sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
            out("send_message", id=sent["MessageId"], md5_body=sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest(),
                md5_attributes=sent["MD5OfMessageAttributes"] == md5_of_attributes(attributes))
            batch = sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": "a", "MessageBody": "line one\r\nline two"},
                {"Id": "bad", "MessageBody": "bell \u0007"},
                {"Id": "c", "MessageBody": "third \U0001F600"}])
            out("send_message_batch", successful=sorted(e["Id"] for e in batch["Successful"]),
                failed=[{k: e[k] for k in ("Id", "Code", "SenderFault")} for e in batch.get("Failed", [])])

            received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                           MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"]
            for m in received:
                got = m.get("MessageAttributes", {})
                out("received", id=m["MessageId"], body=m["Body"],
                    md5_body=m["MD5OfBody"] == hashlib.md5(m["Body"].encode()).hexdigest(),
                    md5_attributes=m["MD5OfMessageAttributes"] == md5_of_attributes(got) if got else None,
                    attributes={n: [v["DataType"], v.get("StringValue"),
                                    base64.b64encode(v["BinaryValue"]).decode() if "BinaryValue" in v else None]
                                for n, v in got.items()},
                    system=sorted(m.get("Attributes", {})), receive_count=m.get("Attributes", {}).get("ApproximateReceiveCount"))
            handles = {m["Body"]: m["ReceiptHandle"] for m in received}

            sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[body])
            # The third message released and received again: its first receipt handle is stale then.
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handles["third \U0001F600"], VisibilityTimeout=0)
            again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"])["Messages"]
            out("received_again", bodies=[m["Body"] for m in again],
                receive_counts=[m["Attributes"]["ApproximateReceiveCount"] for m in again])
            deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": "valid", "ReceiptHandle": handles["line one\r\nline two"]},
                {"Id": "stale", "ReceiptHandle": handles["third \U0001F600"]},
                {"Id": "bogus", "ReceiptHandle": "not-a-receipt-handle"}])
            out("delete_message_batch", successful=[e["Id"] for e in deleted["Successful"]],
                failed=sorted([e["Id"], e["Code"]] for e in deleted.get("Failed", [])))

            stats = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            out("get_queue_attributes", visible=stats["ApproximateNumberOfMessages"],
                not_visible=stats["ApproximateNumberOfMessagesNotVisible"], visibility=stats["VisibilityTimeout"], arn=stats["QueueArn"])
            out("list_queues", urls=sqs.list_queues(QueueNamePrefix="boto-")["QueueUrls"])

            sqs.tag_queue(QueueUrl=url, Tags={"team": "orders", "env": "test"})
            tagged = sqs.list_queue_tags(QueueUrl=url)["Tags"]
            sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
            out("tags", tagged=tagged, untagged=sqs.list_queue_tags(QueueUrl=url).get("Tags", {}))

            sqs.send_message(QueueUrl=url, MessageBody="to be purged")
            sqs.purge_queue(QueueUrl=url)
            stats = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            out("purge_queue", visible=stats["ApproximateNumberOfMessages"], not_visible=stats["ApproximateNumberOfMessagesNotVisible"])
            sqs.delete_queue(QueueUrl=url)
            out("delete_queue", get_queue_url=error_code(lambda: sqs.get_queue_url(QueueName="boto-jobs")),
                list_queues=sqs.list_queues(QueueNamePrefix="boto-").get("QueueUrls", []))

        elif scenario == "refusals":
            out("wrong_secret", code=error_code(lambda: client(key_id, secret + "x").list_queues()))
            out("unknown_key", code=error_code(lambda: client("0123456789abcdef", secret).list_queues()))
            out("right_secret", code=error_code(lambda: sqs.list_queues()))

        elif scenario == "fifo":
            url = sqs.create_queue(QueueName="orders-by-boto.fifo",
                                   Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
            first = sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="A")
            duplicate = sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="A")
            batch = sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": "a2", "MessageBody": "a2", "MessageGroupId": "A"},
                {"Id": "b1", "MessageBody": "b1", "MessageGroupId": "B", "MessageDeduplicationId": "b-1"}])
            out("sent", first=first["MessageId"], duplicate=duplicate["MessageId"],
                sequence=first["SequenceNumber"], batch_sequences=[e["SequenceNumber"] for e in batch["Successful"]])
            held = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60,
                                       AttributeNames=["All"])["Messages"]
            others = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
            out("received", held=[m["Body"] for m in held], others=[m["Body"] for m in others],
                attributes={k: v for k, v in held[0]["Attributes"].items()
                            if k in ("MessageGroupId", "MessageDeduplicationId", "SequenceNumber")})
            sqs.delete_message(QueueUrl=url, ReceiptHandle=held[0]["ReceiptHandle"])
            after = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
            out("after_delete", bodies=[m["Body"] for m in after],
                missing_group=error_code(lambda: sqs.send_message(QueueUrl=url, MessageBody="x")))
            out("attributes", **{k: v for k, v in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"].items()
                                 if k in ("FifoQueue", "ContentBasedDeduplication")})

        elif scenario == "missing-queue":
            try:
                sqs.get_queue_url(QueueName="no-such-queue")
                out("missing_queue", code=None, modeled=False)
            except sqs.exceptions.QueueDoesNotExist as e:
                out("missing_queue", code=e.response["Error"]["Code"], modeled=True)
            except ClientError as e:
                out("missing_queue", code=e.response["Error"]["Code"], modeled=False)
        """;
}
