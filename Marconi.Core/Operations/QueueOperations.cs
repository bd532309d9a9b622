using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Core.Operations;

/// <summary>
/// A page of queues and the marker of the next page: the last name on the page, or the marker
/// the page was asked for when it is empty.
/// </summary>
public sealed record QueueListResult(IReadOnlyList<QueueListItem> Queues, string NextMarker);

/// <summary>A page of projects and the marker of the next page, as <see cref="QueueListResult"/>.</summary>
public sealed record ProjectListResult(IReadOnlyList<ProjectListItem> Projects, string NextMarker);

/// <summary>
/// Which queues a v2 listing keeps: names containing <paramref name="Name"/>, and metadata whose
/// top-level members equal each filter (as an integer when the value is <c>-?digits</c>).
/// </summary>
public sealed record QueueFilter(string? Name, IReadOnlyList<KeyValuePair<string, string>> Metadata)
{
    public static readonly QueueFilter None = new(null, []);

    public bool IsEmpty => string.IsNullOrEmpty(Name) && Metadata.Count == 0;

    public bool Matches(QueueListItem queue)
    {
        if (!string.IsNullOrEmpty(Name) && !queue.Name.Contains(Name, StringComparison.Ordinal))
        {
            return false;
        }

        if (Metadata.Count == 0)
        {
            return true;
        }

        using var document = System.Text.Json.JsonDocument.Parse(queue.Metadata ?? "{}");
        foreach (var (key, wanted) in Metadata)
        {
            if (!JsonText.TryGetMember(document.RootElement, key, out var value) || !FilterEquals(value, wanted))
            {
                return false;
            }
        }

        return true;
    }

    private static bool FilterEquals(System.Text.Json.JsonElement value, string wanted)
    {
        var digits = wanted.StartsWith('-') ? wanted[1..] : wanted;
        if (digits.Length > 0 && digits.All(char.IsAsciiDigit))
        {
            return value.ValueKind == System.Text.Json.JsonValueKind.Number
                && long.TryParse(wanted, System.Globalization.CultureInfo.InvariantCulture, out var number)
                && value.TryGetInt64(out var stored) && stored == number;
        }

        return JsonText.TryGetString(value, out var text) && text == wanted;
    }
}

/// <summary>Stats of one queue, read at <paramref name="Now"/>.</summary>
public sealed record QueueStatsResult(QueueRef Queue, QueueStats Stats, DateTimeOffset Now);

