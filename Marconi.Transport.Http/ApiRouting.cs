using Marconi.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marconi.Transport.Http;

/// <summary>The catalogue action an endpoint runs, read by <see cref="ApiAccess"/> before the endpoint does.</summary>
internal sealed record ApiActionMetadata(string Version, string Action);

/// <summary>Route → request → catalogue → response, the same for every route of every version.</summary>
internal static class ApiRouting
{
    public static RouteHandlerBuilder MapAction(this IEndpointRouteBuilder group, string method, string pattern, ApiCatalogue api, string action) =>
        group.MapAction([method], pattern, api, action, _ => api[action]);

    public static RouteHandlerBuilder MapAction(
        this IEndpointRouteBuilder group, string[] methods, string pattern, ApiCatalogue api, string action) =>
        group.MapAction(methods, pattern, api, action, _ => api[action]);

    /// <summary>
    /// A route whose action depends on the request (list or get-many by <c>ids</c>);
    /// <paramref name="action"/> names the one whose access both share.
    /// </summary>
    public static RouteHandlerBuilder MapAction(
        this IEndpointRouteBuilder group, string method, string pattern, ApiCatalogue api, string action, Func<HttpRequest, ApiAction> choose) =>
        group.MapAction([method], pattern, api, action, choose);

    private static RouteHandlerBuilder MapAction(
        this IEndpointRouteBuilder group, string[] methods, string pattern, ApiCatalogue api, string action, Func<HttpRequest, ApiAction> choose) =>
        // Two parameters make this a route handler rather than a RequestDelegate, so the group's filters run.
        group.MapMethods(pattern, methods, async (HttpContext http, CancellationToken cancellationToken) =>
            {
                var chosen = choose(http.Request);
                return (IResult)new ApiResult(await chosen(new HttpApiRequest(http.Request), cancellationToken));
            })
            .WithMetadata(new ApiActionMetadata(api.Version, action));
}
