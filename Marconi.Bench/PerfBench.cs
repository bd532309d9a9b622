using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;

namespace Marconi.Bench;

/// <summary>
/// The figures of the performance issue in one run: the four HTTP workloads at N connections and
/// the ZeroMQ latencies of one client, against the real server process with its shipped
/// configuration (Synchronous=Full), and in the same run the ceilings they are compared with: a
/// minimal Kestrel app answering the same posts, and raw SQLite committing 1, 16 and 100 rows per
/// fsync. Prints a table, optionally writes JSON and compares with an earlier JSON.
/// </summary>
internal static partial class PerfBench
{
    private const string Message = """{"ttl":3600,"body":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""";

    /// <summary>The queue post-1 and post-10 post to, in the project every request names (<see cref="RawHttpConnection.Project"/>).</summary>
    internal const string PostQueue = "bench-post";

    private static string[]? Only;

    /// <summary>Seconds each row runs unmeasured first (<c>--warmup</c>; stores sets it too).</summary>
    internal static double Warmup { get; set; } = 3;

    private static bool Wanted(string name) => Only is null || Only.Any(o => name.Contains(o, StringComparison.Ordinal));

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        string? Value(string name) => BenchArgs.Value(args, name);

        var seconds = BenchArgs.Number(args, "--seconds", 5);
        var connections = BenchArgs.Whole(args, "--connections", 16, min: 1);
        var jsonPath = Value("--json");
        var comparePath = Value("--compare");
        var server = BenchArgs.Server(args);
        // Rows whose name contains one of these (comma-separated); the others are skipped.
        Only = Value("--only")?.Split(',');
        // Tiered compilation with PGO takes seconds to reach optimised code on 2 busy cores: rows
        // measured after 1 s of warm-up varied from 8k to 20k list-10 req/s between runs.
        Warmup = BenchArgs.Number(args, "--warmup", 3, min: 0);
        // Server settings for every server row (--set Key=Value), and variants of the server rows
        // (--variant LABEL:Key=Value,Key=Value) measured in the same run beside the plain server.
        var settings = BenchArgs.Settings(args);
        var variants = new List<(string Label, string[] Settings)> { ("", []) };
        foreach (var variant in BenchArgs.Values(args, "--variant"))
        {
            var colon = variant.IndexOf(':');
            if (colon <= 0)
            {
                Console.Error.WriteLine($"--variant {variant}: expected LABEL:Key=Value[,Key=Value]");
                return 2;
            }

            variants.Add((variant[..colon], [.. variant[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => "--" + s)]));
        }

        var rounds = BenchArgs.Whole(args, "--rounds", 1, min: 1);
        var run = new PerfRun
        {
            When = DateTimeOffset.UtcNow,
            Cores = Environment.ProcessorCount,
            LoadAverageAtStart = LoadAverage(),
            Seconds = seconds,
            Warmup = Warmup,
            Connections = connections,
            Server = server,
        };

        var folder = Directory.CreateTempSubdirectory("marconi-perf-").FullName;
        try
        {
            await CeilingAsync(run, folder, seconds, connections);
            for (var round = 1; round <= rounds; round++)
            {
                // Every other round runs the variants in reverse order, so drift over a run favours none of them.
                var order = round % 2 == 1 ? variants : Enumerable.Reverse(variants).ToList();
                foreach (var (label, extra) in order)
                {
                    var first = run.Rows.Count;
                    await ServerAsync(run, server, Path.Combine(folder, $"bench-{round}-{variants.IndexOf((label, extra))}.db"),
                        seconds, connections, [.. settings, .. extra]);
                    foreach (var row in run.Rows.Skip(first))
                    {
                        row.Workload = row.Name;
                        row.Variant = variants.Count > 1 ? (label == "" ? "base" : label) : null;
                        row.Round = rounds > 1 ? round : null;
                        row.Name += (row.Variant is null ? "" : $" [{row.Variant}]") + (row.Round is null ? "" : $" #{round}");
                    }
                }
            }
        }
        finally
        {
            Progress.Clear();
            Directory.Delete(folder, recursive: true);
        }

