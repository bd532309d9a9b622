using Marconi.Api.V2;
using Marconi.Core;
using Microsoft.AspNetCore.Http;

namespace Marconi.Transport.Http;

/// <summary>
/// v2 contract 2.3 step 2 and 11.3: a <c>/v2</c> request carrying <c>URL-Signature</c> must hold a
/// valid grant for its method, path and project, else it is 404 (Zaqar hides the resource rather
/// than answer 401/403). A valid grant lets the request go on to the ordinary checks.
/// </summary>
internal sealed class SignedUrlCheck(SignedUrls signedUrls) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (request.Header("URL-Signature") is { } signature
            && !await signedUrls.VerifyAsync(
                request.Method, request.Path.Value ?? "", signature, request.Header("URL-Methods"), request.Header("URL-Paths"),
                request.Header("URL-Expires"), request.Header(HttpHeaderNames.ProjectId), context.HttpContext.RequestAborted))
        {
            throw Errors.NotFound("The pre-signed URL is not valid for this request.");
        }

        return await next(context);
    }
}
