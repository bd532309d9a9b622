using Marconi.Api;
using Marconi.Transport.Http.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Marconi.Transport.Http;

/// <summary>Section <c>Marconi:Transports:Http</c>.</summary>
public sealed class HttpTransportOptions
{
    public const string SectionName = "Marconi:Transports:Http";

    public bool Enabled { get; set; } = true;

    public string Url { get; set; } = "http://127.0.0.1:8888";

    /// <summary>
    /// Most bytes of request bodies held at once over all connections (64 MiB); a body that would
    /// go past it is refused with 503 and Retry-After instead of being read.
    /// </summary>
    public long MaxRequestBodyBytesInFlight { get; set; } = 64L << 20;

    /// <summary>
    /// Connections held open at once. Each costs memory whatever it sends, so this is what bounds the
    /// server's memory under a flood of connections; past it Kestrel closes new connections unanswered.
    /// 0: no limit.
    /// </summary>
    public long MaxConnections { get; set; } = 1024;

    /// <summary>Answers 200 while the process runs, whatever the store does (for restarts by an orchestrator).</summary>
    public string LivenessPath { get; set; } = "/healthz";

    /// <summary>Answers 200 only while the store takes writes, 503 otherwise (for load balancers).</summary>
    public string ReadinessPath { get; set; } = "/readyz";

    /// <summary>The probes' paths before <c>/healthz</c> and <c>/readyz</c>, still answered for the probes configured with them.</summary>
    public const string FormerLivenessPath = "/healthz/live";

    /// <inheritdoc cref="FormerLivenessPath"/>
    public const string FormerReadinessPath = "/healthz/ready";
}

public static class HttpTransportExtensions
{
    /// <summary>Registers what the HTTP transport needs.</summary>
    public static WebApplicationBuilder AddHttpTransport(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HttpTransportOptions>().BindConfiguration(HttpTransportOptions.SectionName)
            .Validate(o => o.MaxConnections >= 0,
                $"{HttpTransportOptions.SectionName}:MaxConnections must be 0 (no limit) or a positive number of connections.")
            .Validate(o => o.MaxRequestBodyBytesInFlight is > 0 and <= int.MaxValue,
                $"{HttpTransportOptions.SectionName}:MaxRequestBodyBytesInFlight must be a positive number of bytes, at most {int.MaxValue}.")
            .Validate(o => IsProbePath(o.LivenessPath), $"{HttpTransportOptions.SectionName}:LivenessPath must start with / and lie outside /v1, /v1.1 and /v2.")
            .Validate(o => IsProbePath(o.ReadinessPath), $"{HttpTransportOptions.SectionName}:ReadinessPath must start with / and lie outside /v1, /v1.1 and /v2.")
            .ValidateOnStart();
        builder.Services.AddSingleton<RequestBodyBudget>();
        builder.Services.AddOptions<OpenApiOptions>().BindConfiguration(OpenApiOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<OpenApiDocuments>();
        builder.AddDashboard();
        // Kestrel binds only endpoints and certificates from configuration, not its limits.
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<HttpTransportOptions>>((kestrel, http) =>
            kestrel.Limits.MaxConcurrentConnections = http.Value.MaxConnections == 0 ? null : http.Value.MaxConnections);
        builder.Services.AddHealthChecks().AddCheck<StorageReadinessCheck>("storage", tags: [StorageReadinessCheck.Tag]);

        // Quotas use the platform's rate limiter, over the one per-project limiter ZeroMQ shares.
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<ProjectQuotas>((options, quotas) =>
        {
            if (quotas.Limiter is not { } limiter)
            {
                return;
            }

            options.GlobalLimiter = limiter.WithTranslatedKey<HttpContext>(
                context => ApiAccess.ProjectOf(context.Request) ?? "",
                leaveOpen: true);
            options.OnRejected = async (rejected, cancellationToken) =>
            {
                var retryAfter = ProjectQuotas.RetryAfter(rejected.Lease);
                var error = ApiErrors.Outcome(ProjectQuotas.Exceeded(retryAfter));
                var response = rejected.HttpContext.Response;
                response.StatusCode = error.Status;
                response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                response.ContentType = ApiOutcome.JsonContentType;
                await response.Body.WriteAsync(error.Body, cancellationToken);
            };
        });
        return builder;
    }

    /// <summary>
    /// Adds the middleware and route tables. Order matters: the request log sees the final
    /// status; the error mapper turns every failure (and routing's bare 404/405) into the
    /// contract's JSON error; path rules run before routing, which ignores trailing slashes;
    /// access needs the routed action, and quotas the project access admitted.
    /// </summary>
    public static WebApplication MapHttpTransport(this WebApplication app)
    {
        app.UseRequestLogging();
        app.UseMiddleware<ErrorResponses>();
        app.Use(PathRules.BeforeRoutingAsync);
        app.UseRouting();
        app.UseMiddleware<ApiAccess>();
        app.UseRateLimiter();

        // GET / is outside every version, so none of their header checks apply.
        var versions = app.Services.GetRequiredService<ApiVersions>();
        var options = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value;
        app.MapGet("/", () => new ApiResult(versions.Outcome));
        if (options.Serves("1"))
        {
            app.MapV1();
        }

        if (options.Serves("1.1"))
        {
            app.MapV1_1();
        }

        if (options.Serves("2"))
        {
            app.MapV2();
        }

        // Probes for orchestrators and load balancers, outside every API version and its checks.
        var http = app.Services.GetRequiredService<IOptions<HttpTransportOptions>>().Value;
        var live = new HealthCheckOptions { Predicate = _ => false };
        var ready = new HealthCheckOptions { Predicate = c => c.Tags.Contains(StorageReadinessCheck.Tag) };
        var mapped = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (path, probe) in new[]
                 {
                     (http.LivenessPath, live), (http.ReadinessPath, ready),
                     (HttpTransportOptions.FormerLivenessPath, live), (HttpTransportOptions.FormerReadinessPath, ready),
                 })
        {
            // A former path configured as the other probe keeps that meaning; twice the same route would be ambiguous.
            if (mapped.Add(path))
            {
                app.MapHealthChecks(path, probe).DisableRateLimiting();
            }
        }

        // The documents describe the API and serve no data, so like the probes they need no key and count against no quota.
        if (app.Services.GetRequiredService<IOptions<OpenApiOptions>>().Value.Enabled)
        {
            var documents = app.Services.GetRequiredService<OpenApiDocuments>();
            app.MapGet(OpenApiDocuments.Pattern, (string version) => documents.Answer(version))
                .DisableRateLimiting();
            app.Lifetime.ApplicationStarted.Register(documents.Build);
        }

        app.MapDashboard();
        return app;
    }

    internal static bool IsProbePath(string path) =>
        path.StartsWith('/') && path.Length > 1
        && !new[] { "/v1", "/v1.1", "/v2" }.Any(v => path == v || path.StartsWith(v + "/", StringComparison.OrdinalIgnoreCase));
}