        run.LoadAverageAtEnd = LoadAverage();
        AddRatios(run);
        Print(run);
        PrintVariants(run);
        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(run, Json));
            Console.WriteLine($"JSON written to {jsonPath}");
        }

        if (comparePath is not null)
        {
            var before = JsonSerializer.Deserialize<PerfRun>(await File.ReadAllTextAsync(comparePath), Json)!;
            Compare(before, run);
        }

        return 0;
    }

    // ---- ceilings ---------------------------------------------------------------------------

    private static async Task CeilingAsync(PerfRun run, string folder, double seconds, int connections)
    {
        var port = PostBench.FreePort();
        using var kestrel = StartSelf("ceiling-kestrel", port.ToString(CultureInfo.InvariantCulture));
        try
        {
            await WaitForPortAsync(port, kestrel);
            var post = RawHttpConnection.Request("POST", "/v2/queues/bench/messages", $"{{\"messages\":[{Message}]}}");
            if (Wanted("ceiling kestrel post-1"))
            {
                run.Rows.Add(await HttpWorkloadAsync("ceiling kestrel post-1", [port], [kestrel], connections, seconds, 1,
                    async c => Expect(await c.SendAsync(post), 201)));
            }
        }
        finally
        {
            kestrel.Kill(entireProcessTree: true);
            await kestrel.WaitForExitAsync();
        }

        foreach (var rows in new[] { 1, 16, 100 }.Where(r => Wanted($"ceiling sqlite {r} rows/commit")))
        {
            run.Rows.Add(SqliteCeiling(Path.Combine(folder, $"ceiling-{rows}.db"), rows, seconds));
        }
    }

    /// <summary>
    /// Inserts rows shaped like message rows (same columns and indexes) into a WAL database with
    /// synchronous=FULL, <paramref name="rowsPerCommit"/> rows per transaction, on one thread.
    /// </summary>
    private static PerfRow SqliteCeiling(string path, int rowsPerCommit, double seconds)
    {
        var name = $"ceiling sqlite {rowsPerCommit} rows/commit";
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        Exec(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE messages (
                marker INTEGER PRIMARY KEY AUTOINCREMENT, queue_id INTEGER NOT NULL, client_id BLOB NOT NULL,
                ttl INTEGER NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL, claim_id INTEGER,
                claim_expires INTEGER, body TEXT NOT NULL, visible_at INTEGER NOT NULL DEFAULT 0,
                claim_count INTEGER NOT NULL DEFAULT 0, encrypted INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX messages_queue ON messages (queue_id);
            CREATE INDEX messages_expires ON messages (expires);
            """);
        using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO messages (queue_id, client_id, ttl, created, expires, body, visible_at)
            VALUES (1, @client, 3600, @now, @expires, @body, @now)
            """;
        insert.Parameters.AddWithValue("@client", Guid.NewGuid().ToByteArray());
        var now = insert.Parameters.Add("@now", SqliteType.Integer);
        var expires = insert.Parameters.Add("@expires", SqliteType.Integer);
        insert.Parameters.AddWithValue("@body", new string('x', 100));
        using var begin = Command(connection, "BEGIN IMMEDIATE");
        using var commit = Command(connection, "COMMIT");

        var latencies = new List<double>(100_000);
        long rows = 0;
        var stopwatch = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        using var progress = Progress.Start(name, seconds, () => rows);
        while (stopwatch.Elapsed < end)
        {
            var started = Stopwatch.GetTimestamp();
            begin.ExecuteNonQuery();
            var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            now.Value = ms;
            expires.Value = ms + 3_600_000;
            for (var i = 0; i < rowsPerCommit; i++)
            {
                insert.ExecuteNonQuery();
            }

            commit.ExecuteNonQuery();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            rows += rowsPerCommit;
        }

        latencies.Sort();
        return new PerfRow
        {
            Name = name,
            Rate = rows / stopwatch.Elapsed.TotalSeconds,
            Unit = "rows/s",
            P50Ms = Percentiles.At(latencies, 0.50),
            P99Ms = Percentiles.At(latencies, 0.99),
        };

        static SqliteCommand Command(SqliteConnection connection, string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            return command;
        }

        static void Exec(SqliteConnection connection, string sql)
        {
            using var command = Command(connection, sql);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>The minimal Kestrel app of the ceiling, run as its own process like the server.</summary>
    public static async Task<int> RunKestrelCeilingAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var answer = Encoding.UTF8.GetBytes("""{"resources":["/v2/queues/bench/messages/0000000000000001"]}""");
        app.MapPost("/v2/queues/{name}/messages", async (HttpContext context) =>
        {
            // Reads the whole body, as the server does, and answers a body of the same shape.
            var buffer = new byte[4096];
            while (await context.Request.Body.ReadAsync(buffer) > 0)
            {
            }

            context.Response.StatusCode = 201;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = answer.Length;
            await context.Response.Body.WriteAsync(answer);
        });
        await app.RunAsync();
        return 0;
    }

    // ---- the server -------------------------------------------------------------------------

    private static async Task ServerAsync(
        PerfRun run, string server, string database, double seconds, int connections, string[] settings)
    {
        var httpPort = PostBench.FreePort();
        var zmqEndpoint = $"tcp://127.0.0.1:{PostBench.FreePort()}";
        using var host = await StartServerAsync(server, database, httpPort, zmqEndpoint, settings);
        try
        {
            run.Rows.AddRange(await HttpRowsAsync([httpPort], [host], seconds, connections, Wanted));

            var headers = $"\"headers\":{{\"Client-ID\":\"{Guid.NewGuid()}\",\"X-Project-Id\":\"bench\"}}";
            if (Wanted("zmq post-1 (1 client)"))
            {
                run.Rows.Add(ZmqLatency("zmq post-1 (1 client)", zmqEndpoint, host, seconds,
                    $"{{\"api\":\"v2\",\"action\":\"message_post\",{headers},\"body\":{{\"queue_name\":\"bench-zmq\",\"messages\":[{Message}]}}}}",
                    "\"status\":201"));
            }

            if (Wanted("zmq get stats (1 client)"))
            {
                run.Rows.Add(ZmqLatency("zmq get stats (1 client)", zmqEndpoint, host, seconds,
                    $"{{\"api\":\"v2\",\"action\":\"queue_get_stats\",{headers},\"body\":{{\"queue_name\":\"bench-zmq\"}}}}",
                    "\"status\":200"));
            }
        }
        finally
        {
            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
        }
    }

    /// <summary>Starts the marconi.dll of <paramref name="server"/> and waits until it answers its health check.</summary>
    internal static async Task<Process> StartServerAsync(
        string server, string database, int httpPort, string zmqEndpoint, string[] settings, Action<string>? output = null)
    {
        var host = PostBench.StartHostFrom(server, database, httpPort, zmqEndpoint, settings, output);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
            await PostBench.WaitForHostAsync(http, host);
            return host;
        }
        catch
        {
            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
            host.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The HTTP rows that <paramref name="wanted"/> names (post-1, post-10, list-10, claim-10+delete)
    /// against servers that share one store, the connections spread evenly over their ports; the
    /// queues are made and filled through the first. CPU per request is that of all <paramref name="servers"/>.
    /// </summary>
    internal static async Task<List<PerfRow>> HttpRowsAsync(
        int[] ports, Process[] servers, double seconds, int connections, Func<string, bool> wanted)
    {
        var rows = new List<PerfRow>();
        using (var setup = await RawHttpConnection.OpenAsync(ports[0]))
        {
            foreach (var queue in new[] { PostQueue, "bench-list", "bench-claim" })
            {
                Expect(await setup.SendAsync(RawHttpConnection.Request("PUT", $"/v2/queues/{queue}", "{}")), 201, 204);
            }

            Expect(await setup.SendAsync(RawHttpConnection.Request("POST", "/v2/queues/bench-list/messages", Messages(20))), 201);
        }

        var post1 = RawHttpConnection.Request("POST", $"/v2/queues/{PostQueue}/messages", Messages(1));
        var post10 = RawHttpConnection.Request("POST", $"/v2/queues/{PostQueue}/messages", Messages(10));
        var list10 = RawHttpConnection.Request("GET", "/v2/queues/bench-list/messages?limit=10&echo=true");
        var claim10 = RawHttpConnection.Request("POST", "/v2/queues/bench-claim/claims?limit=10", """{"ttl":60,"grace":60}""");

        // The first row used to pay for the server's JIT and the database file's first growth.
        await HttpWorkloadAsync("server warm-up", ports, servers, connections, 2, 1,
            async c => Expect(await c.SendAsync(post10), 201));

        if (wanted("post-1"))
        {
            rows.Add(await HttpWorkloadAsync("post-1", ports, servers, connections, seconds, 1,
                async c => Expect(await c.SendAsync(post1), 201)));
        }

        if (wanted("post-10"))
        {
            rows.Add(await HttpWorkloadAsync("post-10", ports, servers, connections, seconds, 10,
                async c => Expect(await c.SendAsync(post10), 201)));
        }

        if (wanted("list-10"))
        {
            rows.Add(await HttpWorkloadAsync("list-10", ports, servers, connections, seconds, 0,
                async c => Expect(await c.SendAsync(list10), 200)));
        }

        if (wanted("claim-10+delete"))
        {
            // Enough free messages for warm-up and row that the claims never find the queue empty,
            // even at twice the issue's target; a claim that does is counted and reported.
            await FillAsync(ports[0], "bench-claim", (int)(40_000 * Math.Max(1, Warmup + seconds)));
            var empty = 0;
            long deleted = 0;
            var claimRow = await HttpWorkloadAsync("claim-10+delete", ports, servers, connections, seconds, 0, async c =>
            {
                var (status, body) = await c.SendAsync(claim10);
                if (status == 204)
                {
                    Interlocked.Increment(ref empty);
                    return;
                }

                Expect((status, body), 201);
                foreach (Match href in MessageHref().Matches(Encoding.UTF8.GetString(body.Span)))
                {
                    Expect(await c.SendAsync(RawHttpConnection.Request("DELETE", href.Value)), 204);
                    Interlocked.Increment(ref deleted);
                }
            }, () => Interlocked.Read(ref deleted));
            claimRow.Note = empty > 0 ? $"{empty} claims found the queue empty" : null;
            rows.Add(claimRow);
        }

        return rows;
    }

    private static string Messages(int count) => $"{{\"messages\":[{string.Join(',', Enumerable.Repeat(Message, count))}]}}";

    /// <summary>Posts <paramref name="count"/> of post-1's messages to <paramref name="queue"/>, 1000 a request.</summary>
    internal static async Task FillAsync(int port, string queue, int count)
    {
        using var connection = await RawHttpConnection.OpenAsync(port);
        var batch = RawHttpConnection.Request("POST", $"/v2/queues/{queue}/messages", Messages(1000));
        for (var posted = 0; posted < count; posted += 1000)
        {
            Progress.Show($"filling {queue}: {posted}/{count} messages");
            Expect(await connection.SendAsync(batch), 201);
        }
    }

    /// <summary>
    /// <paramref name="connections"/> keep-alive connections, each running <paramref name="iteration"/>
    /// in a loop: <see cref="Warmup"/> seconds of warm-up, then <paramref name="seconds"/> measured.
    /// Reports requests per second (and messages per second: each request posting
    /// <paramref name="messagesPerRequest"/>, or as the <paramref name="messages"/> count grows), the
    /// latency of every request, and the CPU the measured processes spent per request.
    /// </summary>
    private static async Task<PerfRow> HttpWorkloadAsync(
        string name, int[] ports, Process[] servers, int connections, double seconds, int messagesPerRequest,
        Func<RawHttpConnection, Task> iteration, Func<long>? messages = null)
    {
        var clients = new List<RawHttpConnection>();
        for (var i = 0; i < connections; i++)
        {
            clients.Add(await RawHttpConnection.OpenAsync(ports[i % ports.Length]));
        }

        try
        {
            await RunAllAsync(clients, iteration, TimeSpan.FromSeconds(Warmup), $"{name} warm-up", Warmup);
            clients.ForEach(c => c.Recording = true);
            var cpuBefore = servers.Sum(s => CpuTime(s).Ticks);
            var clientCpuBefore = CpuTime(Self);
            var messagesBefore = messages?.Invoke() ?? 0;
            var elapsed = await RunAllAsync(clients, iteration, TimeSpan.FromSeconds(seconds), name, seconds);
            var cpu = TimeSpan.FromTicks(servers.Sum(s => CpuTime(s).Ticks) - cpuBefore);
            var clientCpu = CpuTime(Self) - clientCpuBefore;
            var all = clients.SelectMany(c => c.Latencies).Order().ToList();
            var rate = all.Count / elapsed.TotalSeconds;
            return new PerfRow
            {
                Name = name,
                Rate = rate,
                Unit = "req/s",
                MessagesPerSecond = messages is not null ? (messages() - messagesBefore) / elapsed.TotalSeconds
                    : messagesPerRequest > 0 ? rate * messagesPerRequest : null,
                P50Ms = Percentiles.At(all, 0.50),
                P99Ms = Percentiles.At(all, 0.99),
                CpuUsPerRequest = cpu.TotalMicroseconds / all.Count,
                ClientCpuUsPerRequest = clientCpu.TotalMicroseconds / all.Count,
                CpuBoundRate = Environment.ProcessorCount * 1e6 / ((cpu + clientCpu).TotalMicroseconds / all.Count),
            };
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static async Task<TimeSpan> RunAllAsync(
        List<RawHttpConnection> clients, Func<RawHttpConnection, Task> iteration, TimeSpan duration, string name, double seconds)
    {
        var stopwatch = Stopwatch.StartNew();
        var answeredBefore = Interlocked.Read(ref RawHttpConnection.Answered);
        using var progress = Progress.Start(name, seconds, () => Interlocked.Read(ref RawHttpConnection.Answered) - answeredBefore);
        await Task.WhenAll(clients.Select(c => Task.Run(async () =>
        {
            while (stopwatch.Elapsed < duration)
            {
                await iteration(c);
            }
        })));
        return stopwatch.Elapsed;
    }

    private static PerfRow ZmqLatency(string name, string endpoint, Process server, double seconds, string request, string expected)
    {
        using var socket = new RequestSocket(endpoint);
        var payload = Encoding.UTF8.GetBytes(request);
        var latencies = new List<double>(100_000);
        long count = 0;
        foreach (var (duration, recording) in new[] { (Warmup, false), (seconds, true) })
        {
            using var progress = Progress.Start(recording ? name : $"{name} warm-up", duration, () => count);
            var cpuBefore = CpuTime(server);
            var end = Stopwatch.GetTimestamp() + (long)(duration * Stopwatch.Frequency);
            var countBefore = count;
            while (Stopwatch.GetTimestamp() < end)
            {
                var started = Stopwatch.GetTimestamp();
                socket.SendFrame(payload);
                var reply = socket.ReceiveFrameString();
                if (!reply.Contains(expected, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{name} answered {reply}");
                }

                count++;
                if (recording)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }

            if (recording)
            {
                latencies.Sort();
                return new PerfRow
                {
                    Name = name,
                    Rate = latencies.Count / duration,
                    Unit = "req/s",
                    P50Ms = Percentiles.At(latencies, 0.50),
                    P99Ms = Percentiles.At(latencies, 0.99),
                    CpuUsPerRequest = (CpuTime(server) - cpuBefore).TotalMicroseconds / (count - countBefore),
                };
            }
        }

        throw new UnreachableException();
    }

    private static void Expect((int Status, ReadOnlyMemory<byte> Body) response, params int[] statuses)
    {
        if (!statuses.Contains(response.Status))
        {
            throw new InvalidOperationException($"answered {response.Status}: {Encoding.UTF8.GetString(response.Body.Span)}");
        }
    }

    // ---- reporting --------------------------------------------------------------------------

    /// <summary>Each figure beside the limit it is measured against, from the same run.</summary>
    private static void AddRatios(PerfRun run)
    {
        PerfRow? Find(string name) => run.Rows.FirstOrDefault(r => r.Name == name);
        var kestrel = Find("ceiling kestrel post-1");
        var fsync = Find("ceiling sqlite 1 rows/commit");
        var sqlite16 = Find("ceiling sqlite 16 rows/commit");
        var sqlite100 = Find("ceiling sqlite 100 rows/commit");
        foreach (var row in run.Rows.Where(r => !r.Name.StartsWith("ceiling", StringComparison.Ordinal)))
        {
            if (row.Name.StartsWith("zmq post", StringComparison.Ordinal) && fsync is not null)
            {
                row.Ceiling = $"p50 vs one fsync'd commit p50 {fsync.P50Ms:F2} ms";
                row.Ratio = fsync.P50Ms / row.P50Ms;
            }
            else if (row.Name.StartsWith("zmq", StringComparison.Ordinal))
            {
                row.Ceiling = "p50 target 0.100 ms";
                row.Ratio = 0.1 / row.P50Ms;
            }
            else if (kestrel is not null)
            {
                row.Ceiling = $"req/s vs kestrel {kestrel.Rate:F0}";
                row.Ratio = row.Rate / kestrel.Rate;
            }

            if (row.Name == "post-1" && sqlite16 is not null)
            {
                row.MessageRatio = row.MessagesPerSecond / sqlite16.Rate;
                row.Ceiling += $"; msg/s vs sqlite 16 rows/commit {sqlite16.Rate:F0}";
            }
            else if (row.Name == "post-10" && sqlite100 is not null)
            {
                row.MessageRatio = row.MessagesPerSecond / sqlite100.Rate;
                row.Ceiling += $"; msg/s vs sqlite 100 rows/commit {sqlite100.Rate:F0}";
            }
        }
    }

    private static void Print(PerfRun run)
    {
        Console.WriteLine($"server: {run.Server}");
        Console.WriteLine($"perf: {run.Connections} connections (HTTP), 1 client (ZeroMQ), {run.Seconds} s per row after {run.Warmup} s of warm-up, " +
                          $"Synchronous=Full, {run.Cores} cores, load average {run.LoadAverageAtStart} at start, {run.LoadAverageAtEnd} at end");
        Console.WriteLine("| workload | rate | msg/s | p50 ms | p99 ms | server CPU µs/req | client CPU µs/req | CPU bound req/s | ratio to ceiling | ceiling |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var row in run.Rows)
        {
            var ratio = row.Ratio is { } r ? $"{r:F2}" + (row.MessageRatio is { } m ? $" / {m:F2}" : "") : "";
            Console.WriteLine($"| {row.Name} | {row.Rate:F0} {row.Unit} | {Opt(row.MessagesPerSecond, "F0")} | {row.P50Ms:F2} | {row.P99Ms:F2} | " +
                              $"{Opt(row.CpuUsPerRequest, "F0")} | {Opt(row.ClientCpuUsPerRequest, "F0")} | {Opt(row.CpuBoundRate, "F0")} | {ratio} | {row.Ceiling}{(row.Note is null ? "" : $" ({row.Note})")} |");
        }
    }

    /// <summary>
    /// Each variant beside the plain server, workload by workload: mean rate and CPU over the rounds,
    /// and the median of the round-by-round changes (each round's variant against the same round's
    /// base), which a burst of load from elsewhere in one round moves less than the means.
    /// </summary>
    private static void PrintVariants(PerfRun run)
    {
        var variants = run.Rows.Where(r => r.Variant is not null and not "base").Select(r => r.Variant!).Distinct().ToList();
        if (variants.Count == 0)
        {
            return;
        }

        Console.WriteLine();
        Console.WriteLine("| workload | variant | rate base → variant (mean) | median change of rate | server CPU µs/req base → variant (mean) | median change of CPU | rounds |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var workload in run.Rows.Where(r => r.Variant == "base").Select(r => r.Workload!).Distinct())
        {
            var baseRows = run.Rows.Where(r => r.Variant == "base" && r.Workload == workload).ToList();
            foreach (var variant in variants)
            {
                var pairs = run.Rows.Where(r => r.Variant == variant && r.Workload == workload)
                    .Select(v => (Base: baseRows.FirstOrDefault(b => b.Round == v.Round), Variant: v))
                    .Where(p => p.Base is not null).Select(p => (Base: p.Base!, p.Variant)).ToList();
                if (pairs.Count == 0)
                {
                    continue;
                }

                var rateChange = Median(pairs.Select(p => p.Variant.Rate / p.Base.Rate - 1));
                var cpuChange = Median(pairs.Where(p => p.Base.CpuUsPerRequest > 0)
                    .Select(p => (p.Variant.CpuUsPerRequest ?? 0) / p.Base.CpuUsPerRequest!.Value - 1));
                Console.WriteLine($"| {workload} | {variant} | {pairs.Average(p => p.Base.Rate):F0} → {pairs.Average(p => p.Variant.Rate):F0} | " +
                                  $"{rateChange * 100:+0.0;-0.0}% | {pairs.Average(p => p.Base.CpuUsPerRequest ?? 0):F1} → " +
                                  $"{pairs.Average(p => p.Variant.CpuUsPerRequest ?? 0):F1} | {cpuChange * 100:+0.0;-0.0}% | {pairs.Count} |");
            }
        }

        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count == 0 ? double.NaN
                : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
                : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }
    }

    private static void Compare(PerfRun before, PerfRun after)
    {
        Console.WriteLine();
        Console.WriteLine($"change from {before.When:u} (load {before.LoadAverageAtStart}) to {after.When:u} (load {after.LoadAverageAtStart})");
        Console.WriteLine("| workload | rate before | rate after | change | p50 ms before → after | p99 ms before → after | CPU µs/req before → after |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in after.Rows)
        {
            if (before.Rows.FirstOrDefault(r => r.Name == row.Name) is not { } old)
            {
                continue;
            }

            Console.WriteLine($"| {row.Name} | {old.Rate:F0} | {row.Rate:F0} | {(row.Rate / old.Rate - 1) * 100:+0;-0}% | " +
                              $"{old.P50Ms:F2} → {row.P50Ms:F2} | {old.P99Ms:F2} → {row.P99Ms:F2} | " +
                              $"{Opt(old.CpuUsPerRequest, "F0")} → {Opt(row.CpuUsPerRequest, "F0")} |");
        }
    }

    private static string Opt(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "";

    // ---- machinery --------------------------------------------------------------------------

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    internal static readonly Process Self = Process.GetCurrentProcess();

    /// <summary>CPU time (user + system) the process has spent so far.</summary>
    internal static TimeSpan CpuTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    private static Process StartSelf(params string[] args) =>
        PostBench.StartDotnet(null, typeof(PerfBench).Assembly.Location, args);

    private static async Task WaitForPortAsync(int port, Process process)
    {
        for (var i = 0; i < 300; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException("the ceiling app exited");
            }

            try
            {
                using var connection = await RawHttpConnection.OpenAsync(port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("the ceiling app did not start");
    }

    [GeneratedRegex("/v2/queues/[^\"]+/messages/[^\"]+\\?claim_id=[^\"]+")]
    private static partial Regex MessageHref();
}

/// <summary>One progress line on stderr, rewritten in place while a row runs.</summary>
internal static class Progress
{
    public static IDisposable Start(string name, double seconds, Func<long> count)
    {
        var stopwatch = Stopwatch.StartNew();
        var timer = new Timer(_ =>
        {
            var elapsed = stopwatch.Elapsed.TotalSeconds;
            Show($"{name}: {elapsed:F1}/{seconds:F0} s, {count() / Math.Max(elapsed, 0.001):F0}/s");
        }, null, 500, 500);
        return timer;
    }

    public static void Show(string line)
    {
        if (!Console.IsErrorRedirected || Environment.GetEnvironmentVariable("BENCH_PROGRESS") == "1")
        {
            Console.Error.Write($"\r{line,-78}");
        }
    }

    public static void Clear() => Show("");
}

internal sealed class PerfRun
{
    public DateTimeOffset When { get; set; }
    public int Cores { get; set; }
    public string LoadAverageAtStart { get; set; } = "";
    public string LoadAverageAtEnd { get; set; } = "";
    public double Seconds { get; set; }
    public double Warmup { get; set; }
    public int Connections { get; set; }
    /// <summary>The directory whose marconi.dll was measured.</summary>
    public string Server { get; set; } = "";
    public List<PerfRow> Rows { get; set; } = [];
}

internal sealed class PerfRow
{
    public string Name { get; set; } = "";
    /// <summary>The row's workload and the server variant and round it ran in (<c>--variant</c>, <c>--rounds</c>).</summary>
    public string? Workload { get; set; }
    public string? Variant { get; set; }
    public int? Round { get; set; }
    public double Rate { get; set; }
    public string Unit { get; set; } = "";
    public double? MessagesPerSecond { get; set; }
    public double P50Ms { get; set; }
    public double P99Ms { get; set; }
    /// <summary>CPU time (user + system) of the measured server process per request.</summary>
    public double? CpuUsPerRequest { get; set; }
    /// <summary>CPU time of the bench's own load generator per request (HTTP rows).</summary>
    public double? ClientCpuUsPerRequest { get; set; }
    /// <summary>
    /// The rate the machine's cores would allow if server and load generator had them all at these
    /// CPU costs per request: what a rate target must fit under on this machine.
    /// </summary>
    public double? CpuBoundRate { get; set; }
    public double? Ratio { get; set; }
    public double? MessageRatio { get; set; }
    public string? Ceiling { get; set; }
    public string? Note { get; set; }
}
