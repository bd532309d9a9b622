using Marconi.Core.Operations;
using Marconi.Core.Representation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Marconi.Transport.Http;

/// <summary>The versions document, the home document and health (contract 3.1, 3.2, 3.20).</summary>
internal static class HomeEndpoints
{
    private const string JsonHomeContentType = "application/json-home";
    private const string VersionsContentType = "application/json";
    private const string HomeCacheControl = "max-age=86400";

    /// <summary><c>GET /</c>: outside <c>/v1</c>, so none of its header checks apply.</summary>
    public static IEndpointRouteBuilder MapVersions(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Versions);
        return app;
    }

    public static RouteGroupBuilder MapHome(this RouteGroupBuilder v1)
    {
        v1.MapGet("", Home).WithMetadata(AcceptsJsonHome.Instance);
        v1.MapGet("/health", Health);
        v1.MapMethods("/health", [HttpMethods.Head], Ping);
        return v1;
    }

    private static V1Response Versions() =>
        new(StatusCodes.Status300MultipleChoices, Documents.Versions, VersionsContentType);

    /// <summary>Served for both <c>/v1</c> and <c>/v1/</c>.</summary>
    private static V1Response Home() =>
        new(StatusCodes.Status200OK, Documents.Home, JsonHomeContentType) { CacheControl = HomeCacheControl };

    private static async Task<V1Response> Health([FromServices] HealthOperations health, CancellationToken cancellationToken)
    {
        await health.CheckAsync(cancellationToken);
        return V1Results.NoContent();
    }

    /// <summary>HEAD: the process is up; storage is not probed.</summary>
    private static V1Response Ping() => V1Results.NoContent();
}
