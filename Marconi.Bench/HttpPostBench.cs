using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Marconi.Bench;

/// <summary>
/// Posts one message per request from N concurrent clients to the real server process, with the
/// shipped configuration (Synchronous=Full: every 201 is on disk), and reports round trips per
/// second and latency percentiles.
/// </summary>
internal static class HttpPostBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        var folder = Directory.CreateTempSubdirectory("marconi-bench-").FullName;
        var port = FreePort();
        using var host = StartHost(Path.Combine(folder, "bench.db"), port);
        try
        {
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            };
            await WaitForHostAsync(client, host);
            (await client.PutAsync("/v1/queues/bench", null)).EnsureSuccessStatusCode();

            Console.WriteLine($"HTTP message post round trips, {options.Seconds} s per row, Synchronous=Full, {Environment.ProcessorCount} cores");
            Console.WriteLine("| transport | clients | body bytes | round trips/s | p50 ms | p99 ms |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var size in options.Sizes)
            {
                foreach (var clients in options.Clients)
                {
                    await MeasureAsync(client, clients, size, TimeSpan.FromSeconds(1)); // warm-up
                    var (rate, p50, p99) = await MeasureAsync(client, clients, size, TimeSpan.FromSeconds(options.Seconds));
                    Console.WriteLine($"| http | {clients} | {size} | {rate:F0} | {p50:F2} | {p99:F2} |");
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

    private static async Task<(double Rate, double P50, double P99)> MeasureAsync(
        HttpClient client, int clients, int size, TimeSpan duration)
    {
        var payload = Encoding.UTF8.GetBytes($"[{{\"ttl\":3600,\"body\":\"{new string('x', Math.Max(0, size - 2))}\"}}]");
        var latencies = new List<double>[clients];
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            var clientId = Guid.NewGuid().ToString();
            var mine = latencies[i] = new List<double>(100_000);
            while (stopwatch.Elapsed < duration)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/queues/bench/messages")
                {
                    Content = new ByteArrayContent(payload),
                };
                request.Headers.Add("Client-ID", clientId);
                var start = Stopwatch.GetTimestamp();
                using var response = await client.SendAsync(request);
                await response.Content.LoadIntoBufferAsync();
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"post answered {(int)response.StatusCode}");
                }

                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToList();
        return (all.Count / elapsed, Percentiles.At(all, 0.50), Percentiles.At(all, 0.99));
    }

    private static Process StartHost(string database, int port)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "marconi.dll"));
        start.ArgumentList.Add($"--Marconi:Storage:Sqlite:Path={database}");
        start.ArgumentList.Add($"--Marconi:Transports:Http:Url=http://127.0.0.1:{port}");
        var process = Process.Start(start)!;
        // Drain the server's log so a full pipe never blocks it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForHostAsync(HttpClient client, Process host)
    {
        for (var i = 0; i < 300; i++)
        {
            if (host.HasExited)
            {
                throw new InvalidOperationException("the server exited");
            }

            try
            {
                if ((await client.GetAsync("/v1/health")).StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the server did not start");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
