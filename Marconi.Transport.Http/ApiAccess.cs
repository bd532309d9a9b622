using Marconi.Api.Access;
using Marconi.Api.V2;
using Marconi.Core;
using Microsoft.AspNetCore.Http;

namespace Marconi.Transport.Http;

/// <summary>The project a request was admitted for: the one it named, or its project key's own.</summary>
internal sealed record AdmittedProject(string? Value);

/// <summary>
/// Runs after routing and before anything reads the request: a <c>/v2</c> request carrying
/// <c>URL-Signature</c> must hold a valid grant for its method, path and project (v2 contract 2.3
/// step 2 and 11.3; else 404, as Zaqar hides the resource), and every request is admitted or
/// refused by <see cref="AccessGate"/> (401/403) for the action its route runs. Quotas come after,
/// so they count the project a request was admitted for.
/// </summary>
internal sealed class ApiAccess(RequestDelegate next, AccessGate gate, SignedUrls signedUrls)
{
    public const string SignatureHeader = "URL-Signature";

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<ApiActionMetadata>() is not { } endpoint)
        {
            await next(context);
            return;
        }

        var request = context.Request;
        var project = request.Header(HttpHeaderNames.ProjectId);
        var grant = false;
        if (endpoint.Version == "v2" && request.Header(SignatureHeader) is { } signature)
        {
            if (!await signedUrls.VerifyAsync(
                    request.Method, request.Path.Value ?? "", signature, request.Header("URL-Methods"), request.Header("URL-Paths"),
                    request.Header("URL-Expires"), project, context.RequestAborted))
            {
                throw Errors.NotFound("The pre-signed URL is not valid for this request.");
            }

            grant = true;
        }

        var credentials = new Credentials(
            Credentials.TokenOf(request.Header("X-Auth-Token"), request.Header("Authorization")), grant);
        var admitted = await gate.AdmitAsync(
            endpoint.Action, project, credentials, "http", context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted);
        context.Features.Set(new AdmittedProject(admitted));
        await next(context);
    }

    /// <summary>The project header as admitted, or as sent where no action was admitted.</summary>
    public static string? ProjectOf(HttpRequest request) =>
        request.HttpContext.Features.Get<AdmittedProject>() is { } admitted ? admitted.Value : request.Header(HttpHeaderNames.ProjectId);
}
