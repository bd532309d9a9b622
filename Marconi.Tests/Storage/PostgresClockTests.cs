using Marconi.Core.Storage;
using Marconi.Storage.Postgres;
using Marconi.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Marconi.Tests.Storage;

/// <summary>The hosts' clock with the PostgreSQL driver: the database's, read through the host's clock and the measured offset.</summary>
public sealed class PostgresClockTests
{
    [SkippableFact]
    public async Task NowIsTheDatabasesClockWithinTheRoundTrip()
    {
        var server = await PostgresServer.GetAsync();
        Skip.If(server.Unavailable is not null, server.Unavailable);
        await using var source = NpgsqlDataSource.Create(server.ConnectionString!);
        var clock = new PostgresClock();

        await clock.MeasureAsync(source, default);

        await using var connection = await source.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT clock_timestamp()", connection);
        for (var i = 0; i < 5; i++)
        {
            var before = clock.GetUtcNow();
            var database = new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync())!, TimeSpan.Zero);
            var after = clock.GetUtcNow();
            database.Should().BeOnOrAfter(before.AddMilliseconds(-20)).And.BeOnOrBefore(after.AddMilliseconds(20),
                "the clock reads the database's time, give or take the measurement's half round trip");
        }
    }

    [SkippableFact]
    public async Task AHostOnPostgresTellsTimeByTheDatabasesClock()
    {
        var server = await PostgresServer.GetAsync();
        Skip.If(server.Unavailable is not null, server.Unavailable);
        var schema = await server.CreateSchemaAsync();
        try
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
            builder.Configuration["Marconi:Storage:Postgres:ConnectionString"] = server.ConnectionString;
            builder.Configuration["Marconi:Storage:Postgres:Schema"] = schema;
            // The driver before the core, as a host could add them: the clock does not depend on the order.
            builder.AddPostgresStorage();
            Marconi.Core.CoreServiceExtensions.AddMarconiCore(builder);
            using var host = builder.Build();

            host.Services.GetRequiredService<TimeProvider>().Should().BeOfType<PostgresClock>()
                .And.BeSameAs(host.Services.GetRequiredService<StoreClock>());
        }
        finally
        {
            await server.DropSchemaAsync(schema);
        }
    }
}
