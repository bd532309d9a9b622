using Marconi.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marconi.Transport.Http;

/// <summary>Route → request → catalogue → response, the same for every route of every version.</summary>
internal static class ApiRouting
{
    public static RouteHandlerBuilder MapAction(this IEndpointRouteBuilder group, string method, string pattern, ApiAction action) =>
        group.MapAction([method], pattern, _ => action);

    public static RouteHandlerBuilder MapAction(this IEndpointRouteBuilder group, string[] methods, string pattern, ApiAction action) =>
        group.MapAction(methods, pattern, _ => action);

    /// <summary>A route whose action depends on the request (list or get-many by <c>ids</c>).</summary>
    public static RouteHandlerBuilder MapAction(
        this IEndpointRouteBuilder group, string method, string pattern, Func<HttpRequest, ApiAction> choose) =>
        group.MapAction([method], pattern, choose);

    private static RouteHandlerBuilder MapAction(
        this IEndpointRouteBuilder group, string[] methods, string pattern, Func<HttpRequest, ApiAction> choose) =>
        // Two parameters make this a route handler rather than a RequestDelegate, so the group's filters run.
        group.MapMethods(pattern, methods, async (HttpContext http, CancellationToken cancellationToken) =>
        {
            var action = choose(http.Request);
            return (IResult)new ApiResult(await action(new HttpApiRequest(http.Request), cancellationToken));
        });
}
