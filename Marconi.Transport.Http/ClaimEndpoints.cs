using Marconi.Core.Operations;
using Marconi.Core.Representation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Marconi.Transport.Http;

/// <summary>Claims of a queue (contract 3.16–3.19).</summary>
internal static class ClaimEndpoints
{
    public static RouteGroupBuilder MapClaims(this RouteGroupBuilder v1)
    {
        v1.MapPost("/queues/{queueName}/claims", Create);
        v1.MapGet("/queues/{queueName}/claims/{claimId}", Get);
        v1.MapPatch("/queues/{queueName}/claims/{claimId}", Update);
        v1.MapDelete("/queues/{queueName}/claims/{claimId}", Release);
        return v1;
    }

    /// <summary>3.16: 201 with the claimed messages, or 204 (no Location) when nothing was claimed.</summary>
    private static async Task<V1Response> Create(
        string queueName, HttpRequest request, [FromServices] ClaimOperations claims, CancellationToken cancellationToken)
    {
        var claim = await claims.CreateAsync(
            request.Caller(), queueName, request.QueryValue("limit"), request.V1Body(), cancellationToken);
        return claim is null
            ? V1Results.NoContent()
            : V1Results.Created(claim.Href, V1Json.ClaimedMessages(claim));
    }

    /// <summary>3.17.</summary>
    private static async Task<V1Response> Get(
        string queueName, string claimId, HttpRequest request, [FromServices] ClaimOperations claims,
        CancellationToken cancellationToken)
    {
        var claim = await claims.GetAsync(request.Caller(), queueName, claimId, cancellationToken);
        return V1Results.Json(V1Json.Claim(claim), request.PathAndQuery());
    }

    /// <summary>3.18.</summary>
    private static async Task<V1Response> Update(
        string queueName, string claimId, HttpRequest request, [FromServices] ClaimOperations claims,
        CancellationToken cancellationToken)
    {
        await claims.UpdateAsync(request.Caller(), queueName, claimId, request.V1Body(), cancellationToken);
        return V1Results.NoContent();
    }

    /// <summary>3.19: 204 always for valid input.</summary>
    private static async Task<V1Response> Release(
        string queueName, string claimId, HttpRequest request, [FromServices] ClaimOperations claims,
        CancellationToken cancellationToken)
    {
        await claims.DeleteAsync(request.Caller(), queueName, claimId, cancellationToken);
        return V1Results.NoContent();
    }
}
