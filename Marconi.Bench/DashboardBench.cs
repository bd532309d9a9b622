using System.Diagnostics;
using System.Globalization;
using Marconi.Tests.Support;
using OpenQA.Selenium.Chrome;

namespace Marconi.Bench;

/// <summary>
/// What an open dashboard costs the server: perf's post-1 (its workload, warm-up and load
/// generator) with no browser, with a headless Chromium logged in to <c>/ui</c> on the project's
/// queue list, and with it on the posted-to queue's page, each round in alternating order. The
/// page polls every 3 s (the queue list and each queue's stats, or the queue's stats, metadata,
/// messages, claims and subscriptions; and /metrics), and the browser runs on the same cores as the
/// server and the load generator, so its own CPU counts against the server as a browser on an
/// operator's laptop would not. Each row gets a new server on a new SQLite file.
/// </summary>
internal static class DashboardBench
{
    private sealed record Page(string Name, string? Hash, string? Shows);

    private static readonly Page Closed = new("closed", null, null);

    private static readonly Page[] Pages =
    [
        Closed,
        new("queue list", $"#/p/{RawHttpConnection.Project}", $"tr[data-queue='{PerfBench.PostQueue}']"),
        new("queue page", $"#/p/{RawHttpConnection.Project}/q/{PerfBench.PostQueue}", "#messages"),
    ];

    private sealed record Result(Page Page, int Round, PerfRow Row);

    public static async Task<int> RunAsync(string[] args)
    {
        if (HeadlessChromium.Missing is { } missing)
        {
            Console.Error.WriteLine($"dashboard: {missing}");
            return 2;
        }

        var seconds = BenchArgs.Number(args, "--seconds", 10);
        var connections = BenchArgs.Whole(args, "--connections", 16, min: 1);
        var rounds = BenchArgs.Whole(args, "--rounds", 3, min: 1);
        PerfBench.Warmup = BenchArgs.Number(args, "--warmup", 3, min: 0);
        var server = BenchArgs.Server(args);
        var settings = BenchArgs.Settings(args);
        var loadAtStart = PerfBench.LoadAverage();

        var folder = Directory.CreateTempSubdirectory("marconi-dashboard-").FullName;
        var results = new List<Result>();
        var browserVersion = "";
        try
        {
            for (var round = 1; round <= rounds; round++)
            {
                // Every other round runs the pages in reverse order, so drift over a run favours none of them.
                var order = round % 2 == 1 ? Pages : Pages.Reverse().ToArray();
                foreach (var page in order)
                {
                    var (row, version) = await MeasureAsync(page, server, settings,
                        Path.Combine(folder, $"dashboard-{round}-{Array.IndexOf(Pages, page)}"), seconds, connections);
                    browserVersion = version ?? browserVersion;
                    results.Add(new Result(page, round, row));
                }
            }
        }
        finally
        {
            Progress.Clear();
            Directory.Delete(folder, recursive: true);
        }

        Console.WriteLine($"server: {server}");
        Console.WriteLine($"dashboard: perf's post-1 at {connections} HTTP connections to queue {PerfBench.PostQueue} of project {RawHttpConnection.Project}, " +
                          $"{seconds} s per row after {PerfBench.Warmup} s of warm-up, {rounds} round(s) in alternating order, a new server and SQLite file " +
                          $"(the shipped configuration, Auth none) per row; {Environment.ProcessorCount} cores shared by the load generator, the server " +
                          $"and the browser, load average {loadAtStart} at start, {PerfBench.LoadAverage()} at end");
        Console.WriteLine($"browser: headless Chromium {browserVersion} logged in to /ui (empty key), open through each open row's warm-up and measurement; " +
                          "for the closed row it opens the queue page and is gone before the load starts; the page polls every 3 s");
        Print(results, rounds);
        return 0;
    }

