using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NetMQ;
using NetMQ.Sockets;

namespace Marconi.Bench;

/// <summary>
/// Workers that long-poll against workers that poll (issue 12): one producer posts one message
/// every <c>--interval</c> ms, carrying in its body the moment just before it was sent; consumers
/// claim (long-poll with <c>wait</c>, or <c>wait</c> left out and a sleep after every empty answer),
/// take the time the message is in hand, and delete it with its claim. Each row is one mode over one
/// transport against the real server process with its shipped configuration. Prints, per row, the
/// post-to-consumer latency (p50, p99, max) and the requests (claims, empty ones too, and deletes)
/// per delivered message.
/// </summary>
internal static class ConsumeBench
{
    private const string ClaimBody = """{"ttl":60,"grace":60}""";

    private sealed record Mode(string Name, int Wait, TimeSpan? Poll);

    private sealed record Options(
        double Seconds, double IntervalMs, int Consumers, int Limit, int Wait, double Warmup, string Server,
        string[] Settings, string[]? Only);

    /// <summary>A message in the consumer's hand: its sequence number, when it was sent, and how to delete it.</summary>
    private sealed record Claimed(int Seq, long Sent, string Href);

    public static async Task<int> RunAsync(string[] args)
    {
        string? Value(string name) => BenchArgs.Value(args, name);

        var options = new Options(
            Seconds: BenchArgs.Number(args, "--seconds", 10),
            IntervalMs: BenchArgs.Number(args, "--interval", 50),
            Consumers: BenchArgs.Whole(args, "--consumers", 1, min: 1),
            Limit: BenchArgs.Whole(args, "--limit", 1, min: 1),
            Wait: BenchArgs.Whole(args, "--wait", 20, min: 0),
            Warmup: BenchArgs.Number(args, "--warmup", 2, min: 0),
            Server: BenchArgs.Server(args),
            Settings: BenchArgs.Settings(args),
            Only: Value("--only")?.Split(','));
        var polls = (Value("--polls") ?? "100,1000").Split(',').Select(p => BenchArgs.Whole("--polls", p, min: 1));
        Mode[] modes =
        [
            new($"long-poll (wait={options.Wait})", options.Wait, null),
            .. polls.Select(ms => new Mode(ms % 1000 == 0 ? $"poll every {ms / 1000} s" : $"poll every {ms} ms", 0, TimeSpan.FromMilliseconds(ms))),
        ];

        var folder = Directory.CreateTempSubdirectory("marconi-consume-").FullName;
        var httpPort = PostBench.FreePort();
        var zmqEndpoint = $"tcp://127.0.0.1:{PostBench.FreePort()}";
        var loadAtStart = PerfBench.LoadAverage();
        var rows = new List<Row>();
        using var host = PostBench.StartHostFrom(options.Server, Path.Combine(folder, "consume.db"), httpPort, zmqEndpoint, options.Settings);
        try
        {
            using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") })
            {
                await PostBench.WaitForHostAsync(http, host);
            }

            if (await ProbeAsync(httpPort) is { } problem)
            {
                Console.Error.WriteLine(problem);
                return 1;
            }

            Func<IQueueClient>[] transports =
            [
                () => new HttpQueueClient(httpPort),
                () => new ZmqQueueClient(zmqEndpoint),
            ];
            string[] transportNames = ["http v2", "zmq v2"];
            for (var t = 0; t < transports.Length; t++)
            {
                if (options.Warmup > 0)
                {
                    // The first claims, posts and waits of a transport pay for the JIT on both sides.
                    foreach (var mode in new[] { modes[0], new Mode("warm-up poll", 0, TimeSpan.FromMilliseconds(10)) })
                    {
                        await RunRowAsync(httpPort, $"{transportNames[t]} warm-up", mode, transports[t], options with { Seconds = options.Warmup }, $"consume-warmup-{t}-{mode.Wait}");
                    }
                }

                for (var m = 0; m < modes.Length; m++)
                {
                    var name = $"{transportNames[t]} {modes[m].Name}";
                    if (options.Only is null || options.Only.Any(o => name.Contains(o, StringComparison.Ordinal)))
                    {
                        rows.Add(await RunRowAsync(httpPort, transportNames[t], modes[m], transports[t], options, $"consume-{t}-{m}"));
                    }
                }
            }
        }
        finally
        {
            Progress.Clear();
            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }

        Print(options, rows, loadAtStart, PerfBench.LoadAverage());
        return rows.All(r => r.Missing == 0 && r.Duplicates == 0) ? 0 : 1;
    }

