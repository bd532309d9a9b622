using Marconi.Core;
using Marconi.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Marconi.Transport.Http;

/// <summary>
/// The one place where failures become HTTP answers (contract 1.7): a <see cref="MarconiException"/>
/// by its kind, a malformed request seen by the server as 400, anything else as a logged 500; and
/// routing's bodiless 404 (no route) and 405 (known path, other method) get the JSON error body.
/// </summary>
internal sealed partial class ErrorResponses(RequestDelegate next, LoadShedding shedding, ILogger<ErrorResponses> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (MarconiException exception)
        {
            if (exception.Kind == MarconiErrorKind.ServiceUnavailable)
            {
                LogStorageFailure(exception, context.Request.Method, context.Request.Path, ProjectOf(context));
            }
            else if (exception.Kind == MarconiErrorKind.Overloaded)
            {
                // Counted and logged in summary: one Warning per refusal would add to the overload.
                shedding.Record("http", exception.Description);
            }

            await WriteAsync(context, ApiErrors.StatusOf(exception.Kind), exception.Title, exception.Description,
                retryAfter: exception.Kind == MarconiErrorKind.Overloaded ? Errors.OverloadedRetryAfterSeconds : null);
            return;
        }
        catch (BadHttpRequestException exception)
        {
            // Kestrel's verdict on the request itself (truncated or oversized body, …): the client's fault.
            LogBadRequest(context.Request.Method, context.Request.Path, exception.Message);
            var (title, description) = exception.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? (Errors.InvalidApiRequestTitle, "The request body is too large.")
                : (Errors.InvalidRequestBodyTitle, exception.Message);
            await WriteAsync(context, StatusCodes.Status400BadRequest, title, description);
            return;
        }
        catch (Exception exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer. 499 records that in the request log.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 499;
            }

            LogAborted(context.Request.Method, context.Request.Path, exception.GetType().Name);
            return;
        }
        catch (Exception exception)
        {
            LogUnexpected(exception, context.Request.Method, context.Request.Path, ProjectOf(context));
            await WriteAsync(
                context, StatusCodes.Status500InternalServerError, Errors.InternalErrorTitle, ApiErrors.UnexpectedDescription);
            return;
        }

        // Routing's own answers come from no endpoint (404) or from its method-rejection endpoint
        // (405, with Allow already set), never from one of our route endpoints.
        if (!context.Response.HasStarted && context.GetEndpoint() is not RouteEndpoint)
        {
            switch (context.Response.StatusCode)
            {
                case StatusCodes.Status404NotFound:
                    await WriteAsync(context, StatusCodes.Status404NotFound, Errors.NotFoundTitle,
                        "The requested resource does not exist.", keepHeaders: true);
                    break;
                case StatusCodes.Status405MethodNotAllowed:
                    await WriteAsync(context, StatusCodes.Status405MethodNotAllowed, Errors.MethodNotAllowedTitle,
                        $"{context.Request.Method} is not allowed on this resource; allowed: {context.Response.Headers.Allow}.",
                        keepHeaders: true);
                    break;
            }
        }
    }

    private async Task WriteAsync(
        HttpContext context, int status, string title, string description, bool keepHeaders = false, int? retryAfter = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late to change the answer; cut the connection rather than send half a response.
            LogTooLate(context.Request.Method, context.Request.Path, status);
            context.Abort();
            return;
        }

        if (!keepHeaders)
        {
            response.Clear();
        }

        response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            // RFC 6750: the scheme the client should use.
            response.Headers.WWWAuthenticate = "Bearer";
        }

        if (retryAfter is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var body = ApiErrors.Document(title, description);
        response.ContentType = ApiOutcome.JsonContentType;
        response.ContentLength = body.Length;
        // Not the request's token: a 400 for a truncated body is still attempted after the client half-closed.
        await response.Body.WriteAsync(body, CancellationToken.None);
    }

    private static string ProjectOf(HttpContext context) => RequestLogging.ProjectOf(context.Request);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on {Method} {Path} for project {Project}")]
    private partial void LogUnexpected(Exception exception, string method, PathString path, string project);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage failure on {Method} {Path} for project {Project}")]
    private partial void LogStorageFailure(Exception exception, string method, PathString path, string project);

    [LoggerMessage(Level = LogLevel.Information, Message = "Malformed request {Method} {Path}: {Reason}")]
    private partial void LogBadRequest(string method, PathString path, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {Method} {Path} aborted by the client ({Exception})")]
    private partial void LogAborted(string method, PathString path, string exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Response to {Method} {Path} had started when it failed; status {Status} could not be sent")]
    private partial void LogTooLate(string method, PathString path, int status);
}
