using Marconi.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marconi.Transport.Http;

/// <summary>The catalogue action an endpoint runs, read by <see cref="ApiAccess"/> before the endpoint does.</summary>
internal sealed record ApiActionMetadata(string Version, string Action);

/// <summary>
/// The operation a route that chooses by request ran, when it is not the one its metadata names
/// (get-many by ids on the list route), so requests are counted under the operation that ran.
/// </summary>
internal sealed record ChosenOperation(string Name);

/// <summary>Route → request → catalogue → response, the same for every route of every version.</summary>
internal static class ApiRouting
{
    public static RouteHandlerBuilder MapAction(this IEndpointRouteBuilder group, string method, string pattern, ApiCatalogue api, string action) =>
        group.MapAction([method], pattern, api, action, choose: null);

    public static RouteHandlerBuilder MapAction(
        this IEndpointRouteBuilder group, string[] methods, string pattern, ApiCatalogue api, string action) =>
        group.MapAction(methods, pattern, api, action, choose: null);

    /// <summary>
    /// A route whose action depends on the request (list or get-many by <c>ids</c>);
    /// <paramref name="action"/> names the one whose access both share, <paramref name="choose"/>
    /// the one to run.
    /// </summary>
    public static RouteHandlerBuilder MapAction(
        this IEndpointRouteBuilder group, string method, string pattern, ApiCatalogue api, string action, Func<HttpRequest, string> choose) =>
        group.MapAction([method], pattern, api, action, choose);

    private static RouteHandlerBuilder MapAction(
        this IEndpointRouteBuilder group, string[] methods, string pattern, ApiCatalogue api, string action, Func<HttpRequest, string>? choose)
    {
        var named = api[action];
        // Two parameters make this a route handler rather than a RequestDelegate, so the group's filters run.
        return group.MapMethods(pattern, methods, async (HttpContext http, CancellationToken cancellationToken) =>
            {
                var chosen = named;
                if (choose?.Invoke(http.Request) is { } name && name != action)
                {
                    http.Features.Set(new ChosenOperation(name));
                    chosen = api[name];
                }

                return (IResult)new ApiResult(await chosen(new HttpApiRequest(http.Request), cancellationToken));
            })
            .WithMetadata(new ApiActionMetadata(api.Version, action));
    }
}