    /// <summary>
    /// A new server, the posted-to queue with one message in it, the browser on the page once the
    /// page shows that queue (for the closed row on the queue page, then closed), then post-1; the
    /// browser and the server stop.
    /// </summary>
    private static async Task<(PerfRow Row, string? BrowserVersion)> MeasureAsync(
        Page page, string server, string[] settings, string files, double seconds, int connections)
    {
        var port = PostBench.FreePort();
        using var host = await PerfBench.StartServerAsync(server, files + ".db", port, $"tcp://127.0.0.1:{PostBench.FreePort()}", settings);
        ChromeDriver? browser = null;
        var profile = files + "-chromium";
        try
        {
            // The queue exists and holds a message before the page opens, so the page can show it.
            using (var setup = await RawHttpConnection.OpenAsync(port))
            {
                RawHttpConnection.Expect(await setup.SendAsync(RawHttpConnection.Request("PUT", $"/v2/queues/{PerfBench.PostQueue}", "{}")), 201, 204);
                RawHttpConnection.Expect(await setup.SendAsync(RawHttpConnection.Request("POST", $"/v2/queues/{PerfBench.PostQueue}/messages",
                    """{"messages":[{"ttl":3600,"body":"dashboard bench"}]}""")), 201);
            }

            // The closed row's server serves the queue page once too, its browser gone before the
            // load starts, so every row's server has been up as long and served the same page
            // before post-1: closed rows that started the load straight after the server's start
            // ran 35-55% slower than the open rows beside them.
            browser = await OpenAsync(port, page.Hash is null ? Pages[^1] : page, profile);
            var version = browser.Capabilities.GetCapability("browserVersion")?.ToString();
            if (page.Hash is null)
            {
                await CloseAsync(browser, profile);
                browser = null;
            }

            var rows = await PerfBench.HttpRowsAsync([port], [host], seconds, connections, name => name == "post-1");
            var row = rows.Single();
            row.Name = $"post-1, {page.Name}";
            return (row, version);
        }
        finally
        {
            if (browser is not null)
            {
                await CloseAsync(browser, profile);
            }

            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
        }
    }

    /// <summary>The browser logged in on the page, once the page shows the posted-to queue.</summary>
    private static Task<ChromeDriver> OpenAsync(int port, Page page, string profile) => Task.Run(() =>
    {
        Progress.Show($"{page.Name}: opening the browser");
        var browser = HeadlessChromium.Open(profile);
        try
        {
            var ui = new Uri($"http://127.0.0.1:{port}/ui");
            browser.Navigate().GoToUrl(ui);
            HeadlessChromium.LogIn(browser, "", RawHttpConnection.Project);
            browser.Navigate().GoToUrl(new Uri(ui, page.Hash));
            HeadlessChromium.Displayed(browser, page.Shows!, seconds: 60);
            return browser;
        }
        catch
        {
            browser.Quit();
            throw;
        }
    });

    private static async Task CloseAsync(ChromeDriver browser, string profile)
    {
        browser.Quit();
        browser.Dispose();
        await BrowserGoneAsync(profile);
    }

    /// <summary>
    /// Waits until no process runs with the browser's profile folder (Chromium's renderers and
    /// helpers outlive the driver's quit by a moment), killing any left after 10 s, so that the
    /// next row starts without a browser.
    /// </summary>
    private static async Task BrowserGoneAsync(string profile)
    {
        var stopwatch = Stopwatch.StartNew();
        while (BrowserProcesses(profile) is { Count: > 0 } left)
        {
            if (stopwatch.Elapsed > TimeSpan.FromSeconds(10))
            {
                foreach (var id in left)
                {
                    try
                    {
                        using var process = Process.GetProcessById(id);
                        process.Kill();
                    }
                    catch (ArgumentException)
                    {
                        // Gone meanwhile.
                    }
                }
            }

            await Task.Delay(100);
        }
    }

    private static List<int> BrowserProcesses(string profile)
    {
        var ids = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var id))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains(profile, StringComparison.Ordinal))
                {
                    ids.Add(id);
                }
            }
            catch (IOException)
            {
                // The process ended between listing and reading.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return ids;
    }

    /// <summary>
    /// One row per page: the mean rate over the rounds, each round's rate, latency and the server's
    /// CPU per request, and each open page's change of rate from closed (the ratio of the means).
    /// </summary>
    private static void Print(List<Result> results, int rounds)
    {
        Console.WriteLine("| page | post-1 req/s (mean) | req/s by round | p50 ms | p99 ms | server CPU µs/req | change from closed |");
        Console.WriteLine("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
        var closed = results.Where(r => r.Page == Closed).Average(r => r.Row.Rate);
        foreach (var page in Pages)
        {
            var rows = results.Where(r => r.Page == page).OrderBy(r => r.Round).Select(r => r.Row).ToList();
            var rate = rows.Average(r => r.Rate);
            var change = page == Closed ? "" : $"{(rate / closed - 1) * 100:+0.0;-0.0}%";
            Console.WriteLine($"| {page.Name} | {rate:F0} | {string.Join(" / ", rows.Select(r => r.Rate.ToString("F0", CultureInfo.InvariantCulture)))} | " +
                              $"{rows.Average(r => r.P50Ms):F2} | {rows.Average(r => r.P99Ms):F2} | {rows.Average(r => r.CpuUsPerRequest ?? 0):F1} | {change} |");
        }

        foreach (var page in Pages.Where(p => p != Closed))
        {
            var open = results.Where(r => r.Page == page).Average(r => r.Row.Rate);
            Console.WriteLine($"{page.Name} open costs {(1 - open / closed) * 100:0.0}% of post-1 ({closed:F0} → {open:F0} req/s)");
        }
    }
}
