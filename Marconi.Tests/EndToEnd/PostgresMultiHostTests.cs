using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// Three real host processes on one PostgreSQL database: workers spread over them claim and delete
/// while producers post through all three, a reader pages by marker through one of them, and one host
/// is killed with SIGKILL mid-run.
/// </summary>
public sealed class PostgresMultiHostTests : IAsyncLifetime
{
    private const int Messages = 20_000;
    private const int ClaimTtl = 60;
    private const string Project = "scale";

    private readonly List<HostProcess> _hosts = [];
    private PostgresServer _server = null!;
    private string? _schema;

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.GetAsync();
        if (_server.Unavailable is not null)
        {
            return;
        }

        _schema = await _server.CreateSchemaAsync();
        var settings = new[]
        {
            "--Marconi:Storage:Driver=postgres",
            $"--Marconi:Storage:Postgres:ConnectionString={_server.ConnectionString}",
            $"--Marconi:Storage:Postgres:Schema={_schema}",
        };
        // One after another: the first migrates the schema (the others would wait on its lock anyway).
        for (var i = 0; i < 3; i++)
        {
            _hosts.Add(await HostProcess.StartServingAsync("unused.db", settings));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        if (_schema is not null)
        {
            await _server.DropSchemaAsync(_schema);
        }
    }

    [SkippableFact]
    public async Task WorkersOnThreeHostsShareOneQueueAndAKilledHostLosesNothing()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var clients = _hosts.Select(NewClient).ToArray();
        var stopwatch = Stopwatch.StartNew();
        TimeSpan Now() => stopwatch.Elapsed;
        var killed = new TaskCompletionSource();
        var (a, b, c) = (clients[0], clients[1], clients[2]);

