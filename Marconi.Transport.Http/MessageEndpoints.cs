using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Representation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Marconi.Transport.Http;

/// <summary>Messages of a queue (contract 3.10–3.15).</summary>
internal static class MessageEndpoints
{
    public static RouteGroupBuilder MapMessages(this RouteGroupBuilder v1)
    {
        v1.MapPost("/queues/{queueName}/messages", Post);
        v1.MapGet("/queues/{queueName}/messages", ListOrGetMany);
        v1.MapDelete("/queues/{queueName}/messages", DeleteMany);
        v1.MapGet("/queues/{queueName}/messages/{messageId}", Get);
        v1.MapDelete("/queues/{queueName}/messages/{messageId}", Delete);
        return v1;
    }

    /// <summary>3.10: 201 with one href per message and a Location listing their ids.</summary>
    private static async Task<V1Response> Post(
        string queueName, HttpRequest request, [FromServices] MessageOperations messages, CancellationToken cancellationToken)
    {
        var posted = await messages.PostAsync(request.Caller(), queueName, request.V1Body(), cancellationToken);
        return V1Results.Created(posted.Location, V1Json.PostResult(posted));
    }

    /// <summary>
    /// 3.11 when <c>ids</c> is absent or empty-valued, else 3.12. Both send Content-Location
    /// (path and query as received), also on 204.
    /// </summary>
    private static async Task<V1Response> ListOrGetMany(
        string queueName, HttpRequest request, [FromServices] MessageOperations messages, CancellationToken cancellationToken)
    {
        var contentLocation = request.PathAndQuery();
        var ids = IdsOrNull(request);
        if (ids is null)
        {
            var page = await messages.ListAsync(
                request.Caller(), queueName, request.QueryValue("marker"), request.QueryValue("limit"),
                request.QueryValue("echo"), request.QueryValue("include_claimed"), cancellationToken);
            return page.Messages.Count == 0
                ? V1Results.NoContent(contentLocation: contentLocation)
                : V1Results.Json(V1Json.MessagePage(page), contentLocation);
        }

        var found = await messages.GetManyAsync(request.Caller(), queueName, ids, cancellationToken);
        return found.Messages.Count == 0
            ? V1Results.NoContent(contentLocation: contentLocation)
            : V1Results.Json(V1Json.Messages(found), contentLocation);
    }

    /// <summary>3.15: <c>ids</c> is required (the core says so when it is null).</summary>
    private static async Task<V1Response> DeleteMany(
        string queueName, HttpRequest request, [FromServices] MessageOperations messages, CancellationToken cancellationToken)
    {
        await messages.DeleteManyAsync(request.Caller(), queueName, IdsOrNull(request), cancellationToken);
        return V1Results.NoContent();
    }

    /// <summary>3.13: any <c>claim_id</c> is ignored.</summary>
    private static async Task<V1Response> Get(
        string queueName, string messageId, HttpRequest request, [FromServices] MessageOperations messages,
        CancellationToken cancellationToken)
    {
        var message = await messages.GetAsync(request.Caller(), queueName, messageId, cancellationToken);
        return V1Results.Json(V1Json.Message(message), request.PathAndQuery());
    }

    /// <summary>3.14: the outcome table lives in the core and storage.</summary>
    private static async Task<V1Response> Delete(
        string queueName, string messageId, HttpRequest request, [FromServices] MessageOperations messages,
        CancellationToken cancellationToken)
    {
        await messages.DeleteAsync(
            request.Caller(), queueName, messageId, request.QueryValue("claim_id"), cancellationToken);
        return V1Results.NoContent();
    }

    /// <summary>The <c>ids</c> list (1.4), or null when the parameter is absent or every value is empty.</summary>
    private static List<string>? IdsOrNull(HttpRequest request)
    {
        var values = request.QueryValues("ids");
        return values.TrueForAll(string.IsNullOrEmpty) ? null : QueryParameters.IdList(values);
    }
}