    /// <summary>A claim with wait=1 on an empty queue must take about a second; a server without long-poll answers at once.</summary>
    private static async Task<string?> ProbeAsync(int port)
    {
        using var connection = await RawHttpConnection.OpenAsync(port);
        await connection.SendAsync(RawHttpConnection.Request("PUT", "/v2/queues/consume-probe", "{}"));
        var started = Stopwatch.GetTimestamp();
        var (status, body) = await connection.SendAsync(RawHttpConnection.Request("POST", "/v2/queues/consume-probe/claims?limit=1&wait=1", ClaimBody));
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (status != 204)
        {
            return $"a claim with wait=1 on an empty queue answered {status}: {Encoding.UTF8.GetString(body.Span)}";
        }

        return elapsed < TimeSpan.FromMilliseconds(500)
            ? $"a claim with wait=1 on an empty queue answered 204 after {elapsed.TotalMilliseconds:F0} ms: this server does not long-poll"
            : null;
    }

    // ---- one row ----------------------------------------------------------------------------

    private sealed class Row
    {
        public string Transport = "";
        public string Mode = "";
        public int Posted;
        public int Delivered;
        public int Duplicates;
        public int Missing;
        public long Claims;
        public long EmptyClaims;
        public long Deletes;

        /// <summary>Messages deleted: the row ends when every posted one is.</summary>
        public int Done;
        public List<double> Latencies = [];
        public List<double> PostLatencies = [];

        /// <summary>Requests are counted from the producer's first post until the last message is deleted.</summary>
        public volatile bool Counting;

        public readonly HashSet<int> Seen = [];
    }

    private static async Task<Row> RunRowAsync(
        int httpPort, string transport, Mode mode, Func<IQueueClient> connect, Options options, string queue)
    {
        var row = new Row { Transport = transport, Mode = mode.Name };
        using (var setup = await RawHttpConnection.OpenAsync(httpPort))
        {
            RawHttpConnection.Expect(await setup.SendAsync(RawHttpConnection.Request("PUT", $"/v2/queues/{queue}", "{}")), 201, 204);
        }

        using var stop = new CancellationTokenSource();
        var errors = new ConcurrentQueue<Exception>();
        var clients = Enumerable.Range(0, options.Consumers).Select(_ => connect()).ToList();
        using var producer = connect();
        var consumers = clients.Select(c => Start(() => Consume(c, queue, mode, options.Limit, row, stop.Token), errors)).ToList();

        // The consumers are at work (a long-poll waiting) before the first post, as workers would be.
        await Task.Delay(200);
        row.Counting = true;
        using (Progress.Start($"{transport} {mode.Name}", options.Seconds, () => Volatile.Read(ref row.Delivered)))
        {
            var producing = Start(() => Produce(producer, queue, options, row), errors);
            await Task.Run(producing.Join);

            // Every posted message is delivered and deleted before the row ends, the tail of a slow poll included.
            var deadline = Stopwatch.GetTimestamp() + (long)(((mode.Poll?.TotalSeconds ?? 0) + 5) * Stopwatch.Frequency);
            while (Volatile.Read(ref row.Done) < row.Posted && Stopwatch.GetTimestamp() < deadline && errors.IsEmpty)
            {
                await Task.Delay(2);
            }
        }

        row.Counting = false;
        stop.Cancel();
        clients.ForEach(c => c.Interrupt());
        foreach (var consumer in consumers)
        {
            await Task.Run(consumer.Join);
        }

        clients.ForEach(c => c.Dispose());
        if (!errors.IsEmpty)
        {
            throw new AggregateException($"{transport} {mode.Name}", errors);
        }

        row.Missing = row.Posted - row.Delivered;
        row.Latencies.Sort();
        row.PostLatencies.Sort();
        return row;
    }

