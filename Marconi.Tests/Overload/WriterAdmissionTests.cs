using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;

namespace Marconi.Tests.Overload;

/// <summary>The real host with a writer that takes one write per transaction and lets two more wait.</summary>
public sealed class SmallWriterFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Storage:Sqlite:MaxWriteBatch", "1");
        builder.UseSetting("Marconi:Storage:Sqlite:MaxPendingWrites", "2");
    }
}

/// <summary>
/// The writer's queue is bounded: while the database is held by another connection (so no write can
/// finish), posts past the bound are refused at once with 503 and Retry-After; the admitted ones are
/// stored once the database is free, the refused ones never; reads and health are answered meanwhile.
/// </summary>
public sealed class WriterAdmissionTests(SmallWriterFactory factory) : IClassFixture<SmallWriterFactory>
{
    private const int Posts = 10;

    [Fact]
    public async Task PostsPastTheWriterBoundAre503AndOnlyAcknowledgedOnesAreStored()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostMessagesAsync(queue, """[{"ttl":300,"body":"before"}]""");

        var statuses = new List<(string Tag, HttpResponseMessage Response)>();
        await using (var holder = new SqliteConnection($"Data Source={factory.DatabasePath};Pooling=False"))
        {
            holder.Open();
            using (var transaction = holder.BeginTransaction(deferred: false))
            {
                // No write can commit now: one post waits inside the writer, two in its queue, the rest are refused.
                var posts = Enumerable.Range(0, Posts).Select(i => PostAsync(client, queue, $"flood-{i}")).ToList();
                var timeout = Task.Delay(TimeSpan.FromSeconds(4));
                while (posts.Count(p => p.IsCompleted) < Posts - 3)
                {
                    if (await Task.WhenAny(posts.Where(p => !p.IsCompleted).Cast<Task>().Append(timeout)) == timeout)
                    {
                        break;
                    }
                }

                var refused = posts.Where(p => p.IsCompleted).Select(p => p.Result).ToList();
                refused.Should().HaveCountGreaterThanOrEqualTo(Posts - 3, "at most one write in the writer and two waiting");
                foreach (var (_, response) in refused)
                {
                    await response.ShouldBeErrorAsync(HttpStatusCode.ServiceUnavailable, "Service temporarily unavailable");
                    response.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));
                }

                // The writer is stuck, yet health and reads do not wait for it.
                var probe = Stopwatch.StartNew();
                (await client.GetAsync("/v1/health")).StatusCode.Should().Be(HttpStatusCode.NoContent);
                (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true")).StatusCode.Should().Be(HttpStatusCode.OK);
                probe.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));

                transaction.Rollback();
                statuses.AddRange(await Task.WhenAll(posts));
            }
        }

        var acknowledged = statuses.Where(s => s.Response.StatusCode == HttpStatusCode.Created).Select(s => s.Tag).ToList();
        var refusedTags = statuses.Where(s => s.Response.StatusCode == HttpStatusCode.ServiceUnavailable).Select(s => s.Tag).ToList();
        (acknowledged.Count + refusedTags.Count).Should().Be(Posts, "every post is either stored or refused");
        acknowledged.Should().NotBeEmpty();
        refusedTags.Should().NotBeEmpty();

        var stored = await StoredBodiesAsync(factory.DatabasePath);
        stored.Should().Contain(acknowledged);
        stored.Should().NotIntersectWith(refusedTags);
    }

    private static async Task<(string Tag, HttpResponseMessage Response)> PostAsync(V1Client client, string queue, string tag) =>
        (tag, await client.PostAsync($"/v1/queues/{queue}/messages", $$$"""[{"ttl":300,"body":{"tag":"{{{tag}}}"}}]"""));

    /// <summary>The tags of every stored message body of the form {"tag": …}.</summary>
    internal static async Task<HashSet<string>> StoredBodiesAsync(string databasePath)
    {
        await using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM messages";
        var tags = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            using var body = JsonDocument.Parse(reader.GetString(0));
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("tag", out var tag))
            {
                tags.Add(tag.GetString()!);
            }
        }

        return tags;
    }
}
