using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Marconi.Core;
using Marconi.Core.Keys;
using Marconi.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marconi.Bench;

/// <summary>
/// What the key check costs: two real server processes, one with <c>Marconi:Auth:Mode=none</c> and
/// one with <c>keys</c> (every request carrying a project key), measured in alternating rows so both
/// see the same machine: a one-message post, and a claim of one message then its deletion (v2, HTTP).
/// </summary>
internal static partial class AuthBench
{
    private const string ClientId = "3381af92-2b9e-11e3-b191-71861300734c";
    private const string Project = "bench";

    public static async Task RunAsync(BenchOptions options)
    {
        var folder = Directory.CreateTempSubdirectory("marconi-bench-").FullName;
        var servers = new List<(string Mode, Process Host, HttpClient Http, string? Token)>();
        try
        {
            foreach (var mode in new[] { "none", "keys" })
            {
                var database = Path.Combine(folder, $"{mode}.db");
                // The key is made in the store before the server starts, as the offline bootstrap does.
                var token = mode == "keys" ? await IssueKeyAsync(database) : null;
                var port = PostBench.FreePort();
                var host = PostBench.StartHost(database, port, $"tcp://127.0.0.1:{PostBench.FreePort()}", $"--Marconi:Auth:Mode={mode}");
                var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 })
                {
                    BaseAddress = new Uri($"http://127.0.0.1:{port}"),
                };
                servers.Add((mode, host, http, token));
                await PostBench.WaitForHostAsync(http, host);
                (await http.SendAsync(Request(HttpMethod.Put, "/v2/queues/bench", token))).EnsureSuccessStatusCode();
            }

            // JIT and the database file's first growth, paid before any row.
            foreach (var (_, _, http, token) in servers)
            {
                PostBench.Measure(options.Clients.Max(), (_, duration) => PostLoop(http, token, duration), TimeSpan.FromSeconds(3));
            }

            // --seconds in equal slices of a second at most (0.5: one slice of 0.5 s).
            var sliceCount = (int)Math.Ceiling(options.Seconds);
            var slice = TimeSpan.FromSeconds(options.Seconds / sliceCount);
            Console.WriteLine($"Mode=none beside Mode=keys over HTTP (v2), {sliceCount} slices of {slice.TotalSeconds:0.###} s per row taken in turn, medians, Synchronous=Full, {Environment.ProcessorCount} cores");
            Console.WriteLine("| operation | clients | auth | round trips/s | p50 ms | p99 ms | server CPU µs per round trip |");
            Console.WriteLine("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
            foreach (var operation in new[] { "post-1", "claim+delete" })
            {
                if (operation == "claim+delete")
                {
                    foreach (var (_, _, http, token) in servers)
                    {
                        await FillAsync(http, token, (int)Math.Ceiling(5_000 * (options.Seconds + 2)) * options.Clients.Length);
                    }
                }

                foreach (var clients in options.Clients)
                {
                    // The modes take turns in slices (a second each, or less), so load from elsewhere on the machine
                    // falls on both alike; each mode's figures are the medians of its slices.
                    var slices = servers.ToDictionary(s => s.Mode, _ => new List<(double Rate, double P50, double P99, double Cpu)>());
                    for (var round = 0; round < sliceCount; round++)
                    {
                        foreach (var (mode, host, http, token) in round % 2 == 0 ? servers : Enumerable.Reverse(servers))
                        {
                            Func<int, TimeSpan, List<double>> loop = operation == "post-1"
                                ? (_, duration) => PostLoop(http, token, duration)
                                : (_, duration) => ClaimLoop(http, token, duration);
                            if (round == 0)
                            {
                                PostBench.Measure(clients, loop, TimeSpan.FromSeconds(1));
                            }

                            var cpuBefore = CpuOf(host);
                            var (rate, p50, p99) = PostBench.Measure(clients, loop, slice);
                            slices[mode].Add((rate, p50, p99, (CpuOf(host) - cpuBefore).TotalMicroseconds / rate));
                        }
                    }

                    foreach (var (mode, measured) in slices)
                    {
                        Console.WriteLine($"| {operation} | {clients} | {mode} | {Median(measured.Select(m => m.Rate)):F0} | " +
                            $"{Median(measured.Select(m => m.P50)):F2} | {Median(measured.Select(m => m.P99)):F2} | {Median(measured.Select(m => m.Cpu)):F0} |");
                    }
                }
            }
        }
        finally
        {
            foreach (var (_, host, http, _) in servers)
            {
                http.Dispose();
                host.Kill(entireProcessTree: true);
                host.WaitForExit();
                host.Dispose();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>The server's CPU time so far; per round trip it shows the key check's cost even on a busy machine.</summary>
    private static TimeSpan CpuOf(Process host)
    {
        host.Refresh();
        return host.TotalProcessorTime;
    }

    /// <summary>A full key for the bench project, written straight into the store through the real driver.</summary>
    private static async Task<string> IssueKeyAsync(string database)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["Marconi:Storage:Sqlite:Path"] = database;
        builder.AddMarconiCore();
        builder.AddSqliteStorage();
        await using var services = builder.Services.BuildServiceProvider();
        var keys = services.GetRequiredService<KeyOperations>();
        return (await keys.CreateAsync(new KeyRequest("bench", Project, KeyRole.Full, null), default)).Token;
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, byte[]? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Client-ID", ClientId);
        request.Headers.Add("X-Project-Id", Project);
        if (token is not null)
        {
            request.Headers.Add("X-Auth-Token", token);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        return request;
    }

    private static byte[] Messages(int count) => Encoding.UTF8.GetBytes(
        $"{{\"messages\":[{string.Join(',', Enumerable.Repeat("""{"ttl":3600,"body":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""", count))}]}}");

    private static async Task FillAsync(HttpClient http, string? token, int count)
    {
        var batch = Messages(1000);
        for (var posted = 0; posted < count; posted += 1000)
        {
            using var response = await http.SendAsync(Request(HttpMethod.Post, "/v2/queues/bench/messages", token, batch));
            response.EnsureSuccessStatusCode();
        }
    }

    private static List<double> PostLoop(HttpClient http, string? token, TimeSpan duration)
    {
        var payload = Messages(1);
        var latencies = new List<double>(100_000);
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            using var request = Request(HttpMethod.Post, "/v2/queues/bench/messages", token, payload);
            var start = Stopwatch.GetTimestamp();
            using var response = http.Send(request);
            response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            Expect(response, HttpStatusCode.Created);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return latencies;
    }

    /// <summary>One round trip: claim one message, then delete it with its claim.</summary>
    private static List<double> ClaimLoop(HttpClient http, string? token, TimeSpan duration)
    {
        var claimBody = Encoding.UTF8.GetBytes("""{"ttl":60,"grace":60}""");
        var latencies = new List<double>(100_000);
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            var start = Stopwatch.GetTimestamp();
            using var claim = http.Send(Request(HttpMethod.Post, "/v2/queues/bench/claims?limit=1", token, claimBody));
            var text = claim.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            Expect(claim, HttpStatusCode.Created);
            using var delete = http.Send(Request(HttpMethod.Delete, MessageHref().Match(text).Value, token));
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

    [GeneratedRegex("/v2/queues/[^\"]+/messages/[^\"]+\\?claim_id=[^\"]+")]
    private static partial Regex MessageHref();
}
