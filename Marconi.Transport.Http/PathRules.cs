using Microsoft.AspNetCore.Http;

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
        else if ((path.Length > 1 && path != "/v1/" && (path.EndsWith('/') || path.Contains("//", StringComparison.Ordinal)))
            || HasMiscasedLiteral(path))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(context);
    }

    /// <summary>
    /// The literal segments of the route table by position (<c>/v1/queues/{q}/messages/{id}</c>):
    /// routing compares them ignoring case, the contract does not.
    /// </summary>
    private static readonly string[][] Literals = [["v1"], ["health", "queues"], [], ["metadata", "stats", "messages", "claims"]];

    /// <summary>A literal segment in another case (<c>/V1/Queues</c>) names no resource.</summary>
    private static bool HasMiscasedLiteral(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length && i < Literals.Length; i++)
        {
            foreach (var literal in Literals[i])
            {
                if (!literal.Equals(segments[i], StringComparison.Ordinal) &&
                    literal.Equals(segments[i], StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
