using System.Text;
using System.Text.Json;
using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Core.Operations;

/// <summary>A page of queues and the href of the next page (always present on a non-empty page).</summary>
public sealed record QueueListResult(IReadOnlyList<QueueListItem> Queues, string NextHref);

/// <summary>Stats of one queue, read at <paramref name="Now"/>.</summary>
public sealed record QueueStatsResult(QueueRef Queue, QueueStats Stats, DateTimeOffset Now);

/// <summary>Queue operations of the v1 API, shared by every transport.</summary>
public sealed class QueueOperations(IDataDriver driver, IOptions<LimitsOptions> limits, TimeProvider clock)
{
    private readonly LimitsOptions _limits = limits.Value;

    /// <summary>Creates the queue; true when it was new.</summary>
    public Task<bool> CreateAsync(RequestContext context, string? name, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        return driver.Queues.CreateAsync(queue, clock.GetUtcNow(), cancellationToken);
    }

    public Task<bool> ExistsAsync(RequestContext context, string? name, CancellationToken cancellationToken) =>
        driver.Queues.ExistsAsync(QueueNames.Validate(context, name), cancellationToken);

    public Task DeleteAsync(RequestContext context, string? name, CancellationToken cancellationToken) =>
        driver.Queues.DeleteAsync(QueueNames.Validate(context, name), cancellationToken);

    /// <summary>Lists the project's queues after <paramref name="marker"/>; parameters are raw text.</summary>
    public async Task<QueueListResult> ListAsync(
        RequestContext context, string? marker, string? limit, string? detailed, CancellationToken cancellationToken)
    {
        var limitValue = QueryParameters.Integer("limit", limit);
        var detailedValue = QueryParameters.Boolean("detailed", detailed);
        var pageSize = QueryParameters.Limit(limitValue, _limits.DefaultQueuesPerPage, _limits.MaxQueuesPerPage);
        var markerValue = string.IsNullOrEmpty(marker) ? null : marker;

        var queues = await driver.Queues.ListAsync(
            context.Project, markerValue, pageSize, detailedValue ?? false, cancellationToken);

        var next = new StringBuilder("/v1/queues?marker=");
        next.Append(queues.Count > 0 ? Uri.EscapeDataString(queues[^1].Name) : Uri.EscapeDataString(markerValue ?? ""));
        if (limitValue is { } l)
        {
            next.Append("&limit=").Append(l);
        }

        if (detailedValue is { } d)
        {
            next.Append("&detailed=").Append(d ? "true" : "false");
        }

        return new QueueListResult(queues, next.ToString());
    }

    /// <summary>The queue's metadata as stored JSON text.</summary>
    public async Task<string> GetMetadataAsync(RequestContext context, string? name, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        return await driver.Queues.GetMetadataAsync(queue, cancellationToken)
            ?? throw Errors.NotFound("Queue metadata could not be read because the queue does not exist.");
    }

    /// <summary>Replaces the queue's metadata with the body, after the checks of contract 3.8.</summary>
    public async Task SetMetadataAsync(
        RequestContext context, string? name, IRequestBody body, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        using var document = await JsonBody.ReadAsync(
            body, _limits.MaxQueueMetadata,
            $"Queue metadata may not exceed {_limits.MaxQueueMetadata} bytes.", cancellationToken);
        var metadata = JsonBody.RequireObject(document);
        foreach (var property in metadata.EnumerateObject())
        {
            if (property.Name.StartsWith('_'))
            {
                throw Errors.InvalidApiRequest("Top-level metadata keys starting with an underscore are reserved.");
            }
        }

        if (!await driver.Queues.SetMetadataAsync(queue, metadata.GetRawText(), cancellationToken))
        {
            throw Errors.NotFound("Queue metadata could not be set because the queue does not exist.");
        }
    }

    public async Task<QueueStatsResult> GetStatsAsync(
        RequestContext context, string? name, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        var now = clock.GetUtcNow();
        var stats = await driver.Queues.GetStatsAsync(queue, now, cancellationToken)
            ?? throw Errors.NotFound("Queue stats could not be read because the queue does not exist.");
        return new QueueStatsResult(queue, stats, now);
    }
}

/// <summary>Helpers for documents passed as parsed JSON values rather than raw bodies.</summary>
public static class JsonValues
{
    /// <summary>The compact UTF-8 form of a value, which is how its size is measured off HTTP.</summary>
    public static byte[] Compact(JsonElement value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            MaxDepth = JsonBody.MaxDepth + 8,
        };
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            value.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
