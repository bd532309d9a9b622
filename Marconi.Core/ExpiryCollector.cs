using Marconi.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Core;

/// <summary>Section <c>Marconi:Collector</c>: the background removal of expired messages and claims.</summary>
public sealed class CollectorOptions
{
    public const string SectionName = "Marconi:Collector";

    /// <summary>Seconds between two collections. Expired data is invisible at once; this only reclaims space.</summary>
    public int IntervalSeconds { get; set; } = 30;
}

/// <summary>
/// Periodically asks the storage driver to remove what has expired. Expiry is already enforced on
/// every read, so a late or failed collection changes nothing a client can observe.
/// </summary>
public sealed partial class ExpiryCollector(
    IDataDriver driver, IOptions<CollectorOptions> options, TimeProvider clock, ILogger<ExpiryCollector> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.IntervalSeconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var removed = await driver.CollectGarbageAsync(clock.GetUtcNow(), stoppingToken);
                if (removed > 0)
                {
                    LogCollected(removed);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                LogFailed(exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Expiry collector removed {Removed} rows")]
    private partial void LogCollected(long removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry collection failed; it will be retried")]
    private partial void LogFailed(Exception exception);
}
