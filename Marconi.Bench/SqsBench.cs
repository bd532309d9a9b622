using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Marconi.Bench;

/// <summary>
/// The SQS endpoint through the AWS SDK beside the v2 API, on the same host in the same run: one
/// message per send (SendMessage beside a v2 post of one message), and consuming ten at a time
/// (ReceiveMessage of 10 then DeleteMessageBatch, or DeleteMessage for each, beside a v2 claim of 10
/// then a delete by ids, or a delete of each by its href). Each round starts a new server on a new
/// SQLite file with the SQS endpoint on; within a round every workload runs through both APIs, the
/// SDK first in odd rounds and v2 first in even ones, so drift over a run favours neither. The
/// consume rows' queues are filled before either of the pair runs, so a receive never finds one empty.
/// </summary>
internal static partial class SqsBench
{
    /// <summary>post-1's message body (the fill's too), sent as is through both APIs.</summary>
    private static readonly string Body = new('x', 100);

    private const string ClaimBody = """{"ttl":60,"grace":60}""";

    private enum Api
    {
        Sdk,
        V2,
    }

    private sealed record Workload(string Name, bool Consumes);

    private static readonly Workload Send = new("send-1", false);
    private static readonly Workload DeleteBatch = new("receive-10+delete-batch", true);
    private static readonly Workload DeleteEach = new("receive-10+delete-each", true);
    private static readonly Workload[] Workloads = [Send, DeleteBatch, DeleteEach];

    private sealed record Options(
        double Seconds, double Warmup, int Rounds, int Connections, int Fill, string Server, string[] Settings, string[]? Only);

    private sealed record Row(Workload Workload, Api Api, int Round)
    {
        public double MessagesPerSecond { get; init; }
        public double RequestsPerMessage { get; init; }
        public double P50Ms { get; init; }
        public double P99Ms { get; init; }
        public double ServerCpuUsPerMessage { get; init; }
        public double ClientCpuUsPerMessage { get; init; }
        public long EmptyReceives { get; init; }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        string? Value(string name) => BenchArgs.Value(args, name);

        var seconds = BenchArgs.Number(args, "--seconds", 10);
        var warmup = BenchArgs.Number(args, "--warmup", 3, min: 0);
        var options = new Options(
            seconds,
            warmup,
            Rounds: BenchArgs.Whole(args, "--rounds", 3, min: 1),
            Connections: BenchArgs.Whole(args, "--connections", 16, min: 1),
            // Messages per consume queue: what the row and its warm-up could take at 20,000 a second
            // (v2's claim of 10 and delete by ids, the fastest, took 6,500 on 2 busy cores).
            Fill: BenchArgs.Whole(args, "--fill", (int)(20_000 * Math.Max(1, warmup + seconds)), min: 0),
            Server: BenchArgs.Server(args),
            Settings: BenchArgs.Settings(args),
            Only: Value("--only")?.Split(','));