        // Producers: two per host, 10 messages a post, until 20,000 are acknowledged. A post that gets
        // no answer is unknown (it may have been stored): it is not counted, and the producer moves on.
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var left = Messages / 10;
        var producers = Enumerable.Range(0, 6).Select(p => Task.Run(async () =>
        {
            var host = p % 3;
            var n = 0;
            while (Interlocked.Decrement(ref left) >= 0)
            {
                var body = JsonSerializer.Serialize(new
                {
                    messages = Enumerable.Range(0, 10).Select(i => new { ttl = 3600, body = new { p, n, i } }),
                });
                n++;
                try
                {
                    using var response = await clients[host].PostAsync("/v2/queues/work/messages", Json(body));
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        foreach (var id in Ids(await response.Content.ReadFromJsonAsync<JsonElement>()))
                        {
                            acknowledged[id] = 0;
                        }

                        continue;
                    }
                }
                catch (HttpRequestException) when (killed.Task.IsCompleted)
                {
                }

                // The killed host: give the batch back and post through the next host.
                Interlocked.Increment(ref left);
                host = (host + 1) % 3;
            }
        })).ToList();

        // Workers: 16 over the three hosts, claiming 10 with a 60 s claim, deleting what they got.
        var claims = new ConcurrentBag<(string Message, string Claim, TimeSpan Sent, TimeSpan Received, int Host)>();
        var deleted = new ConcurrentDictionary<string, byte>();
        // Deleted through the killed host without an answer: maybe deleted, maybe claimable again later.
        var inDoubt = new ConcurrentDictionary<string, byte>();
        using var done = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            var host = w % 3;
            while (!done.IsCancellationRequested)
            {
                try
                {
                    var sent = Now();
                    using var response = await clients[host].PostAsync("/v2/queues/work/claims?limit=10", Json($$"""{"ttl": {{ClaimTtl}}, "grace": 60}"""));
                    var received = Now();
                    if (response.StatusCode == HttpStatusCode.NoContent)
                    {
                        await Task.Delay(20);
                        continue;
                    }

                    response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
                    var claim = response.Headers.Location!.ToString().Split('/')[^1];
                    var ids = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("messages")
                        .EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
                    foreach (var id in ids)
                    {
                        claims.Add((id, claim, sent, received, host));
                    }

                    try
                    {
                        using var delete = await clients[host].DeleteAsync($"/v2/queues/work/messages?ids={string.Join(',', ids)}");
                        delete.StatusCode.Should().Be(HttpStatusCode.NoContent);
                        foreach (var id in ids)
                        {
                            deleted[id] = 0;
                        }
                    }
                    catch (HttpRequestException) when (killed.Task.IsCompleted && host == 1)
                    {
                        foreach (var id in ids)
                        {
                            inDoubt[id] = 0;
                        }

                        throw;
                    }
                }
                catch (HttpRequestException) when (killed.Task.IsCompleted && host == 1)
                {
                    host = w % 2 == 0 ? 0 : 2;
                }
            }
        })).ToList();

        // The reader: pages through another queue by marker, through host c, while producers on all three
        // hosts post two-message batches to it; then reads on to the end.
        var auditPosted = new ConcurrentBag<(int Producer, int Post, string First, string Second)>();
        var auditProducers = Enumerable.Range(0, 6).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 150; i++)
            {
                using var response = await clients[p % 3].PostAsync("/v2/queues/audit/messages",
                    Json(JsonSerializer.Serialize(new { messages = new[] { new { ttl = 3600, body = new { p, i, n = 0 } }, new { ttl = 3600, body = new { p, i, n = 1 } } } })));
                response.StatusCode.Should().Be(HttpStatusCode.Created);
                var ids = Ids(await response.Content.ReadFromJsonAsync<JsonElement>()).ToList();
                auditPosted.Add((p, i, ids[0], ids[1]));
            }
        })).ToList();
        var read = new List<string>();
        var page = "/v2/queues/audit/messages?echo=true&include_claimed=true&limit=20";
        var auditDone = Task.WhenAll(auditProducers);
        while (true)
        {
            var producing = !auditDone.IsCompleted;
            var json = await c.GetFromJsonAsync<JsonElement>(page);
            var messages = json.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
            read.AddRange(messages);
            if (json.GetProperty("links").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } next)
            {
                page = next.GetProperty("href").GetString()!;
            }

            if (messages.Count == 0 && !producing)
            {
                break;
            }
        }

        await auditDone;

        // Kill host b once a quarter of the work is done, with claims of its workers outstanding.
        while (deleted.Count < Messages / 4)
        {
            await Task.Delay(50);
        }

        // A claim host b holds when it dies, on a queue of its own that no worker claims from: its
        // messages stay claimed until it expires, whichever host asks.
        using (var post = await a.PostAsync("/v2/queues/held/messages",
            Json(JsonSerializer.Serialize(new { messages = Enumerable.Range(0, 10).Select(i => new { ttl = 3600, body = i }) }))))
        {
            post.StatusCode.Should().Be(HttpStatusCode.Created);
        }

        var heldSent = Now();
        using var held = await b.PostAsync("/v2/queues/held/claims?limit=10", Json($$"""{"ttl": {{ClaimTtl}}, "grace": 60}"""));
        held.StatusCode.Should().Be(HttpStatusCode.Created);
        var heldIds = (await held.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("messages")
            .EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
        heldIds.Should().HaveCount(10);

        killed.SetResult();
        _hosts[1].KillHard();
        // Taken once host b has exited: a claim it answered was sent before this, even one sent after
        // the decision to kill it (a worker's claim can be answered in the milliseconds the kill takes).
        var killedAt = Now();

        var reclaimed = Task.Run(async () =>
        {
            while (true)
            {
                using var claim = await c.PostAsync("/v2/queues/held/claims?limit=10", Json($$"""{"ttl": {{ClaimTtl}}, "grace": 60}"""));
                var received = Now();
                if (claim.StatusCode == HttpStatusCode.Created)
                {
                    var ids = (await claim.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("messages")
                        .EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
                    return (ids, received);
                }

                claim.StatusCode.Should().Be(HttpStatusCode.NoContent);
                await Task.Delay(200);
            }
        });

        // The work is done when every post is answered and the queue is empty: what the killed host's
        // workers held comes free when their claims expire.
        await Task.WhenAll(producers);
        var deadline = Now() + TimeSpan.FromSeconds(ClaimTtl + 120);
        while (Now() < deadline
            && (await a.GetFromJsonAsync<JsonElement>("/v2/queues/work/stats")).GetProperty("messages").GetProperty("total").GetInt64() > 0)
        {
            await Task.Delay(200);
        }

        done.Cancel();
        await Task.WhenAll(workers);

        // The reader saw every message of the audit queue once, each producer's posts in the order they
        // were acknowledged, and the two messages of a post side by side.
        var position = read.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        read.Should().OnlyHaveUniqueItems().And.HaveCount(auditPosted.Count * 2, "a reader paging by marker misses nothing");
        foreach (var producer in auditPosted.GroupBy(x => x.Producer))
        {
            var posts = producer.OrderBy(x => x.Post).ToList();
            posts.Select(x => position[x.First]).Should().BeInAscendingOrder();
            posts.Should().OnlyContain(x => position[x.Second] == position[x.First] + 1);
        }

        // Nothing acknowledged was lost: the queue is empty, and every message was deleted by a worker
        // (or, for at most one claim's worth, by a delete the killed host took without answering).
        (await a.GetFromJsonAsync<JsonElement>("/v2/queues/work/stats")).GetProperty("messages").GetProperty("total").GetInt64().Should().Be(0);
        acknowledged.Should().HaveCountGreaterThanOrEqualTo(Messages);
        acknowledged.Keys.Where(id => !deleted.ContainsKey(id) && !inDoubt.ContainsKey(id)).Should().BeEmpty("every acknowledged message was claimed and deleted");
        inDoubt.Keys.Where(id => !deleted.ContainsKey(id)).Should().HaveCountLessThanOrEqualTo(10 * 16);

        // No message was in two live claims: a message claimed again was claimed after the first claim
        // had expired (the first claim was made after it was sent, the second before it was answered).
        var byMessage = claims.GroupBy(x => x.Message).Where(g => g.Count() > 1).ToList();
        foreach (var group in byMessage)
        {
            var ordered = group.OrderBy(x => x.Sent).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                ordered[i].Received.Should().BeGreaterThanOrEqualTo(ordered[i - 1].Sent + TimeSpan.FromSeconds(ClaimTtl) - TimeSpan.FromMilliseconds(50),
                    $"message {group.Key} was claimed again while claim {ordered[i - 1].Claim} was live");
                ordered[i - 1].Host.Should().Be(1, "only the killed host's claims are left undeleted");
            }
        }

        byMessage.Where(g => g.OrderBy(x => x.Sent).First().Sent >= killedAt).Should().BeEmpty("only claims made before the kill could be left undeleted");
        // The killed host's claim kept its messages from host c until it expired, and not longer than needed.
        var (again, at) = await reclaimed;
        again.Should().Equal(heldIds);
        at.Should().BeGreaterThanOrEqualTo(heldSent + TimeSpan.FromSeconds(ClaimTtl) - TimeSpan.FromMilliseconds(50),
            "a live claim of a dead host still holds its messages");
    }

    private HttpClient NewClient(HostProcess host)
    {
        var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("Client-ID", Guid.NewGuid().ToString());
        client.DefaultRequestHeaders.Add("X-Project-ID", Project);
        return client;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static IEnumerable<string> Ids(JsonElement posted) =>
        posted.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!.Split('/')[^1]);
}
