using Marconi.Api;
using Marconi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Marconi.Transport.Http;

/// <summary>
/// The checks of every <c>/v1.1</c> and <c>/v2</c> endpoint, in the order of v2 contract 2.3 steps
/// 3–6: form-urlencoded body, Accept, then the caller's headers by <see cref="ZaqarCallers"/>.
/// The resulting <see cref="RequestContext"/> is stored for the request.
/// </summary>
internal sealed class ZaqarRequestChecks(IOptions<LimitsOptions> limits) : IEndpointFilter
{
    private readonly LimitsOptions _limits = limits.Value;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (V1RequestChecks.HasBody(request) && V1RequestChecks.IsFormUrlEncoded(request.ContentType))
        {
            throw Errors.InvalidContentType();
        }

        var metadata = http.GetEndpoint()?.Metadata;
        var alsoJsonHome = metadata?.GetMetadata<AcceptsJsonHome>() is not null;
        if (!V1RequestChecks.AcceptsJson(request.Headers.Accept, alsoJsonHome))
        {
            throw Errors.NotAcceptable();
        }

        var open = metadata?.GetMetadata<NeedsNoCaller>() is not null;
        http.Features.Set(ZaqarCallers.FromHeaders(
            ApiAccess.ProjectOf(request), request.Header(HttpHeaderNames.ClientId), open, _limits));
        return next(context);
    }
}

/// <summary>Marks the v1.1/v2 endpoints that need neither Client-ID nor X-Project-ID (home, ping, health).</summary>
internal sealed class NeedsNoCaller
{
    public static readonly NeedsNoCaller Instance = new();
}
