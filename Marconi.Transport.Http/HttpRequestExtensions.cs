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

    /// <summary>
    /// The last value of a scalar query parameter (contract 1.4), percent-decoded; null when absent.
    /// Names are case-sensitive, unlike ASP.NET's query collection.
    /// </summary>
    public static string? QueryValue(this HttpRequest request, string name)
    {
        string? last = null;
        foreach (var pair in new QueryStringEnumerable(request.QueryString.Value))
        {
            if (pair.DecodeName().Span.SequenceEqual(name))
            {
                last = pair.DecodeValue().ToString();
            }
        }

        return last;
    }

    /// <summary>Every value of a list query parameter, in order, percent-decoded.</summary>
    public static List<string> QueryValues(this HttpRequest request, string name)
    {
        var values = new List<string>();
        foreach (var pair in new QueryStringEnumerable(request.QueryString.Value))
        {
            if (pair.DecodeName().Span.SequenceEqual(name))
            {
                values.Add(pair.DecodeValue().ToString());
            }
        }

        return values;
    }

    /// <summary>The request path followed by the query string exactly as received (for Content-Location).</summary>
    public static string PathAndQuery(this HttpRequest request) => request.Path.Value + request.QueryString.Value;

    /// <summary>The request body, read lazily and within limits by the core.</summary>
    public static IRequestBody V1Body(this HttpRequest request) => new HttpRequestBody(request);
}
