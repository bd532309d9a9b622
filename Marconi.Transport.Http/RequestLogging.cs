using System.Diagnostics;
using Marconi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Marconi.Transport.Http;

/// <summary>
/// One structured log line per request: method, path, matched route, status, elapsed time and
/// project. Failures are logged separately, with their exception, by <see cref="ErrorResponses"/>.
/// Answers below 500 are logged at Debug, so the shipped configuration (Information) does not write
/// them: the line cost a post 25-40% of the server's CPU even through the async console sink. The
/// access log comes back with <c>Serilog:MinimumLevel:Override:Marconi.Transport.Http.RequestLogging=Debug</c>.
/// It is also where HTTP requests are counted, since only here is the final status known. A request
/// routed to no catalogue operation (probes, <c>/metrics</c>, the root) is not an API request and is
/// not counted, unless it matched no route at all.
/// </summary>
internal sealed partial class RequestLogging(RequestDelegate next, MarconiMetrics metrics, ILogger<RequestLogging> logger)
{
    /// <summary>How the default namespace (no <c>X-Project-Id</c>) appears in logs.</summary>
    private const string DefaultProject = "(default)";

    public async Task InvokeAsync(HttpContext context)
    {
        // Captured first: later stages may rewrite the path (see PathRules).
        var method = context.Request.Method;
        var path = context.Request.Path.Value ?? "/";
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var elapsedTime = Stopwatch.GetElapsedTime(start);
            var elapsed = elapsedTime.TotalMilliseconds;
            var endpoint = context.GetEndpoint();
            var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText;
            var status = context.Response.StatusCode;
            if (endpoint is null)
            {
                metrics.Request("http", "none", MarconiMetrics.UnknownOperation, status, elapsedTime);
            }
            else if (endpoint.Metadata.GetMetadata<ApiActionMetadata>() is { } action)
            {
                var operation = context.Features.Get<ChosenOperation>()?.Name ?? action.Action;
                metrics.Request("http", action.Version, operation, status, elapsedTime);
            }

            if (status >= StatusCodes.Status500InternalServerError)
            {
                LogFailedRequest(method, path, route, status, elapsed, ProjectOf(context.Request));
            }
            else
            {
                LogRequest(method, path, route, status, elapsed, ProjectOf(context.Request));
            }
        }
    }

    /// <summary>The project a request is made for, as it should appear in logs.</summary>
    public static string ProjectOf(HttpRequest request) => ApiAccess.ProjectOf(request) ?? DefaultProject;

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug,
        Message = "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.00} ms (route {Route}, project {Project})")]
    private partial void LogRequest(string method, string path, string? route, int statusCode, double elapsedMs, string project);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.00} ms (route {Route}, project {Project})")]
    private partial void LogFailedRequest(string method, string path, string? route, int statusCode, double elapsedMs, string project);
}