        var loadAtStart = PerfBench.LoadAverage();
        var folder = Directory.CreateTempSubdirectory("marconi-sqs-").FullName;
        var rows = new List<Row>();
        try
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                rows.AddRange(await RoundAsync(options, round, Path.Combine(folder, $"sqs-{round}.db")));
            }
        }
        finally
        {
            Progress.Clear();
            Directory.Delete(folder, recursive: true);
        }

        Print(options, rows, loadAtStart, PerfBench.LoadAverage());
        return rows.All(r => r.EmptyReceives == 0) ? 0 : 1;
    }

    /// <summary>A new server with the SQS endpoint on; every wanted workload through both APIs, in this round's order.</summary>
    private static async Task<List<Row>> RoundAsync(Options options, int round, string database)
    {
        var httpPort = PostBench.FreePort();
        // Port 0: the host's start-up line names the port the SQS endpoint bound.
        var sqsUrl = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = await PerfBench.StartServerAsync(options.Server, database, httpPort, $"tcp://127.0.0.1:{PostBench.FreePort()}",
            ["--Marconi:Transports:Sqs:Enabled=true", "--Marconi:Transports:Sqs:Url=http://127.0.0.1:0", .. options.Settings],
            line =>
            {
                if (SqsUrl().Match(line) is { Success: true } match)
                {
                    sqsUrl.TrySetResult(match.Groups[1].Value);
                }
            });
        try
        {
            var endpoint = await sqsUrl.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // Auth none: the access key id names the project, and the signature is not checked.
            using var sqs = new AmazonSQSClient(new BasicAWSCredentials(RawHttpConnection.Project, "bench"), new AmazonSQSConfig
            {
                ServiceURL = endpoint,
                AuthenticationRegion = "us-east-1",
                // A failed request stops the bench instead of being retried unseen.
                MaxErrorRetry = 0,
                MaxConnectionsPerServer = options.Connections,
            });

            var order = round % 2 == 1 ? new[] { Api.Sdk, Api.V2 } : [Api.V2, Api.Sdk];
            var rows = new List<Row>();
            foreach (var workload in Workloads.Where(w => options.Only is null || options.Only.Any(o => w.Name.Contains(o, StringComparison.Ordinal))))
            {
                var queues = new Dictionary<Api, string>
                {
                    [Api.Sdk] = $"sdk-{workload.Name.Replace('+', '-')}",
                    [Api.V2] = $"v2-{workload.Name.Replace('+', '-')}",
                };
                var sdkQueueUrl = (await sqs.CreateQueueAsync(queues[Api.Sdk])).QueueUrl;
                using (var setup = await RawHttpConnection.OpenAsync(httpPort))
                {
                    RawHttpConnection.Expect(await setup.SendAsync(RawHttpConnection.Request("PUT", $"/v2/queues/{queues[Api.V2]}", "{}")), 201, 204);
                }

                if (workload.Consumes)
                {
                    // Both queues are full before either row runs, so both rows meet a database of the same size.
                    foreach (var queue in queues.Values)
                    {
                        await PerfBench.FillAsync(httpPort, queue, options.Fill);
                    }
                }

                foreach (var api in order)
                {
                    var iteration = api == Api.Sdk ? SdkIteration(workload, sqs, sdkQueueUrl) : V2Iteration(workload, queues[Api.V2]);
                    rows.Add(await MeasureAsync(workload, api, round, host, httpPort, options, iteration));
                }
            }

            return rows;
        }
        finally
        {
            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
        }
    }

    // ---- the workloads ------------------------------------------------------------------------

    /// <summary>
    /// One of the row's concurrent loops. An iteration's requests and messages count when it ends
    /// within the measured time, so requests per message come out exact.
    /// </summary>
    private sealed class Worker(RawHttpConnection? connection)
    {
        public RawHttpConnection? Connection { get; } = connection;
        public List<double> Latencies { get; } = new(100_000);
        public long Requests;
        public long Messages;
        public long EmptyReceives;
        private readonly List<double> _pending = new(16);

        /// <summary>Times one request from <paramref name="started"/>.</summary>
        public void Answered(long started) => _pending.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

        public void Done(int messages, bool measuring)
        {
            if (measuring)
            {
                Latencies.AddRange(_pending);
                Requests += _pending.Count;
                Messages += messages;
            }

            _pending.Clear();
        }
    }

    /// <summary>One iteration: a send, or a receive and its deletes; answers the messages it sent or deleted.</summary>
    private static Func<Worker, Task<int>> SdkIteration(Workload workload, AmazonSQSClient sqs, string queueUrl)
    {
        if (workload == Send)
        {
            return async w =>
            {
                var started = Stopwatch.GetTimestamp();
                await sqs.SendMessageAsync(new SendMessageRequest(queueUrl, Body));
                w.Answered(started);
                return 1;
            };
        }

        return async w =>
        {
            var started = Stopwatch.GetTimestamp();
            // A request object each call, as an application makes them (the SDK's are not documented as shareable).
            var receive = new ReceiveMessageRequest(queueUrl) { MaxNumberOfMessages = 10, VisibilityTimeout = 60, WaitTimeSeconds = 0 };
            // The SDK leaves an empty answer's list null.
            var messages = (await sqs.ReceiveMessageAsync(receive)).Messages ?? [];
            w.Answered(started);
            if (messages.Count == 0)
            {
                Interlocked.Increment(ref w.EmptyReceives);
                return 0;
            }

            if (workload == DeleteBatch)
            {
                started = Stopwatch.GetTimestamp();
                var deleted = await sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest(queueUrl,
                    [.. messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))]));
                w.Answered(started);
                if (deleted.Failed is { Count: > 0 } failed)
                {
                    throw new InvalidOperationException($"DeleteMessageBatch failed {failed.Count}: {failed[0].Code} {failed[0].Message}");
                }
            }
            else
            {
                foreach (var message in messages)
                {
                    started = Stopwatch.GetTimestamp();
                    await sqs.DeleteMessageAsync(queueUrl, message.ReceiptHandle);
                    w.Answered(started);
                }
            }

            return messages.Count;
        };
    }

    private static Func<Worker, Task<int>> V2Iteration(Workload workload, string queue)
    {
        if (workload == Send)
        {
            var post = RawHttpConnection.Request("POST", $"/v2/queues/{queue}/messages", $$"""{"messages":[{"ttl":3600,"body":"{{Body}}"}]}""");
            return async w =>
            {
                var started = Stopwatch.GetTimestamp();
                RawHttpConnection.Expect(await w.Connection!.SendAsync(post), 201);
                w.Answered(started);
                return 1;
            };
        }

        var claim = RawHttpConnection.Request("POST", $"/v2/queues/{queue}/claims?limit=10", ClaimBody);
        return async w =>
        {
            var started = Stopwatch.GetTimestamp();
            var (status, body) = await w.Connection!.SendAsync(claim);
            w.Answered(started);
            if (status == 204)
            {
                Interlocked.Increment(ref w.EmptyReceives);
                return 0;
            }

            RawHttpConnection.Expect((status, body), 201);
            var hrefs = MessageHref().Matches(Encoding.UTF8.GetString(body.Span)).Select(m => m.Value).ToList();
            if (workload == DeleteBatch)
            {
                var ids = hrefs.Select(h => MessageHref().Match(h).Groups[1].Value);
                started = Stopwatch.GetTimestamp();
                RawHttpConnection.Expect(await w.Connection.SendAsync(RawHttpConnection.Request("DELETE", $"/v2/queues/{queue}/messages?ids={string.Join(',', ids)}")), 204);
                w.Answered(started);
            }
            else
            {
                foreach (var href in hrefs)
                {
                    started = Stopwatch.GetTimestamp();
                    RawHttpConnection.Expect(await w.Connection.SendAsync(RawHttpConnection.Request("DELETE", href)), 204);
                    w.Answered(started);
                }
            }

            return hrefs.Count;
        };
    }

    /// <summary>
    /// <see cref="Options.Connections"/> loops of <paramref name="iteration"/> without a pause:
    /// <see cref="Options.Warmup"/> seconds unmeasured, then <see cref="Options.Seconds"/> measured,
    /// with the server's and the bench's own CPU time read at both ends of the measured time.
    /// </summary>
    private static async Task<Row> MeasureAsync(
        Workload workload, Api api, int round, Process host, int httpPort, Options options, Func<Worker, Task<int>> iteration)
    {
        var workers = new List<Worker>();
        try
        {
            for (var i = 0; i < options.Connections; i++)
            {
                // The SDK side shares one client (its own connection pool), as an application would.
                workers.Add(new Worker(api == Api.V2 ? await RawHttpConnection.OpenAsync(httpPort) : null));
            }

            var name = $"{workload.Name} {(api == Api.Sdk ? "sdk" : "v2")} #{round}";
            var measuring = false;
            var stop = false;
            var loops = workers.Select(w => Task.Run(async () =>
            {
                while (!Volatile.Read(ref stop))
                {
                    var messages = await iteration(w);
                    w.Done(messages, Volatile.Read(ref measuring));
                }
            })).ToList();

            Progress.Show($"{name} warm-up");
            await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(options.Warmup)), Task.WhenAll(loops));

            ThrowIfFailed(loops);
            var serverCpu = PerfBench.CpuTime(host);
            var clientCpu = PerfBench.CpuTime(PerfBench.Self);
            var stopwatch = Stopwatch.StartNew();
            Volatile.Write(ref measuring, true);
            using (Progress.Start(name, options.Seconds, () => workers.Sum(w => Interlocked.Read(ref w.Messages))))
            {
                await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(options.Seconds)), Task.WhenAll(loops));
            }

            Volatile.Write(ref measuring, false);
            var elapsed = stopwatch.Elapsed;
            serverCpu = PerfBench.CpuTime(host) - serverCpu;
            clientCpu = PerfBench.CpuTime(PerfBench.Self) - clientCpu;
            Volatile.Write(ref stop, true);
            await Task.WhenAll(loops);

            var messages = workers.Sum(w => w.Messages);
            var latencies = workers.SelectMany(w => w.Latencies).Order().ToList();
            return new Row(workload, api, round)
            {
                MessagesPerSecond = messages / elapsed.TotalSeconds,
                RequestsPerMessage = workers.Sum(w => w.Requests) / (double)messages,
                P50Ms = Percentiles.At(latencies, 0.50),
                P99Ms = Percentiles.At(latencies, 0.99),
                ServerCpuUsPerMessage = serverCpu.TotalMicroseconds / messages,
                ClientCpuUsPerMessage = clientCpu.TotalMicroseconds / messages,
                EmptyReceives = workers.Sum(w => w.EmptyReceives),
            };
        }
        finally
        {
            workers.ForEach(w => w.Connection?.Dispose());
        }
    }

    private static void ThrowIfFailed(List<Task> loops)
    {
        if (loops.FirstOrDefault(l => l.IsFaulted) is { } failed)
        {
            failed.GetAwaiter().GetResult();
        }
    }

    // ---- reporting ----------------------------------------------------------------------------

    private static void Print(Options options, List<Row> rows, string loadAtStart, string loadAtEnd)
    {
        // The package's version is the assembly's file version (its informational version is not).
        var sdk = FileVersionInfo.GetVersionInfo(typeof(AmazonSQSClient).Assembly.Location).FileVersion;
        Console.WriteLine($"server: {options.Server}");
        Console.WriteLine($"sqs: AWSSDK.SQS {sdk} (one AmazonSQSClient, {options.Connections} concurrent loops, no retries) against the SQS endpoint, beside " +
                          $"the v2 API over {options.Connections} raw keep-alive HTTP connections (the perf bench's load generator), on the same host; " +
                          $"{options.Seconds} s per row after {options.Warmup} s of warm-up, {options.Rounds} round(s), a new server and SQLite file per round " +
                          $"(Synchronous=Full, Auth none), SDK first in odd rounds and v2 first in even ones; {Environment.ProcessorCount} cores shared by the " +
                          $"load generator and the server, load average {loadAtStart} at start, {loadAtEnd} at end");
        Console.WriteLine($"workloads: send-1 is SendMessage beside a v2 post of one message (100-byte body); receive-10 is ReceiveMessage " +
                          $"(MaxNumberOfMessages 10, VisibilityTimeout 60, WaitTimeSeconds 0) beside a v2 claim of 10 (ttl 60, grace 60), then " +
                          $"DeleteMessageBatch beside a v2 delete by ids (delete-batch), or DeleteMessage beside a v2 delete by href for each message " +
                          $"(delete-each), from queues filled with {options.Fill} messages each; latency is per request; CPU is per message");
        Console.WriteLine("| workload | API | msg/s (mean) | msg/s by round | requests/msg | p50 ms | p99 ms | server CPU µs/msg | client CPU µs/msg | SDK ÷ v2 msg/s |");
        Console.WriteLine("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var workload in Workloads)
        {
            var v2Rate = rows.Where(r => r.Workload == workload && r.Api == Api.V2).Select(r => r.MessagesPerSecond).DefaultIfEmpty(double.NaN).Average();
            foreach (var api in new[] { Api.Sdk, Api.V2 })
            {
                var measured = rows.Where(r => r.Workload == workload && r.Api == api).OrderBy(r => r.Round).ToList();
                if (measured.Count == 0)
                {
                    continue;
                }

                var rate = measured.Average(r => r.MessagesPerSecond);
                var empty = measured.Sum(r => r.EmptyReceives);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {workload.Name}{(empty > 0 ? $" ({empty} receives found the queue empty)" : "")} | {(api == Api.Sdk ? "SDK" : "v2")} | {rate:F0} | " +
                    $"{string.Join(" / ", measured.Select(r => r.MessagesPerSecond.ToString("F0", CultureInfo.InvariantCulture)))} | " +
                    $"{measured.Average(r => r.RequestsPerMessage):F2} | {measured.Average(r => r.P50Ms):F2} | {measured.Average(r => r.P99Ms):F2} | " +
                    $"{measured.Average(r => r.ServerCpuUsPerMessage):F0} | {measured.Average(r => r.ClientCpuUsPerMessage):F0} | " +
                    $"{(api == Api.Sdk ? (rate / v2Rate).ToString("F2", CultureInfo.InvariantCulture) : "")} |"));
            }
        }

        if (rows.Any(r => r.EmptyReceives > 0))
        {
            Console.WriteLine($"a queue ran dry: raise --fill above {options.Fill}");
        }
    }

    [GeneratedRegex(@"SQS (http://[^\s,;]+)")]
    private static partial Regex SqsUrl();

    [GeneratedRegex("/v2/queues/[^\"/]+/messages/([^\"/?]+)\\?claim_id=[^\"]+")]
    private static partial Regex MessageHref();
}
