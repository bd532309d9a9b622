using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Marconi.Bench;

/// <summary>
/// The same operations through v1 and v2 in one run, against the real server process over HTTP:
/// a one-message post, and a claim of one message followed by its deletion with the claim. Rows of
/// the two versions alternate, so they see the same machine.
/// </summary>
internal static partial class ApiBench
{
    private const string ClientId = "3381af92-2b9e-11e3-b191-71861300734c";

    public static async Task RunAsync(BenchOptions options)
    {
        var folder = Directory.CreateTempSubdirectory("marconi-bench-").FullName;
        var httpPort = PostBench.FreePort();
        using var host = PostBench.StartHost(Path.Combine(folder, "bench.db"), httpPort, $"tcp://127.0.0.1:{PostBench.FreePort()}");
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"),
            };
            await PostBench.WaitForHostAsync(http, host);
            foreach (var api in new[] { "v1", "v2" })
            {
                (await http.SendAsync(Request(HttpMethod.Put, $"/{api}/queues/bench-{api}"))).EnsureSuccessStatusCode();
            }

            // Whichever row ran first used to pay for the server's JIT and the database file's growth.
            foreach (var api in new[] { "v1", "v2" })
            {
                PostBench.Measure(options.Clients.Max(), (_, duration) => PostLoop(http, api, duration), TimeSpan.FromSeconds(3));
            }

            Console.WriteLine($"v1 and v2 over HTTP, {options.Seconds} s per row after 1 s of warm-up, Synchronous=Full, {Environment.ProcessorCount} cores");
            Console.WriteLine("| operation | clients | api | round trips/s | p50 ms | p99 ms |");
            Console.WriteLine("| --- | ---: | --- | ---: | ---: | ---: |");
            foreach (var operation in new[] { "post-1", "claim+delete" })
            {
                if (operation == "claim+delete")
                {
                    // Enough free messages that no claim of any row finds its queue empty, posted
                    // before the rows so that no row runs right behind a bulk load.
                    foreach (var api in new[] { "v1", "v2" })
                    {
                        await FillAsync(http, api, (int)Math.Ceiling(5_000 * (options.Seconds + 2)) * options.Clients.Length);
                    }
                }

                foreach (var clients in options.Clients)
                {
                    foreach (var api in new[] { "v1", "v2" })
                    {
                        Func<int, TimeSpan, List<double>> loop = operation == "post-1"
                            ? (_, duration) => PostLoop(http, api, duration)
                            : (_, duration) => ClaimLoop(http, api, duration);
                        PostBench.Measure(clients, loop, TimeSpan.FromSeconds(1));
                        var (rate, p50, p99) = PostBench.Measure(clients, loop, TimeSpan.FromSeconds(options.Seconds));
                        Console.WriteLine($"| {operation} | {clients} | {api} | {rate:F0} | {p50:F2} | {p99:F2} |");
                    }
                }
            }
        }
        finally
        {
            host.Kill(entireProcessTree: true);
            host.WaitForExit();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, byte[]? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Client-ID", ClientId);
        request.Headers.Add("X-Project-Id", "bench");
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        return request;
    }

    private static byte[] Messages(string api, int count)
    {
        var messages = string.Join(',', Enumerable.Repeat("""{"ttl":3600,"body":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""", count));
        return Encoding.UTF8.GetBytes(api == "v1" ? $"[{messages}]" : $"{{\"messages\":[{messages}]}}");
    }

    private static async Task FillAsync(HttpClient http, string api, int count)
    {
        var batch = Messages(api, 1000);
        for (var posted = 0; posted < count; posted += 1000)
        {
            using var response = await http.SendAsync(Request(HttpMethod.Post, $"/{api}/queues/bench-{api}/messages", batch));
            response.EnsureSuccessStatusCode();
        }
    }

    private static List<double> PostLoop(HttpClient http, string api, TimeSpan duration)
    {
        var payload = Messages(api, 1);
        var latencies = new List<double>(100_000);
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            using var request = Request(HttpMethod.Post, $"/{api}/queues/bench-{api}/messages", payload);
            var start = Stopwatch.GetTimestamp();
            using var response = http.Send(request);
            response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            Expect(response, HttpStatusCode.Created);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return latencies;
    }

    /// <summary>One round trip: claim one message, then delete it with its claim.</summary>
    private static List<double> ClaimLoop(HttpClient http, string api, TimeSpan duration)
    {
        var claimBody = Encoding.UTF8.GetBytes("""{"ttl":60,"grace":60}""");
        var latencies = new List<double>(100_000);
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            var start = Stopwatch.GetTimestamp();
            using var claim = http.Send(Request(HttpMethod.Post, $"/{api}/queues/bench-{api}/claims?limit=1", claimBody));
            var text = claim.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            Expect(claim, HttpStatusCode.Created);
            var href = MessageHref().Match(text).Value;
            using var delete = http.Send(Request(HttpMethod.Delete, href));
            Expect(delete, HttpStatusCode.NoContent);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return latencies;
    }

    private static void Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        if (response.StatusCode != status)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}");
        }
    }

    [GeneratedRegex("/v[0-9.]+/queues/[^\"]+/messages/[^\"]+\\?claim_id=[^\"]+")]
    private static partial Regex MessageHref();
}
