using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Core.Operations;

/// <summary>
/// A page of queues and the marker of the next page: the last name on the page, or the marker
/// the page was asked for when it is empty.
/// </summary>
public sealed record QueueListResult(IReadOnlyList<QueueListItem> Queues, string NextMarker);

/// <summary>Stats of one queue, read at <paramref name="Now"/>.</summary>
public sealed record QueueStatsResult(QueueRef Queue, QueueStats Stats, DateTimeOffset Now);

/// <summary>Queue operations, shared by every API version and transport.</summary>
public sealed class QueueOperations(IDataDriver driver, IOptions<LimitsOptions> limits, TimeProvider clock)
{
    private readonly LimitsOptions _limits = limits.Value;

    /// <summary>Creates the queue; true when it was new.</summary>
    public Task<bool> CreateAsync(QueueRef queue, CancellationToken cancellationToken) =>
        driver.Queues.CreateAsync(queue, clock.GetUtcNow(), cancellationToken);

    public Task<bool> ExistsAsync(QueueRef queue, CancellationToken cancellationToken) =>
        driver.Queues.ExistsAsync(queue, cancellationToken);

    public Task DeleteAsync(QueueRef queue, CancellationToken cancellationToken) =>
        driver.Queues.DeleteAsync(queue, cancellationToken);

    /// <summary>Lists the project's queues after <paramref name="marker"/>; a null limit takes the default.</summary>
    public async Task<QueueListResult> ListAsync(
        RequestContext context, string? marker, long? limit, bool detailed, CancellationToken cancellationToken)
    {
        var pageSize = PageLimit.Resolve(limit, _limits.DefaultQueuesPerPage, _limits.MaxQueuesPerPage);
        var markerValue = string.IsNullOrEmpty(marker) ? null : marker;
        var queues = await driver.Queues.ListAsync(context.Project, markerValue, pageSize, detailed, cancellationToken);
        return new QueueListResult(queues, queues.Count > 0 ? queues[^1].Name : markerValue ?? "");
    }

    /// <summary>The queue's metadata as stored JSON text.</summary>
    public async Task<string> GetMetadataAsync(QueueRef queue, CancellationToken cancellationToken) =>
        await driver.Queues.GetMetadataAsync(queue, cancellationToken)
            ?? throw Errors.NotFound("Queue metadata could not be read because the queue does not exist.");

    /// <summary>Replaces the queue's metadata with a JSON object already checked by the API version.</summary>
    public async Task SetMetadataAsync(QueueRef queue, string metadata, CancellationToken cancellationToken)
    {
        if (!await driver.Queues.SetMetadataAsync(queue, metadata, cancellationToken))
        {
            throw Errors.NotFound("Queue metadata could not be set because the queue does not exist.");
        }
    }

    public async Task<QueueStatsResult> GetStatsAsync(QueueRef queue, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var stats = await driver.Queues.GetStatsAsync(queue, now, cancellationToken)
            ?? throw Errors.NotFound("Queue stats could not be read because the queue does not exist.");
        return new QueueStatsResult(queue, stats, now);
    }
}

/// <summary>The range rule shared by page sizes and claim limits.</summary>
public static class PageLimit
{
    /// <summary>Applies the default, then checks 1 ≤ limit ≤ <paramref name="max"/>.</summary>
    public static int Resolve(long? value, int defaultValue, int max)
    {
        var limit = value ?? defaultValue;
        if (limit < 1 || limit > max)
        {
            throw Errors.InvalidApiRequest($"Limit must be at least 1 and may not be greater than {max}.");
        }

        return (int)limit;
    }
}
