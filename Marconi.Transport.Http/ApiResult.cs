using Marconi.Api;
using Microsoft.AspNetCore.Http;

namespace Marconi.Transport.Http;

/// <summary>
/// Writes a catalogue's <see cref="ApiOutcome"/> as an HTTP response: status, the headers of
/// contract 1.6 and the rendered body. Bodies are never written on HEAD.
/// </summary>
internal sealed class ApiResult(ApiOutcome outcome) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => outcome.Status;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = outcome.Status;
        if (outcome.Location is not null)
        {
            response.Headers.Location = outcome.Location;
        }

        if (outcome.ContentLocation is not null)
        {
            response.Headers.ContentLocation = outcome.ContentLocation;
        }

        if (outcome.CacheControl is not null)
        {
            response.Headers.CacheControl = outcome.CacheControl;
        }

        foreach (var (name, value) in outcome.Headers)
        {
            response.Headers[name] = value;
        }

        if (outcome.Body is not { } body)
        {
            return;
        }

        response.ContentType = outcome.ContentType ?? ApiOutcome.JsonContentType;
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(httpContext.Request.Method))
        {
            return;
        }

        if (outcome.Undeliverable is not { } undo)
        {
            await response.Body.WriteAsync(body, httpContext.RequestAborted);
            return;
        }

        // A claim whose caller has gone would stay claimed until it expires: undo it when the
        // connection is seen closed before or while the answer is written. Not after: a client that
        // closes as soon as it has the answer has the claim.
        if (httpContext.RequestAborted.IsCancellationRequested)
        {
            await undo();
            return;
        }

        try
        {
            await response.Body.WriteAsync(body, httpContext.RequestAborted);
        }
        catch (Exception) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            await undo();
            throw;
        }
    }
}

/// <summary>Marks an endpoint whose clients may also accept <c>application/json-home</c> (3.1).</summary>
internal sealed class AcceptsJsonHome
{
    public static readonly AcceptsJsonHome Instance = new();
}
