using Marconi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Marconi.Transport.Http;

/// <summary>
/// The checks of every <c>/v1.1</c> and <c>/v2</c> endpoint, in the order of v2 contract 2.3 steps
/// 3–6: form-urlencoded body, Accept, Client-ID (absent, then malformed), X-Project-ID (absent,
/// then empty). Home, ping and health need neither header, but a Client-ID they are sent is
/// still checked (2.2). The resulting <see cref="RequestContext"/> is stored for the request.
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
        var clientIdText = request.Header(HttpHeaderNames.ClientId);
        Guid? clientId = clientIdText is null ? (open ? null : throw Errors.MissingClientId()) : ParseClientId(clientIdText);

        var project = request.Header(HttpHeaderNames.ProjectId);
        if (project is null && !open)
        {
            throw Errors.ProjectIdMissing();
        }

        if (project is { Length: 0 })
        {
            throw Errors.EmptyProject();
        }

        http.Features.Set(new RequestContext(project ?? RequestContext.DefaultNamespace, clientId));
        return next(context);
    }

    /// <summary>2.2: a UUID in strict mode; in <c>off</c> mode any string of the configured length.</summary>
    private Guid ParseClientId(string value)
    {
        if (_limits.StrictClientIds)
        {
            return ClientIds.TryParse(value, out var id) ? id : throw Errors.WrongUuid();
        }

        return value.Length >= _limits.MinClientIdLength && value.Length <= _limits.MaxClientIdLength
            ? ClientIds.FromText(value)
            : throw Errors.InvalidClientId(_limits.MinClientIdLength, _limits.MaxClientIdLength);
    }
}

/// <summary>Marks the v1.1/v2 endpoints that need neither Client-ID nor X-Project-ID (home, ping, health).</summary>
internal sealed class NeedsNoCaller
{
    public static readonly NeedsNoCaller Instance = new();
}
