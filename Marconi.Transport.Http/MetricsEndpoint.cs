using Marconi.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Marconi.Transport.Http;

/// <summary>
/// The <c>Marconi</c> meter through OpenTelemetry, scraped by Prometheus over the HTTP transport.
/// The scrape is outside every API version, so keys, quotas and version checks do not apply to it:
/// it is an operator's endpoint, to be firewalled like an admin port.
/// </summary>
public static class MetricsEndpoint
{
    public static WebApplicationBuilder AddMarconiMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName)
            .Validate(o => HttpTransportExtensions.IsProbePath(o.Path),
                $"{MetricsOptions.SectionName}:Path must start with / and lie outside /v1, /v1.1 and /v2.")
            .Validate<IOptions<HttpTransportOptions>>(
                (o, http) => !string.Equals(o.Path, http.Value.LivenessPath, StringComparison.OrdinalIgnoreCase)
                    && !string.Equals(o.Path, http.Value.ReadinessPath, StringComparison.OrdinalIgnoreCase),
                $"{MetricsOptions.SectionName}:Path must differ from the liveness and readiness paths.")
            .Validate(o => o.TopQueues is >= 0 and <= 1000,
                $"{MetricsOptions.SectionName}:TopQueues must be between 0 and 1000 (queues with gauges of their own).")
            .Validate(o => o.DepthRefreshSeconds >= 0,
                $"{MetricsOptions.SectionName}:DepthRefreshSeconds must be 0 (every scrape) or a positive number of seconds.")
            .ValidateOnStart();

        // Decided while services are registered, as the transports are: off (or no HTTP transport to
        // serve the scrape) means no listener on the meter at all, so recording costs only the
        // instruments' check that nobody listens.
        if (!Served(builder.Configuration))
        {
            return builder;
        }

        builder.Services.AddSingleton<QueueDepthGauges>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(MarconiMetrics.MeterName)
            // Every scrape collects afresh: the exporter's default 300 ms cache would serve counts from before a request.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return builder;
    }

    /// <summary>Maps the scrape endpoint when metrics are on and the HTTP transport serves.</summary>
    public static WebApplication MapMarconiMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!Served(app.Configuration))
        {
            return app;
        }

        var depths = app.Services.GetRequiredService<QueueDepthGauges>();
        app.MapPrometheusScrapingEndpoint(options.Path, meterProvider: null, configureBranchedPipeline: scrape => scrape.Use(
                async (context, next) =>
                {
                    await depths.RefreshIfStaleAsync(context.RequestAborted);
                    await next(context);
                }), optionsName: null)
            .DisableRateLimiting();
        return app;
    }

    private static bool Served(IConfiguration configuration) =>
        (configuration.GetValue<bool?>($"{MetricsOptions.SectionName}:Enabled") ?? new MetricsOptions().Enabled)
        && (configuration.GetValue<bool?>($"{HttpTransportOptions.SectionName}:Enabled") ?? new HttpTransportOptions().Enabled);
}
