using System.Globalization;
using Marconi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Marconi.Transport.Http;

/// <summary>
/// The cross-cutting checks of every <c>/v1</c> endpoint, in the order of contract 1.7 steps 2–5:
/// form-urlencoded Content-Type, then Accept, then Client-ID syntax and the empty project header.
/// Routing (step 1) has already run; the operation does the rest. The resulting
/// <see cref="RequestContext"/> is stored for the handlers (<see cref="HttpRequestExtensions.Caller"/>).
/// </summary>
internal sealed class V1RequestChecks : IEndpointFilter
{
    private const string FormUrlEncoded = "application/x-www-form-urlencoded";
    private const string JsonHome = "application/json-home";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (HasBody(request) && IsFormUrlEncoded(request.ContentType))
        {
            throw Errors.InvalidContentType();
        }

        var alsoJsonHome = http.GetEndpoint()?.Metadata.GetMetadata<AcceptsJsonHome>() is not null;
        if (!AcceptsJson(request.Headers.Accept, alsoJsonHome))
        {
            throw Errors.NotAcceptable();
        }

        var caller = RequestContext.FromHeaders(ApiAccess.ProjectOf(request), request.Header(HttpHeaderNames.ClientId));
        http.Features.Set(caller);
        return next(context);
    }

    /// <summary>A request "has a body" when it declares a Content-Length (even 0) or can carry one (chunked).</summary>
    internal static bool HasBody(HttpRequest request) =>
        request.ContentLength is not null ||
        (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
            ?? request.Headers.TransferEncoding.Count > 0);

    /// <summary>The media type, compared case-insensitively with its parameters ignored.</summary>
    internal static bool IsFormUrlEncoded(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var semicolon = contentType.IndexOf(';');
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return mediaType.Equals(FormUrlEncoded, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Contract 1.2: an absent or empty Accept, or a list in which <c>*/*</c>, <c>application/*</c>
    /// or <c>application/json</c> (or, for the home document, <c>application/json-home</c>) has a
    /// non-zero quality. Items that do not parse are ignored.
    /// </summary>
    internal static bool AcceptsJson(Microsoft.Extensions.Primitives.StringValues accept, bool alsoJsonHome)
    {
        // What clients nearly always send, answered without splitting or parsing the header.
        if (accept.Count == 0
            || (accept.Count == 1 && accept[0] is { } only
                && (only.Equals("application/json", StringComparison.OrdinalIgnoreCase) || only == "*/*")))
        {
            return true;
        }

        var any = false;
        foreach (var header in accept)
        {
            if (string.IsNullOrWhiteSpace(header))
            {
                continue;
            }

            foreach (var item in header.Split(','))
            {
                if (string.IsNullOrWhiteSpace(item))
                {
                    continue;
                }

                any = true;
                if (MediaTypeHeaderValue.TryParse(item, out var media) && Quality(media) > 0 && IsJsonRange(media, alsoJsonHome))
                {
                    return true;
                }
            }
        }

        return !any;
    }

    private static bool IsJsonRange(MediaTypeHeaderValue media, bool alsoJsonHome)
    {
        var type = media.MediaType.Value ?? "";
        return type.Equals("*/*", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/*", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (alsoJsonHome && type.Equals(JsonHome, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The q parameter; 1 when absent, 0 when it is not a number.</summary>
    private static double Quality(MediaTypeHeaderValue media)
    {
        foreach (var parameter in media.Parameters)
        {
            if (parameter.Name.Equals("q", StringComparison.OrdinalIgnoreCase))
            {
                return double.TryParse(parameter.Value.Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var q)
                    ? q
                    : 0;
            }
        }

        return 1;
    }
}
