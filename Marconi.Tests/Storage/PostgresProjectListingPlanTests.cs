using Marconi.Core.Storage;
using Marconi.Storage.Postgres;
using Marconi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Marconi.Tests.Storage;

/// <summary>
/// The admin's project listing on PostgreSQL walks the (project, name) index and stops after its
/// page, where a plan that sorted every queue would cost a scan of the whole table per page.
/// </summary>
public sealed class PostgresProjectListingPlanTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Projects = 2_000;
    private const int QueuesPerProject = 50;

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

        // Filled directly, with statistics as autovacuum would leave them.
        await _server.ExecuteAsync($"""
            INSERT INTO {_schema}.queues (project, name, created)
            SELECT 'p' || lpad(p::text, 5, '0'), 'q' || q, 0
            FROM generate_series(1, {Projects}) AS p, generate_series(1, {QueuesPerProject}) AS q;
            ANALYZE {_schema}.queues;
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
    public async Task APageOfProjectsWalksTheIndexWithoutSorting(string planCacheMode)
    {
        var queues = (PostgresQueueController)_driver.Queues;
        await using var connection = await QueryPlans.OpenAsync(_server.ConnectionString!, planCacheMode);
        var nodes = await QueryPlans.ExplainAsync(connection, queues.ProjectListStatement, [("marker", "p00100"), ("limit", 20)]);
        output.WriteLine($"{planCacheMode}: {QueryPlans.Describe(nodes)}");

        nodes.Select(n => n.Type).Should().NotContain(t => t.Contains("Sort"), "a page must stop after its limit, not sort every queue");
        nodes.Should().Contain(n => n.Type.StartsWith("Index") && n.Index == "queues_project_name_key", "the page walks (project, name)");

        (await _driver.Queues.ListProjectsAsync("p00100", 2, default)).Should().Equal(
            new ProjectListItem("p00101", QueuesPerProject), new ProjectListItem("p00102", QueuesPerProject));
    }
}
