using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marconi.Storage.Postgres;

/// <summary>
/// The database's clock, read through this host's: the system clock plus the offset to the server's
/// <c>clock_timestamp()</c>. Hosts sharing a database decide claim and message expiry by one clock,
/// so a host whose clock runs ahead cannot see another host's live claim as expired and hand its
/// messages out again. Timers stay the system's: only "now" moves.
/// </summary>
internal sealed class PostgresClock : Marconi.Core.Storage.StoreClock
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>
    /// Measures the offset once: the server's time against the midpoint of the round trip, which
    /// is within half a round trip of the truth.
    /// </summary>
    public async Task<TimeSpan> MeasureAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint", connection);
        // One warm-up round trip, so the measured one does not include preparing the statement.
        await command.ExecuteScalarAsync(cancellationToken);
        var before = System.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        var serverMicroseconds = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        var midpoint = before + Stopwatch.GetElapsedTime(started) / 2;
        var offset = DateTimeOffset.UnixEpoch.AddTicks(serverMicroseconds * 10) - midpoint;
        Interlocked.Exchange(ref _offsetTicks, offset.Ticks);
        return offset;
    }
}

/// <summary>Measures the offset to the database's clock at start and every 30 seconds, warning when it moves too far.</summary>
internal sealed class PostgresClockSync(
    PostgresClock clock, PostgresDataDriver driver, IOptions<PostgresStorageOptions> options, ILogger<PostgresClockSync> logger)
    : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before anything serves requests: every claim this host makes is timed by the database's clock.
        var offset = await clock.MeasureAsync(driver.Source, cancellationToken);
        logger.LogInformation("The database's clock reads {OffsetMilliseconds} ms later than this host's; claims and expiry follow the database's",
            Math.Round(offset.TotalMilliseconds, 1));
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var last = clock.Offset;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var offset = await clock.MeasureAsync(driver.Source, stoppingToken);
                if (Math.Abs((offset - last).TotalMilliseconds) > options.Value.MaxClockSkewMilliseconds)
                {
                    logger.LogWarning(
                        "This host's clock moved {DriftMilliseconds} ms against the database's since the last measurement (more than {Key}); claims and expiry keep following the database's",
                        Math.Round((offset - last).TotalMilliseconds, 1), $"{PostgresStorageOptions.SectionName}:MaxClockSkewMilliseconds");
                }

                last = offset;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                // The last offset stays in use; requests meanwhile get their own 503s from the store.
                logger.LogWarning(exception, "The database's clock could not be read; the last offset stays in use");
            }
        }
    }
}