/// <summary>Queue operations, shared by every API version and transport.</summary>
public sealed class QueueOperations(
    IDataDriver driver, QueueSettingsCache settings, IOptions<LimitsOptions> limits, TimeProvider clock)
{
    private readonly LimitsOptions _limits = limits.Value;

    /// <summary>Creates the queue; true when it was new.</summary>
    public Task<bool> CreateAsync(QueueRef queue, CancellationToken cancellationToken) =>
        driver.Queues.CreateAsync(queue, clock.GetUtcNow(), cancellationToken);

    /// <summary>Creates the queue with this metadata (an object already checked); an existing queue is left as it is.</summary>
    public async Task<bool> CreateAsync(QueueRef queue, string metadata, CancellationToken cancellationToken)
    {
        try
        {
            return await driver.Queues.CreateAsync(queue, clock.GetUtcNow(), cancellationToken, metadata);
        }
        finally
        {
            settings.Forget(queue);
        }
    }

    /// <summary>The stored metadata, or null when the queue does not exist (v1.1/v2 queues are lazy).</summary>
    public Task<string?> GetMetadataOrNullAsync(QueueRef queue, CancellationToken cancellationToken) =>
        driver.Queues.GetMetadataAsync(queue, cancellationToken);

    /// <summary>What the queue's reserved metadata asks for; nothing for a missing queue.</summary>
    public Task<QueueSettings> GetSettingsAsync(QueueRef queue, CancellationToken cancellationToken) =>
        settings.GetAsync(queue, cancellationToken);

    /// <summary>
    /// Applies <paramref name="update"/> to the stored metadata and stores the result, unless the
    /// metadata changed meanwhile, in which case it is applied again to the new value. 404 for a
    /// missing queue; whatever <paramref name="update"/> raises leaves the metadata as it was.
    /// </summary>
    public async Task<string> UpdateMetadataAsync(QueueRef queue, Func<string, string> update, CancellationToken cancellationToken)
    {
        while (true)
        {
            var stored = await driver.Queues.GetMetadataAsync(queue, cancellationToken)
                ?? throw Errors.NotFound("The queue does not exist.");
            var updated = update(stored);
            MetadataReplaceOutcome outcome;
            try
            {
                outcome = await driver.Queues.ReplaceMetadataAsync(queue, stored, updated, cancellationToken);
            }
            finally
            {
                settings.Forget(queue);
            }

            switch (outcome)
            {
                case MetadataReplaceOutcome.Replaced:
                    return updated;
                case MetadataReplaceOutcome.QueueMissing:
                    throw Errors.NotFound("The queue does not exist.");
            }
        }
    }

    /// <summary>The number of queues of the caller's project.</summary>
    public Task<long> CountAsync(RequestContext context, CancellationToken cancellationToken) =>
        driver.Queues.CountAsync(context.Project, cancellationToken);

    /// <summary>Deletes the queue's messages (their claims end) and/or its subscriptions; the metadata stays.</summary>
    public async Task PurgeAsync(QueueRef queue, bool messages, bool subscriptions, CancellationToken cancellationToken)
    {
        if (messages)
        {
            await driver.Messages.PurgeAsync(queue, cancellationToken);
        }

        if (subscriptions)
        {
            await driver.Subscriptions.DeleteAllAsync(queue, cancellationToken);
        }
    }

    public Task<bool> ExistsAsync(QueueRef queue, CancellationToken cancellationToken) =>
        driver.Queues.ExistsAsync(queue, cancellationToken);

    public async Task DeleteAsync(QueueRef queue, CancellationToken cancellationToken)
    {
        try
        {
            await driver.Queues.DeleteAsync(queue, cancellationToken);
        }
        finally
        {
            settings.Forget(queue);
        }
    }

    /// <summary>Lists the project's queues after <paramref name="marker"/>; a null limit takes the default.</summary>
    public Task<QueueListResult> ListAsync(
        RequestContext context, string? marker, long? limit, bool detailed, CancellationToken cancellationToken) =>
        ListAsync(context, marker, limit, detailed, QueueFilter.None, cancellationToken);

    /// <summary>
    /// Lists the project's queues after <paramref name="marker"/> that pass the filter; filters
    /// apply before the limit, so a page is filled from as many stored pages as it takes.
    /// </summary>
    public async Task<QueueListResult> ListAsync(
        RequestContext context, string? marker, long? limit, bool detailed, QueueFilter filter, CancellationToken cancellationToken)
    {
        var pageSize = PageLimit.Resolve(limit, _limits.DefaultQueuesPerPage, _limits.MaxQueuesPerPage);
        var markerValue = string.IsNullOrEmpty(marker) ? null : marker;
        if (filter.IsEmpty)
        {
            var queues = await driver.Queues.ListAsync(context.Project, markerValue, pageSize, detailed, cancellationToken);
            return new QueueListResult(queues, queues.Count > 0 ? queues[^1].Name : markerValue ?? "");
        }

        var kept = new List<QueueListItem>(pageSize);
        var after = markerValue;
        var withMetadata = detailed || filter.Metadata.Count > 0;
        while (kept.Count < pageSize)
        {
            var batch = await driver.Queues.ListAsync(context.Project, after, FilterBatch, withMetadata, cancellationToken);
            foreach (var queue in batch)
            {
                if (filter.Matches(queue) && kept.Count < pageSize)
                {
                    kept.Add(detailed ? queue : queue with { Metadata = null });
                }
            }

            if (batch.Count < FilterBatch)
            {
                break;
            }

            after = batch[^1].Name;
        }

        return new QueueListResult(kept, kept.Count > 0 ? kept[^1].Name : markerValue ?? "");
    }

    /// <summary>
    /// Every project that has queues, after <paramref name="marker"/>, with its number of queues; for
    /// admins, so it takes no caller. Pages are sized as queue pages are.
    /// </summary>
    public async Task<ProjectListResult> ListProjectsAsync(string? marker, long? limit, CancellationToken cancellationToken)
    {
        var pageSize = PageLimit.Resolve(limit, _limits.DefaultQueuesPerPage, _limits.MaxQueuesPerPage);
        var markerValue = string.IsNullOrEmpty(marker) ? null : marker;
        var projects = await driver.Queues.ListProjectsAsync(markerValue, pageSize, cancellationToken);
        return new ProjectListResult(projects, projects.Count > 0 ? projects[^1].Name : markerValue ?? "");
    }

    /// <summary>How many stored queues a filtered listing reads at a time.</summary>
    private const int FilterBatch = 200;

    /// <summary>The queue's metadata as stored JSON text.</summary>
    public async Task<string> GetMetadataAsync(QueueRef queue, CancellationToken cancellationToken) =>
        await driver.Queues.GetMetadataAsync(queue, cancellationToken)
            ?? throw Errors.NotFound("Queue metadata could not be read because the queue does not exist.");

    /// <summary>Replaces the queue's metadata with a JSON object already checked by the API version.</summary>
    public async Task SetMetadataAsync(QueueRef queue, string metadata, CancellationToken cancellationToken)
    {
        bool set;
        try
        {
            set = await driver.Queues.SetMetadataAsync(queue, metadata, cancellationToken);
        }
        finally
        {
            settings.Forget(queue);
        }

        if (!set)
        {
            throw Errors.NotFound("Queue metadata could not be set because the queue does not exist.");
        }
    }

    /// <summary>
    /// Stats, with zeros for a queue that does not exist (v1.1/v2 queues are lazy); with
    /// <paramref name="countDelayed"/> they include the delayed count.
    /// </summary>
    public async Task<QueueStatsResult> GetStatsOrEmptyAsync(
        QueueRef queue, CancellationToken cancellationToken, bool countDelayed = false)
    {
        var now = clock.GetUtcNow();
        var stats = await driver.Queues.GetStatsAsync(queue, now, cancellationToken, countDelayed)
            ?? new QueueStats(0, 0, null, null, countDelayed ? 0 : null);
        return new QueueStatsResult(queue, stats, now);
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
