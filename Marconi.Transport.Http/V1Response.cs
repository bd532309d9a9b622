using Microsoft.AspNetCore.Http;

namespace Marconi.Transport.Http;

/// <summary>
/// A v1 answer: a status, optionally a body already rendered by <c>V1Json</c>, and the headers of
/// contract 1.6. Bodies are never written on HEAD.
/// </summary>
internal sealed class V1Response(int statusCode, byte[]? body = null, string? contentType = null)
    : IResult, IStatusCodeHttpResult
{
    public const string JsonContentType = "application/json; charset=utf-8";

    public int? StatusCode => statusCode;

    /// <summary>The <c>Location</c> header, if any.</summary>
    public string? Location { get; init; }

    /// <summary>The <c>Content-Location</c> header, if any.</summary>
    public string? ContentLocation { get; init; }

    /// <summary>The <c>Cache-Control</c> header, if any.</summary>
    public string? CacheControl { get; init; }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        if (Location is not null)
        {
            response.Headers.Location = Location;
        }

        if (ContentLocation is not null)
        {
            response.Headers.ContentLocation = ContentLocation;
        }

        if (CacheControl is not null)
        {
            response.Headers.CacheControl = CacheControl;
        }

        if (body is null)
        {
            return;
        }

        response.ContentType = contentType ?? JsonContentType;
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(httpContext.Request.Method))
        {
            await response.Body.WriteAsync(body, httpContext.RequestAborted);
        }
    }
}

/// <summary>Factories for the answers the v1 handlers give.</summary>
internal static class V1Results
{
    /// <summary>200 with a JSON body.</summary>
    public static V1Response Json(byte[] body, string? contentLocation = null) =>
        new(StatusCodes.Status200OK, body) { ContentLocation = contentLocation };

    /// <summary>201 with <c>Location</c> and an optional JSON body.</summary>
    public static V1Response Created(string location, byte[]? body = null) =>
        new(StatusCodes.Status201Created, body) { Location = location };

    /// <summary>204: no body, ever.</summary>
    public static V1Response NoContent(string? location = null, string? contentLocation = null) =>
        new(StatusCodes.Status204NoContent) { Location = location, ContentLocation = contentLocation };

    /// <summary>The one bodiless 404 of the contract: queue exists (3.4).</summary>
    public static V1Response NotFoundWithoutBody(string contentLocation) =>
        new(StatusCodes.Status404NotFound) { ContentLocation = contentLocation };
}

/// <summary>Marks an endpoint whose clients may also accept <c>application/json-home</c> (3.1).</summary>
internal sealed class AcceptsJsonHome
{
    public static readonly AcceptsJsonHome Instance = new();
}
