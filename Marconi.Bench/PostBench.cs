using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NetMQ;
using NetMQ.Sockets;

namespace Marconi.Bench;

/// <summary>
/// Message post round trips against the real server process on loopback, over HTTP and over
/// ZeroMQ, measured the same way: N clients, each posting one message per request and waiting for
/// the answer, for a fixed time. The server runs its shipped configuration (Synchronous=Full: every
/// acknowledged post is on disk).
/// </summary>
internal static class PostBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        var folder = Directory.CreateTempSubdirectory("marconi-bench-").FullName;
        var httpPort = FreePort();
        var zmqEndpoint = $"tcp://127.0.0.1:{FreePort()}";
        using var host = StartHost(Path.Combine(folder, "bench.db"), httpPort, zmqEndpoint);
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"),
            };
            await WaitForHostAsync(http, host);
            (await http.PutAsync("/v1/queues/bench", null)).EnsureSuccessStatusCode();

            Console.WriteLine($"Message post round trips, {options.Seconds} s per row after 1 s of warm-up, Synchronous=Full, {Environment.ProcessorCount} cores");
            Console.WriteLine("| transport | clients | body bytes | round trips/s | p50 ms | p99 ms |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var transport in new[] { "http", "zmq" })
            {
                foreach (var size in options.Sizes)
                {
                    foreach (var clients in options.Clients)
                    {
                        Func<int, TimeSpan, List<double>> client = transport == "http"
                            ? (_, duration) => HttpClientLoop(http, size, duration)
                            : (_, duration) => ZmqClientLoop(zmqEndpoint, size, duration);
                        Measure(clients, client, TimeSpan.FromSeconds(1));
                        var (rate, p50, p99) = Measure(clients, client, TimeSpan.FromSeconds(options.Seconds));
                        Console.WriteLine($"| {transport} | {clients} | {size} | {rate:F0} | {p50:F2} | {p99:F2} |");
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

    /// <summary>Runs one blocking client loop per thread and pools their latencies.</summary>
    internal static (double Rate, double P50, double P99) Measure(
        int clients, Func<int, TimeSpan, List<double>> loop, TimeSpan duration)
    {
        var results = new List<double>[clients];
        var stopwatch = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, clients)
            .Select(i => new Thread(() => results[i] = loop(i, duration)) { IsBackground = true })
            .ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var all = results.SelectMany(r => r).Order().ToList();
        return (all.Count / elapsed, Percentiles.At(all, 0.50), Percentiles.At(all, 0.99));
    }

    private static string Body(int size) => $"\"{new string('x', Math.Max(0, size - 2))}\"";

    private static List<double> HttpClientLoop(HttpClient http, int size, TimeSpan duration)
    {
        var payload = Encoding.UTF8.GetBytes($"[{{\"ttl\":3600,\"body\":{Body(size)}}}]");
        var clientId = Guid.NewGuid().ToString();
        var latencies = new List<double>(100_000);
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/queues/bench/messages")
            {
                Content = new ByteArrayContent(payload),
            };
            request.Headers.Add("Client-ID", clientId);
            var start = Stopwatch.GetTimestamp();
            using var response = http.Send(request);
            response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"HTTP post answered {(int)response.StatusCode}");
            }

            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return latencies;
    }

    private static List<double> ZmqClientLoop(string endpoint, int size, TimeSpan duration)
    {
        using var socket = new RequestSocket(endpoint);
        var payload = Encoding.UTF8.GetBytes(
            $"{{\"action\":\"message_post\",\"headers\":{{\"Client-ID\":\"{Guid.NewGuid()}\"}},\"body\":{{\"queue_name\":\"bench\",\"messages\":[{{\"ttl\":3600,\"body\":{Body(size)}}}]}}}}");
        var latencies = new List<double>(100_000);
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            var start = Stopwatch.GetTimestamp();
            socket.SendFrame(payload);
            var reply = socket.ReceiveFrameString();
            if (!reply.Contains("\"status\":201", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"ZeroMQ post answered {reply}");
            }

            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return latencies;
    }

    internal static Process StartHost(string database, int httpPort, string zmqEndpoint, params string[] settings) =>
        StartHostFrom(AppContext.BaseDirectory, database, httpPort, zmqEndpoint, settings);

    /// <summary>Starts the marconi.dll of <paramref name="directory"/> (another build, to compare two servers with one bench).</summary>
    /// <param name="output">Sees each line the host writes to stdout (its log), for a bench that reads what it bound.</param>
    internal static Process StartHostFrom(
        string directory, string database, int httpPort, string zmqEndpoint, string[] settings, Action<string>? output = null) =>
        StartDotnet(directory, Path.Combine(directory, "marconi.dll"),
        [
            $"--Marconi:Storage:Sqlite:Path={database}",
            $"--Marconi:Transports:Http:Url=http://127.0.0.1:{httpPort}",
            "--Marconi:Transports:Zmq:Enabled=true",
            $"--Marconi:Transports:Zmq:Endpoint={zmqEndpoint}",
            .. settings,
        ], output);

    /// <summary>Runs <paramref name="dll"/> with dotnet, its output drained so a full pipe never blocks it.</summary>
    internal static Process StartDotnet(string? workingDirectory, string dll, IEnumerable<string> arguments, Action<string>? output = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                output?.Invoke(line.Data);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static async Task WaitForHostAsync(HttpClient client, Process host)
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

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
