using System.Diagnostics;
using System.Net;
using System.Text;
using Marconi.Tests.Support;

namespace Marconi.Tests.Overload;

/// <summary>
/// The real server process under a flood: 256 HTTP connections posting as fast as they are answered,
/// with a writer that keeps little waiting. Some posts are refused with 503 and Retry-After; every
/// acknowledged message is stored and no refused one is; health and reads answer throughout; and the
/// server's peak resident memory stays under 512 MiB (it is about 150 MiB on a 2-core machine).
/// </summary>
public sealed class FloodTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int Connections = 256;
    private const int PostsPerConnection = 30;
    private const long PeakResidentBound = 512L << 20;
    private static readonly TimeSpan FloodFor = TimeSpan.FromSeconds(8);

    private readonly TempDatabase _database = new();

    [Fact]
    public async Task AFloodOfPostsIsPartlyRefusedWithBoundedMemoryAndNoAcknowledgedMessageLost()
    {
        await using var host = HostProcess.Start(_database.Path, [
            "--Marconi:Storage:Sqlite:MaxWriteBatch=4",
            "--Marconi:Storage:Sqlite:MaxPendingWrites=4",
        ]);
        await host.WaitUntilServingAsync();
        const string Queue = "flood";
        (await host.Client.PutAsync($"/v1/queues/{Queue}", null)).StatusCode.Should().Be(HttpStatusCode.Created);

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections })
        {
            BaseAddress = host.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        var end = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Connections).Select(c => Task.Run(() => PostLoopAsync(http, Queue, c, end))).ToList();
        var probes = await ProbeAsync(host.Client, Queue);
        var outcomes = (await Task.WhenAll(clients)).SelectMany(o => o).ToList();

        var peak = PeakResidentBytes(host.Id);
        var acknowledged = outcomes.Where(o => o.Status == HttpStatusCode.Created).Select(o => o.Tag).ToList();
        var refused = outcomes.Where(o => o.Status == HttpStatusCode.ServiceUnavailable).ToList();
        output.WriteLine($"{outcomes.Count} posts: {acknowledged.Count} acknowledged, {refused.Count} refused; " +
            $"slowest probe {probes.Max(p => p.Elapsed).TotalMilliseconds:F0} ms; server peak RSS {(peak ?? 0) >> 20} MiB");
        outcomes.Should().OnlyContain(o => o.Status == HttpStatusCode.Created || o.Status == HttpStatusCode.ServiceUnavailable,
            "a post is either stored or refused as overloaded");
        acknowledged.Should().NotBeEmpty();
        refused.Should().NotBeEmpty("four writes waiting cannot take 256 connections");
        refused.Should().OnlyContain(o => o.RetryAfter == TimeSpan.FromSeconds(1) && o.Body.Contains("\"title\":\"Service temporarily unavailable\""));

        probes.Should().OnlyContain(p => p.Ok, "health and reads do not go through the writer");
        probes.Max(p => p.Elapsed).Should().BeLessThan(TimeSpan.FromSeconds(5), "health and reads stay answered under the flood");
        if (peak is { } bytes)
        {
            bytes.Should().BeLessThan(PeakResidentBound, "the server's peak resident memory is bounded");
        }

        var stored = await WriterAdmissionTests.StoredBodiesAsync(_database.Path);
        stored.Should().Contain(acknowledged);
        stored.Should().NotIntersectWith(refused.Select(r => r.Tag));
    }

    private sealed record Outcome(string Tag, HttpStatusCode Status, TimeSpan? RetryAfter, string Body);

    private static async Task<List<Outcome>> PostLoopAsync(HttpClient http, string queue, int client, Stopwatch clock)
    {
        var clientId = Guid.NewGuid().ToString();
        var outcomes = new List<Outcome>(PostsPerConnection);
        for (var n = 0; n < PostsPerConnection && clock.Elapsed < FloodFor; n++)
        {
            var tag = $"c{client}-{n}";
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/queues/{queue}/messages")
            {
                Content = new ByteArrayContent(Encoding.UTF8.GetBytes($$$"""[{"ttl":300,"body":{"tag":"{{{tag}}}","pad":"{{{new string('x', 900)}}}"}}]""")),
            };
            request.Headers.Add("Client-ID", clientId);
            using var response = await http.SendAsync(request);
            outcomes.Add(new Outcome(tag, response.StatusCode, response.Headers.RetryAfter?.Delta, await response.Content.ReadAsStringAsync()));
        }

        return outcomes;
    }

    private sealed record Probe(bool Ok, TimeSpan Elapsed);

    /// <summary>Health and a page of messages, one after another, while the flood runs.</summary>
    private static async Task<List<Probe>> ProbeAsync(HttpClient client, string queue)
    {
        var probes = new List<Probe>();
        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            using var health = await client.GetAsync("/v1/health");
            probes.Add(new Probe(health.StatusCode == HttpStatusCode.NoContent, watch.Elapsed));
            watch.Restart();
            using var read = new HttpRequestMessage(HttpMethod.Get, $"/v1/queues/{queue}/messages?echo=true");
            read.Headers.Add("Client-ID", Guid.NewGuid().ToString());
            using var page = await client.SendAsync(read);
            probes.Add(new Probe(page.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent, watch.Elapsed));
        }

        return probes;
    }

    /// <summary>The process's peak resident set (VmHWM), where /proc has it.</summary>
    private static long? PeakResidentBytes(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (!File.Exists(status))
        {
            return null;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    public void Dispose() => _database.Dispose();
}
