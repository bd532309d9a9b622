using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Marconi.Transport.Http;

/// <summary>
/// The path rules of contract 1.1 that ASP.NET routing does not apply by itself: routing ignores
/// trailing slashes and compares literal segments case-insensitively, the contract does neither.
/// A rejected path ends with a bare 404, which <see cref="ErrorResponses"/> turns into the
/// contract's "Not found" body.
/// </summary>
internal static class PathRules
{
    /// <summary>
    /// <c>/v1/queues/</c> names the queue resource with an empty name. Routing cannot match an
    /// empty segment, so the request is routed with this stand-in instead: it is not a valid queue
    /// name either, so the queue endpoints answer 400 "Invalid queue identification" after the
    /// checks that precede the name check (contract 1.7).
    /// </summary>
    public const string EmptyQueueNameStandIn = "\0";

    private const string EmptyQueueNamePath = "/v1/queues/";

    /// <summary>Trailing slashes and empty segments are significant; only <c>/v1/</c> is the home document.</summary>
    public static Task BeforeRoutingAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path == EmptyQueueNamePath)
        {
            context.Request.Path = new PathString(EmptyQueueNamePath + EmptyQueueNameStandIn);
        }
        else if (path.Length > 1 && path != "/v1/" && (path.EndsWith('/') || path.Contains("//", StringComparison.Ordinal)))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(context);
    }

    /// <summary>Literal segments (<c>v1</c>, <c>queues</c>, <c>messages</c>, …) match only in lower case.</summary>
    public static Task AfterRoutingAsync(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint() is RouteEndpoint endpoint &&
            !LiteralsMatch(endpoint.RoutePattern, context.Request.Path.Value ?? "/"))
        {
            context.SetEndpoint(null);
            context.Request.RouteValues.Clear();
        }

        return next(context);
    }

    private static bool LiteralsMatch(RoutePattern pattern, string path)
    {
        var segments = path.Trim('/').Split('/');
        if (segments.Length != pattern.PathSegments.Count)
        {
            // Only "/" (no segment in its pattern) gets here; it has no literal to compare.
            return true;
        }

        for (var i = 0; i < segments.Length; i++)
        {
            if (pattern.PathSegments[i].Parts is [RoutePatternLiteralPart literal] &&
                !string.Equals(literal.Content, segments[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
