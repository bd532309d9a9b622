using System.Diagnostics;
using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Postgres;
using Marconi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Marconi.Tests.Storage;

/// <summary>
/// The PostgreSQL statements that must walk a queue in (queue_id, marker) order and stop after their
/// limit. A claim that joined the queue through a CTE once made the planner sort the whole queue on
/// every claim (about 14 claims/s at 200k messages); these tests pin the query shapes.
/// </summary>
public sealed class PostgresQueryPlanTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Depth = 100_000;
    private static readonly QueueRef Queue = new("p1", "deep");
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private PostgresServer _server = null!;
    private string _schema = null!;
    private PostgresDataDriver _driver = null!;

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.GetAsync();
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        _schema = await _server.CreateSchemaAsync();
        _driver = new PostgresDataDriver(
            Options.Create(new PostgresStorageOptions { ConnectionString = _server.ConnectionString!, Schema = _schema }),
            NullLogger<PostgresDataDriver>.Instance);

        // A deep queue and a small neighbour, filled directly: posting 100k messages one round trip at a
        // time would be most of the test. Statistics as autovacuum would leave them.
        var now = Now.ToUnixTimeMilliseconds();
        await _server.ExecuteAsync($"""
            INSERT INTO {_schema}.queues (project, name, created) VALUES ('p1', 'deep', {now}), ('p1', 'small', {now});
            INSERT INTO {_schema}.messages (queue_id, marker, client_id, ttl, created, expires, visible_at, body)
            SELECT q.id, nextval('{_schema}.markers'), gen_random_uuid(), 3600, {now}, {now} + 3600000, {now}, convert_to('[' || i || ']', 'UTF8')
            FROM {_schema}.queues AS q, generate_series(1, CASE q.name WHEN 'deep' THEN {Depth} ELSE 10 END) AS i
            ORDER BY q.id, i;
            ANALYZE {_schema}.queues, {_schema}.messages;
            """);
    }

    public async Task DisposeAsync()
    {
        if (_driver is not null)
        {
            await _driver.DisposeAsync();
            await _server.DropSchemaAsync(_schema);
        }
    }

    [SkippableTheory]
    [InlineData("force_custom_plan")]
    [InlineData("force_generic_plan")]
    public async Task ClaimsPopsAndPagesWalkTheQueueInMarkerOrderWithoutSorting(string planCacheMode)
    {
        var messages = (PostgresMessageController)_driver.Messages;
        var s = PostgresSchema.Quote(_schema);
        var statements = new Dictionary<string, string>
        {
            ["claim"] = PostgresClaimController.Claim(s, deadLetter: false),
            ["claim with a dead-letter policy"] = PostgresClaimController.Claim(s, deadLetter: true),
            ["pop"] = messages.PopStatement,
            ["page"] = messages.PageStatement,
        };

        await using var connection = await QueryPlans.OpenAsync(_server.ConnectionString!, planCacheMode);
        foreach (var (what, sql) in statements)
        {
            var nodes = await QueryPlans.ExplainAsync(connection, sql, Parameters());
            output.WriteLine($"{what} ({planCacheMode}): {QueryPlans.Describe(nodes)}");
            nodes.Select(n => n.Type).Should().NotContain(t => t.Contains("Sort"), $"the {what} must stop after its limit, not sort the queue");
            nodes.Should().Contain(n => n.Type.StartsWith("Index") && n.Index == "messages_pkey", $"the {what} walks (queue_id, marker)");
        }
    }

    [SkippableFact]
    public async Task ClaimsOnADeepQueueTakeItsHeadInOrderAndQuickly()
    {
        const int claims = 200;
        var stopwatch = Stopwatch.StartNew();
        var taken = new List<string>();
        for (var i = 0; i < claims; i++)
        {
            var claim = await _driver.Claims.CreateAsync(Queue, 60, 60, 10, Now, default);
            taken.AddRange(claim!.Messages.Select(m => m.Marker));
        }

        stopwatch.Stop();
        output.WriteLine($"{claims} claims of 10 on a queue of {Depth} messages: {stopwatch.Elapsed.TotalMilliseconds / claims:F2} ms per claim, {claims / stopwatch.Elapsed.TotalSeconds:F0} claims/s");
        taken.Select(long.Parse).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems().And.HaveCount(claims * 10);
        (await _driver.Messages.ListAsync(Queue, new MessageListQuery(null, 1, true, false, Guid.NewGuid()), Now, default))
            .Single().Marker.Should().Be((long.Parse(taken[^1]) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static IEnumerable<(string Name, object Value)> Parameters()
    {
        var now = Now.ToUnixTimeMilliseconds();
        yield return ("project", Queue.Project);
        yield return ("name", Queue.Name);
        yield return ("now", now);
        yield return ("limit", 10);
        yield return ("salt", 1L);
        yield return ("ttl", 60);
        yield return ("grace", 60);
        yield return ("claimExpires", now + 60_000);
        yield return ("maxClaimCount", 5);
        yield return ("after", 0L);
        yield return ("echo", true);
        yield return ("client", Guid.NewGuid());
        yield return ("includeClaimed", false);
        yield return ("includeDelayed", false);
    }
}
