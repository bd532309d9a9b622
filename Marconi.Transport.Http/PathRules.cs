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

    private static readonly string[] Versions = ["v1", "v1.1", "v2"];

    /// <summary>Trailing slashes and empty segments are significant; only <c>/{version}/</c> is a home document.</summary>
    public static Task BeforeRoutingAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "/";
        if (IsEmptyQueueName(path))
        {
            context.Request.Path = new PathString(path + EmptyQueueNameStandIn);
        }
        else if ((path.Length > 1 && !IsHome(path) && (path.EndsWith('/') || path.Contains("//", StringComparison.Ordinal)))
            || HasMiscasedLiteral(path))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(context);
    }

    // These run on every request: spans, so no string is cut or built to compare.
    private static bool IsHome(string path)
    {
        foreach (var v in Versions)
        {
            if (path.Length == v.Length + 2 && path[0] == '/' && path[^1] == '/' && path.AsSpan(1, v.Length).SequenceEqual(v))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsEmptyQueueName(string path)
    {
        foreach (var v in Versions)
        {
            var span = path.AsSpan();
            if (span.Length == v.Length + 9 && span[0] == '/' && span[1..].StartsWith(v, StringComparison.Ordinal)
                && span[(v.Length + 1)..].SequenceEqual("/queues/"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The literal segments of the route tables by position (<c>/v2/queues/{q}/subscriptions/{id}/confirm</c>):
    /// routing compares them ignoring case, the contract does not.
    /// </summary>
    private static readonly string[][] Literals =
    [
        Versions, ["health", "queues", "ping"], [],
        ["metadata", "stats", "messages", "claims", "purge", "redrive", "share", "subscriptions"], [], ["confirm"],
    ];

    /// <summary>
    /// The literal segments of the admin routes (<c>/v2/admin/keys/{id}/rotate</c>, <c>/v2/admin/projects</c>):
    /// a table of its own, since where queue routes have a queue name these have <c>keys</c> or <c>projects</c>.
    /// </summary>
    private static readonly string[][] AdminLiterals = [Versions, ["admin"], ["keys", "projects"], [], ["rotate"]];

    /// <summary>A literal segment in another case (<c>/V1/Queues</c>, <c>/v2/Admin/keys</c>) names no resource.</summary>
    private static bool HasMiscasedLiteral(string path)
    {
        // The non-empty segments in order, as path.Split('/', RemoveEmptyEntries) would give them.
        var rest = path.AsSpan();
        string[][]? literals = null;
        var i = 0;
        var first = ReadOnlySpan<char>.Empty;
        while (rest.Length > 0)
        {
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            rest = slash < 0 ? [] : rest[(slash + 1)..];
            if (segment.IsEmpty)
            {
                continue;
            }

            if (i == 0)
            {
                // The table is chosen by the second segment; the first is checked once it is known.
                first = segment;
                i++;
                continue;
            }

            if (i == 1)
            {
                literals = segment.Equals("admin", StringComparison.OrdinalIgnoreCase) ? AdminLiterals : Literals;
                if (IsMiscased(first, literals[0]))
                {
                    return true;
                }
            }

            if (i >= literals!.Length)
            {
                return false;
            }

            if (IsMiscased(segment, literals[i]))
            {
                return true;
            }

            i++;
        }

        // A path of one segment: the queue table's first row applies.
        return i == 1 && IsMiscased(first, Literals[0]);
    }

    private static bool IsMiscased(ReadOnlySpan<char> segment, string[] literals)
    {
        foreach (var literal in literals)
        {
            if (!segment.SequenceEqual(literal) && segment.Equals(literal, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
