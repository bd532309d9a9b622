using System.Text;
using Marconi.Core.Operations;
using Marconi.Core.Representation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Marconi.Transport.Http;

/// <summary>Queues, their metadata and stats (contract 3.3–3.9).</summary>
internal static class QueueEndpoints
{
    public static RouteGroupBuilder MapQueues(this RouteGroupBuilder v1)
    {
        v1.MapGet("/queues", List);
        v1.MapPut("/queues/{queueName}", Create);
        v1.MapMethods("/queues/{queueName}", [HttpMethods.Get, HttpMethods.Head], Exists);
        v1.MapDelete("/queues/{queueName}", Delete);
        v1.MapGet("/queues/{queueName}/metadata", GetMetadata);
        v1.MapPut("/queues/{queueName}/metadata", SetMetadata);
        v1.MapGet("/queues/{queueName}/stats", Stats);
        return v1;
    }

    /// <summary>3.6: 200 with a page, 204 when the page is empty.</summary>
    private static async Task<V1Response> List(
        HttpRequest request, [FromServices] QueueOperations queues, CancellationToken cancellationToken)
    {
        var page = await queues.ListAsync(
            request.Caller(), request.QueryValue("marker"), request.QueryValue("limit"), request.QueryValue("detailed"),
            cancellationToken);
        return page.Queues.Count == 0
            ? V1Results.NoContent()
            : V1Results.Json(V1Json.QueueList(page), contentLocation: request.PathAndQuery());
    }

    /// <summary>3.3: 201 when created, 204 when it existed; the body is ignored.</summary>
    private static async Task<V1Response> Create(
        string queueName, HttpRequest request, [FromServices] QueueOperations queues, CancellationToken cancellationToken)
    {
        var created = await queues.CreateAsync(request.Caller(), queueName, cancellationToken);
        var location = request.Path.Value!;
        return created ? V1Results.Created(location) : V1Results.NoContent(location: location);
    }

    /// <summary>3.4: GET and HEAD, 204 or 404, never a body.</summary>
    private static async Task<V1Response> Exists(
        string queueName, HttpRequest request, [FromServices] QueueOperations queues, CancellationToken cancellationToken)
    {
        var exists = await queues.ExistsAsync(request.Caller(), queueName, cancellationToken);
        var path = request.Path.Value!;
        return exists ? V1Results.NoContent(contentLocation: path) : V1Results.NotFoundWithoutBody(path);
    }

    /// <summary>3.5: 204 whether or not the queue existed.</summary>
    private static async Task<V1Response> Delete(
        string queueName, HttpRequest request, [FromServices] QueueOperations queues, CancellationToken cancellationToken)
    {
        await queues.DeleteAsync(request.Caller(), queueName, cancellationToken);
        return V1Results.NoContent();
    }

    /// <summary>3.7: the metadata document exactly as stored.</summary>
    private static async Task<V1Response> GetMetadata(
        string queueName, HttpRequest request, [FromServices] QueueOperations queues, CancellationToken cancellationToken)
    {
        var metadata = await queues.GetMetadataAsync(request.Caller(), queueName, cancellationToken);
        return V1Results.Json(Encoding.UTF8.GetBytes(metadata), contentLocation: request.Path.Value);
    }

    /// <summary>3.8: replaces the metadata; 204 with Location.</summary>
    private static async Task<V1Response> SetMetadata(
        string queueName, HttpRequest request, [FromServices] QueueOperations queues, CancellationToken cancellationToken)
    {
        await queues.SetMetadataAsync(request.Caller(), queueName, request.V1Body(), cancellationToken);
        return V1Results.NoContent(location: request.Path.Value);
    }

    /// <summary>3.9: message counts, with oldest/newest when there are messages.</summary>
    private static async Task<V1Response> Stats(
        string queueName, HttpRequest request, [FromServices] QueueOperations queues, CancellationToken cancellationToken)
    {
        var stats = await queues.GetStatsAsync(request.Caller(), queueName, cancellationToken);
        return V1Results.Json(V1Json.Stats(stats), contentLocation: request.Path.Value);
    }
}
