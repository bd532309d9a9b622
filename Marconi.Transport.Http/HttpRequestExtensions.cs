using Marconi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Marconi.Transport.Http;

/// <summary>Header names the v1 API reads (matched case-insensitively, as all header names).</summary>
internal static class HttpHeaderNames
{
    public const string ProjectId = "X-Project-Id";
    public const string ClientId = "Client-ID";
}

/// <summary>What the handlers read from a request, the contract's way.</summary>
internal static class HttpRequestExtensions
{
    /// <summary>The caller established by <see cref="V1RequestChecks"/> for this request.</summary>
    public static RequestContext Caller(this HttpRequest request) =>
        request.HttpContext.Features.Get<RequestContext>()
        ?? throw new InvalidOperationException("The v1 request checks did not run for this endpoint.");

    /// <summary>A header's value, or null when the header is absent.</summary>
    public static string? Header(this HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var values) ? values.ToString() : null;

    /// <summary>Every parameter of the query string, name and value percent-decoded, in the order sent.</summary>
    public static List<KeyValuePair<string, string>> QueryPairs(this HttpRequest request)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var pair in new QueryStringEnumerable(request.QueryString.Value))
        {
            pairs.Add(new(PercentDecode(pair.EncodedName), PercentDecode(pair.EncodedValue)));
        }

        return pairs;
    }

    /// <summary>
    /// Percent-decoding only: the contract gives <c>+</c> no meaning, so <c>limit=+2</c> keeps its
    /// sign (form decoding would turn it into a space).
    /// </summary>
    private static string PercentDecode(ReadOnlyMemory<char> encoded) => Uri.UnescapeDataString(encoded.ToString());

    /// <summary>The request path followed by the query string exactly as received (for Content-Location).</summary>
    public static string PathAndQuery(this HttpRequest request) => request.Path.Value + request.QueryString.Value;
}
