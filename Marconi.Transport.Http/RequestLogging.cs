using Marconi.Api;
using Marconi.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;

namespace Marconi.Transport.Http;

/// <summary>
/// One line per request through Serilog's request logging: method, path, status, elapsed time, and
/// the transport, API version, operation, queue and project the ZeroMQ line carries too. Its level is
/// <c>Marconi:Logging:RequestLevel</c> (Debug by default, so the shipped configuration writes none);
/// 500 and above are Warning, and a failure that escapes is Error, whatever that level. The properties
/// are gathered only once the level is known to be written. It is also where HTTP requests are
/// counted, since only here is the final status known: a request routed to no catalogue operation
/// (probes, <c>/metrics</c>, the root) is not an API request and is not counted, unless it matched
/// no route at all.
/// </summary>
internal static class RequestLogging
{

    public const string Template = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.00} ms";

    /// <summary>The project a request is made for, as it should appear in logs.</summary>
    public static string ProjectOf(HttpRequest request) => ApiAccess.ProjectOf(request) ?? RequestLogOptions.DefaultProject;

    public static IApplicationBuilder UseRequestLogging(this IApplicationBuilder app)
    {
        var level = ToSerilog(app.ApplicationServices.GetRequiredService<IOptions<RequestLogOptions>>().Value.Level);
        var metrics = app.ApplicationServices.GetRequiredService<MarconiMetrics>();
        return app.UseSerilogRequestLogging(options =>
        {
            // The host keeps its logger apart from the static one (tests run several hosts in one process).
            options.Logger = app.ApplicationServices.GetService<Serilog.ILogger>();
            options.MessageTemplate = Template;
            options.GetLevel = (context, elapsedMs, exception) =>
            {
                // Called once per request, when it has finished: the one place that knows its final status.
                var status = exception is null ? context.Response.StatusCode : StatusCodes.Status500InternalServerError;
                Count(metrics, context, status, TimeSpan.FromMilliseconds(elapsedMs));
                return exception is not null ? LogEventLevel.Error
                    : status >= StatusCodes.Status500InternalServerError ? LogEventLevel.Warning
                    : level;
            };
            options.EnrichDiagnosticContext = Enrich;
        });
    }

    private static void Count(MarconiMetrics metrics, HttpContext context, int status, TimeSpan elapsed)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            metrics.Request("http", "none", MarconiMetrics.UnknownOperation, status, elapsed);
        }
        else if (endpoint.Metadata.GetMetadata<ApiActionMetadata>() is { } action)
        {
            metrics.Request("http", action.Version, OperationOf(context, action), status, elapsed);
        }
    }

    /// <summary>The catalogue operation served, as metrics and logs name it (a route may choose among several).</summary>
    private static string OperationOf(HttpContext context, ApiActionMetadata action) =>
        context.Features.Get<ChosenOperation>()?.Name ?? action.Action;

    private static void Enrich(IDiagnosticContext diagnostics, HttpContext context)
    {
        diagnostics.Set("Transport", "http");
        var action = context.GetEndpoint()?.Metadata.GetMetadata<ApiActionMetadata>();
        diagnostics.Set("Version", action?.Version);
        diagnostics.Set("Operation", action is null ? null : OperationOf(context, action));
        diagnostics.Set("Queue", context.Request.RouteValues.TryGetValue("queue_name", out var queue) ? queue as string : null);
        diagnostics.Set("Project", ProjectOf(context.Request));
        diagnostics.Set("Route", (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText);
    }

    /// <summary>Microsoft's level names are the configuration's; Serilog has its own for two of them.</summary>
    public static LogEventLevel ToSerilog(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };
}