    private static Thread Start(Action action, ConcurrentQueue<Exception> errors)
    {
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })
        { IsBackground = true };
        thread.Start();
        return thread;
    }

    /// <summary>One message every interval, on a schedule (a slow post does not shift the ones after it).</summary>
    private static void Produce(IQueueClient client, string queue, Options options, Row row)
    {
        var start = Stopwatch.GetTimestamp();
        var interval = options.IntervalMs / 1000 * Stopwatch.Frequency;
        var end = start + (long)(options.Seconds * Stopwatch.Frequency);
        for (var seq = 0; ; seq++)
        {
            var due = start + (long)(seq * interval);
            if (due >= end)
            {
                return;
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }

            var sent = Stopwatch.GetTimestamp();
            client.Post(queue, $"{{\"seq\":{seq},\"sent\":{sent}}}");
            var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            lock (row)
            {
                row.PostLatencies.Add(elapsed);
                row.Posted++;
            }
        }
    }

    private static void Consume(IQueueClient client, string queue, Mode mode, int limit, Row row, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var claimed = client.Claim(queue, limit, mode.Wait, stop);
                var inHand = Stopwatch.GetTimestamp();
                if (row.Counting)
                {
                    Interlocked.Increment(ref row.Claims);
                    if (claimed.Count == 0)
                    {
                        Interlocked.Increment(ref row.EmptyClaims);
                    }
                }

                if (claimed.Count == 0)
                {
                    if (mode.Poll is { } poll)
                    {
                        stop.WaitHandle.WaitOne(poll);
                    }

                    continue;
                }

                lock (row)
                {
                    foreach (var message in claimed)
                    {
                        if (row.Seen.Add(message.Seq))
                        {
                            row.Latencies.Add(Stopwatch.GetElapsedTime(message.Sent, inHand).TotalMilliseconds);
                        }
                        else
                        {
                            row.Duplicates++;
                        }
                    }

                    Volatile.Write(ref row.Delivered, row.Seen.Count);
                }

                foreach (var message in claimed)
                {
                    client.Delete(queue, message, stop);
                    if (row.Counting)
                    {
                        Interlocked.Increment(ref row.Deletes);
                    }

                    Interlocked.Increment(ref row.Done);
                }
            }
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // The row is over: a long-poll in progress was cut off.
        }
    }

    // ---- reporting --------------------------------------------------------------------------

    private static void Print(Options options, List<Row> rows, string loadAtStart, string loadAtEnd)
    {
        var consumers = options.Consumers == 1 ? "1 consumer" : $"{options.Consumers} consumers";
        Console.WriteLine($"server: {options.Server}");
        Console.WriteLine($"consume: 1 producer posting one message every {options.IntervalMs:0.#} ms for {options.Seconds:0.#} s per row, " +
                          $"{consumers} claiming up to {options.Limit} at a time (ttl 60, grace 60), Synchronous=Full, " +
                          $"{Environment.ProcessorCount} cores, load average {loadAtStart} at start, {loadAtEnd} at end");
        Console.WriteLine("latency: from just before the post is sent (the time travels in the message body) to the consumer holding the parsed claim answer; " +
                          "requests: claims (empty ones too) and deletes answered from the first post to the last delete, per delivered message; " +
                          "the polls leave wait out and sleep after an empty claim");
        Console.WriteLine("| transport | mode | delivered | p50 ms | p99 ms | max ms | claims (empty) | deletes | requests/message | post p50 ms |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in rows)
        {
            var delivered = row.Delivered.ToString(CultureInfo.InvariantCulture) +
                            (row.Missing > 0 ? $" ({row.Missing} missing)" : "") + (row.Duplicates > 0 ? $" ({row.Duplicates} twice)" : "");
            var perMessage = row.Delivered == 0 ? double.NaN : (row.Claims + row.Deletes) / (double)row.Delivered;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Transport} | {row.Mode} | {delivered} | {Percentiles.At(row.Latencies, 0.50):F2} | {Percentiles.At(row.Latencies, 0.99):F2} | " +
                $"{(row.Latencies.Count == 0 ? double.NaN : row.Latencies[^1]):F2} | {row.Claims} ({row.EmptyClaims}) | {row.Deletes} | {perMessage:F2} | " +
                $"{Percentiles.At(row.PostLatencies, 0.50):F2} |"));
        }
    }

    /// <summary>The messages of a claim's answer: v2's <c>{"messages": [...]}</c>, or v1's bare array.</summary>
    private static List<Claimed> Messages(JsonElement body)
    {
        var messages = body.ValueKind == JsonValueKind.Array ? body : body.GetProperty("messages");
        var claimed = new List<Claimed>();
        foreach (var message in messages.EnumerateArray())
        {
            var content = message.GetProperty("body");
            claimed.Add(new Claimed(content.GetProperty("seq").GetInt32(), content.GetProperty("sent").GetInt64(), message.GetProperty("href").GetString()!));
        }

        return claimed;
    }

    // ---- the transports ---------------------------------------------------------------------

    /// <summary>One client's connection, used by one thread; <see cref="Interrupt"/> may come from another.</summary>
    private interface IQueueClient : IDisposable
    {
        void Post(string queue, string body);

        /// <summary>The messages claimed; none on 204.</summary>
        List<Claimed> Claim(string queue, int limit, int wait, CancellationToken stop);

        void Delete(string queue, Claimed message, CancellationToken stop);

        /// <summary>Cuts off a request in progress (a long-poll) at the end of a row.</summary>
        void Interrupt();
    }

    private sealed class HttpQueueClient(int port) : IQueueClient
    {
        private readonly RawHttpConnection _connection = RawHttpConnection.OpenAsync(port).GetAwaiter().GetResult();

        public void Post(string queue, string body) =>
            RawHttpConnection.Expect(Send(RawHttpConnection.Request("POST", $"/v2/queues/{queue}/messages", $"{{\"messages\":[{{\"ttl\":300,\"body\":{body}}}]}}")), 201);

        public List<Claimed> Claim(string queue, int limit, int wait, CancellationToken stop)
        {
            var path = $"/v2/queues/{queue}/claims?limit={limit}" + (wait > 0 ? $"&wait={wait}" : "");
            var (status, body) = Send(RawHttpConnection.Request("POST", path, ClaimBody));
            if (status == 204)
            {
                return [];
            }

            RawHttpConnection.Expect((status, body), 201);
            using var document = JsonDocument.Parse(body);
            return Messages(document.RootElement);
        }

        public void Delete(string queue, Claimed message, CancellationToken stop) =>
            RawHttpConnection.Expect(Send(RawHttpConnection.Request("DELETE", message.Href)), 204);

        // Closing the socket ends the request waiting on it; the server drops the waiter.
        public void Interrupt() => _connection.Dispose();

        public void Dispose() => _connection.Dispose();

        private (int Status, ReadOnlyMemory<byte> Body) Send(byte[] request) => _connection.SendAsync(request).GetAwaiter().GetResult();
    }

    private sealed class ZmqQueueClient : IQueueClient
    {
        private readonly RequestSocket _socket = new();
        private readonly string _headers = $"\"headers\":{{\"Client-ID\":\"{Guid.NewGuid()}\",\"X-Project-Id\":\"bench\"}}";

        public ZmqQueueClient(string endpoint)
        {
            _socket.Options.Linger = TimeSpan.Zero;
            _socket.Connect(endpoint);
        }

        public void Post(string queue, string body)
        {
            using var reply = Send("message_post", $"{{\"queue_name\":\"{queue}\",\"messages\":[{{\"ttl\":300,\"body\":{body}}}]}}", 201, CancellationToken.None);
        }

        public List<Claimed> Claim(string queue, int limit, int wait, CancellationToken stop)
        {
            using var reply = Send("claim_create",
                $"{{\"queue_name\":\"{queue}\",\"ttl\":60,\"grace\":60,\"limit\":{limit}{(wait > 0 ? $",\"wait\":{wait}" : "")}}}", 201, stop, 204);
            var body = reply.RootElement.GetProperty("body");
            return body.ValueKind == JsonValueKind.Null ? [] : Messages(body);
        }

        public void Delete(string queue, Claimed message, CancellationToken stop)
        {
            // The href is /v2/queues/{queue}/messages/{id}?claim_id={claim}.
            var question = message.Href.IndexOf('?', StringComparison.Ordinal);
            var id = message.Href[(message.Href.LastIndexOf('/', question) + 1)..question];
            var claim = message.Href[(message.Href.LastIndexOf('=') + 1)..];
            using var reply = Send("message_delete", $"{{\"queue_name\":\"{queue}\",\"message_id\":\"{id}\",\"claim_id\":\"{claim}\"}}", 204, stop);
        }

        // The receive loop sees the cancellation: a NetMQ socket is not to be touched from another thread.
        public void Interrupt()
        {
        }

        public void Dispose() => _socket.Dispose();

        private JsonDocument Send(string action, string body, int expected, CancellationToken stop, int alsoExpected = -1)
        {
            _socket.SendFrame($"{{\"api\":\"v2\",\"action\":\"{action}\",{_headers},\"body\":{body}}}");
            string? reply;
            // Short receive timeouts, so a long-poll in progress notices the end of the row.
            while (!_socket.TryReceiveFrameString(TimeSpan.FromMilliseconds(50), out reply))
            {
                stop.ThrowIfCancellationRequested();
            }

            var document = JsonDocument.Parse(reply);
            var status = document.RootElement.GetProperty("headers").GetProperty("status").GetInt32();
            if (status != expected && status != alsoExpected)
            {
                document.Dispose();
                throw new InvalidOperationException($"{action} answered {reply}");
            }

            return document;
        }
    }
}
