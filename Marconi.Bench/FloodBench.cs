using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Marconi.Bench;

/// <summary>
/// Overload: N HTTP connections each posting one message and, whatever the answer, posting again at
/// once (no back-off, Retry-After ignored), for a fixed time, against a fresh real server process per
/// row. Reports answers per second, latency of every answer, the share of 503s, the server's peak
/// resident memory (VmHWM), and whether every acknowledged (201) message is stored.
/// </summary>
internal static class FloodBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        Console.WriteLine($"HTTP flood, {options.Seconds} s per row, one-message posts of 100 bytes, {(options.HonorRetryAfter ? "clients wait out Retry-After" : "clients retry at once")}, Synchronous=Full, {Environment.ProcessorCount} cores, load average at start {LoadAverage()}");
        Console.WriteLine("| connections | answers/s | 201/s | p50 / p99 ms (all) | 201 p50 / p99 ms | 503 % | other | server peak RSS MiB | stored / acknowledged |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var clients in options.Clients)
        {
            await RowAsync(clients, TimeSpan.FromSeconds(options.Seconds), options.HonorRetryAfter);
        }

        Console.WriteLine($"load average at end {LoadAverage()}");
    }

    private static async Task RowAsync(int clients, TimeSpan duration, bool honorRetryAfter)
    {
        var folder = Directory.CreateTempSubdirectory("marconi-bench-").FullName;
        var port = PostBench.FreePort();
        using var host = PostBench.StartHost(Path.Combine(folder, "bench.db"), port, $"tcp://127.0.0.1:{PostBench.FreePort()}");
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}"),
                Timeout = TimeSpan.FromSeconds(60),
            };
            await PostBench.WaitForHostAsync(http, host);
            (await http.PutAsync("/v1/queues/bench", null)).EnsureSuccessStatusCode();

            var payload = Encoding.UTF8.GetBytes($"[{{\"ttl\":3600,\"body\":\"{new string('x', 98)}\"}}]");
            var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var stopwatch = Stopwatch.StartNew();
            var loops = Enumerable.Range(0, clients).Select(_ => Task.Run(() => ClientLoopAsync(http, payload, end, honorRetryAfter))).ToArray();
            var results = await Task.WhenAll(loops);
            var elapsed = stopwatch.Elapsed.TotalSeconds;

            var latencies = results.SelectMany(r => r.Latencies).Order().ToList();
            var acknowledged = results.SelectMany(r => r.CreatedLatencies).Order().ToList();
            var created = results.Sum(r => r.Created);
            var shed = results.Sum(r => r.Shed);
            var other = results.Sum(r => r.Other);
            var peak = PeakResidentMiB(host.Id);
            var stored = await StoredAsync(http);
            Console.WriteLine(
                $"| {clients} | {latencies.Count / elapsed:F0} | {created / elapsed:F0} | {Percentiles.At(latencies, 0.50):F1} / {Percentiles.At(latencies, 0.99):F1} | " +
                $"{Percentiles.At(acknowledged, 0.50):F1} / {Percentiles.At(acknowledged, 0.99):F1} | " +
                $"{100.0 * shed / Math.Max(1, latencies.Count + other):F1} | {other} | {peak} | {stored} / {created} |");
        }
        finally
        {
            host.Kill(entireProcessTree: true);
            host.WaitForExit();
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed record LoopResult(List<double> Latencies, List<double> CreatedLatencies, int Created, int Shed, int Other);

    private static async Task<LoopResult> ClientLoopAsync(HttpClient http, byte[] payload, long end, bool honorRetryAfter)
    {
        var clientId = Guid.NewGuid().ToString();
        var latencies = new List<double>(10_000);
        var createdLatencies = new List<double>(10_000);
        int created = 0, shed = 0, other = 0;
        while (Stopwatch.GetTimestamp() < end)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/queues/bench/messages")
            {
                Content = new ByteArrayContent(payload),
            };
            request.Headers.Add("Client-ID", clientId);
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                var latency = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                latencies.Add(latency);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.Created:
                        created++;
                        createdLatencies.Add(latency);
                        break;
                    case HttpStatusCode.ServiceUnavailable:
                        shed++;
                        if (honorRetryAfter)
                        {
                            // A well-behaved client waits as told before its next post.
                            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end);
                            await Task.Delay(wait < left ? wait : left > TimeSpan.Zero ? left : TimeSpan.Zero);
                        }

                        break;
                    default:
                        other++;
                        break;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // A refused or timed-out connection: no answer at all, counted apart from the statuses.
                other++;
            }
        }

        return new LoopResult(latencies, createdLatencies, created, shed, other);
    }

    /// <summary>Messages in the queue, read once the flood is over (every post is one message).</summary>
    private static async Task<long> StoredAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/v1/queues/bench/stats");
        response.EnsureSuccessStatusCode();
        using var stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return stats.RootElement.GetProperty("messages").GetProperty("total").GetInt64();
    }

    /// <summary>The server's peak resident set (VmHWM), in MiB; Linux only.</summary>
    private static string PeakResidentMiB(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (!File.Exists(status))
        {
            return "n/a";
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? "n/a" : (long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024).ToString();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
