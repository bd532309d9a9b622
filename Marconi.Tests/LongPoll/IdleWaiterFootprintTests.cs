using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Marconi.Tests.Support;
using Xunit.Abstractions;

namespace Marconi.Tests.LongPoll;

/// <summary>
/// Thousands of idle long-polling claims over HTTP, each on its own connection, against the real
/// host process: they cost no thread and little memory, and leave when their connections close.
/// </summary>
public sealed partial class IdleWaiterFootprintTests(ITestOutputHelper output)
{
    private const int Waiters = 5000;

    /// <summary>
    /// The stated bound: server memory (resident set) per idle waiter, its connection included.
    /// Measured 19 KiB (resident set 105 MiB with none, 197 MiB with 5,000); the bound leaves room for GC timing.
    /// </summary>
    private const long MaxBytesPerWaiter = 48 * 1024;

    [SkippableFact]
    public async Task FiveThousandIdleWaitersHoldNoThreadsAndLittleMemory()
    {
        // Each waiter is a socket in this process and one in the server's.
        Skip.If(OpenFileLimit() < 2 * Waiters + 2000, $"The open-file limit ({OpenFileLimit()}) is too low for {Waiters} connections on each side.");
        using var database = new TempDatabase();
        await using var host = HostProcess.Start(database.Path, ["--Marconi:Transports:Http:MaxConnections=0", "--Marconi:Limits:MaxClaimWaitSeconds=600"]);
        await host.WaitUntilServingAsync();
        var project = "footprint-" + Guid.NewGuid().ToString("N")[..8];
        using var api = new HttpClient { BaseAddress = host.BaseAddress };
        api.DefaultRequestHeaders.Add("X-Project-Id", project);
        api.DefaultRequestHeaders.Add("Client-ID", Guid.NewGuid().ToString());
        (await api.PutAsync("/v2/queues/idle", null)).EnsureSuccessStatusCode();

        // Warm up the paths a waiter takes, so the baseline holds their code and pools.
        var warmUp = await OpenWaitersAsync(host.BaseAddress, project, 200);
        await WaitForWaitingAsync(api, 200);
        CloseAll(warmUp);
        await WaitForWaitingAsync(api, 0);
        var before = Status(host.Id);

        var sockets = await OpenWaitersAsync(host.BaseAddress, project, Waiters);
        await WaitForWaitingAsync(api, Waiters);
        var during = Status(host.Id);

        var perWaiter = (during.RssBytes - before.RssBytes) / Waiters;
        output.WriteLine(
            $"{Waiters} idle waiters: resident set {before.RssBytes >> 20} MiB -> {during.RssBytes >> 20} MiB ({perWaiter / 1024.0:F1} KiB per waiter), threads {before.Threads} -> {during.Threads}");
        perWaiter.Should().BeLessThan(MaxBytesPerWaiter);
        during.Threads.Should().BeLessThan(before.Threads + 20, "a waiter holds no thread");

        // A post is still answered at once with every waiter in line, and wakes the first.
        var posted = await api.PostAsync("/v2/queues/idle/messages", Json("""{"messages": [{"body": 1}]}"""));
        posted.StatusCode.Should().Be(System.Net.HttpStatusCode.Created);
        await WaitForWaitingAsync(api, Waiters - 1);

        CloseAll(sockets);
        await WaitForWaitingAsync(api, 0);
    }

    private static async Task<List<TcpClient>> OpenWaitersAsync(Uri server, string project, int count)
    {
        var request = Encoding.ASCII.GetBytes(
            $"POST /v2/queues/idle/claims?wait=600&limit=1 HTTP/1.1\r\nHost: {server.Authority}\r\nX-Project-Id: {project}\r\n"
            + $"Client-ID: {Guid.NewGuid()}\r\nContent-Length: 0\r\n\r\n");
        var sockets = new List<TcpClient>(count);
        for (var i = 0; i < count; i++)
        {
            var socket = new TcpClient();
            await socket.ConnectAsync(server.Host, server.Port);
            await socket.GetStream().WriteAsync(request);
            sockets.Add(socket);
        }

        return sockets;
    }

    private static void CloseAll(List<TcpClient> sockets)
    {
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
    }

    /// <summary>Waits until the server reports that many waiting claims (its gauge on /metrics).</summary>
    private static async Task WaitForWaitingAsync(HttpClient api, int count)
    {
        var deadline = Stopwatch.StartNew();
        var waiting = -1;
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            var metrics = await api.GetStringAsync("/metrics");
            var match = WaitingGauge().Match(metrics);
            waiting = match.Success ? int.Parse(match.Groups[1].Value) : 0;
            if (waiting == count)
            {
                return;
            }

            await Task.Delay(50);
        }

        waiting.Should().Be(count, "the server reports that many waiting claims");
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static (long RssBytes, int Threads) Status(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        long Field(string name) => long.Parse(status.First(l => l.StartsWith(name + ":")).Split(':')[1].Trim().Split(' ')[0]);
        return (Field("VmRSS") * 1024, (int)Field("Threads"));
    }

    private static long OpenFileLimit()
    {
        // .NET raises the soft limit to the hard one at start, in this process and the server's.
        var line = File.ReadAllLines("/proc/self/limits").First(l => l.StartsWith("Max open files"));
        var hard = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4];
        return hard == "unlimited" ? long.MaxValue : long.Parse(hard);
    }

    [GeneratedRegex(@"^marconi_claims_waiting(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex WaitingGauge();
}
