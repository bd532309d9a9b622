using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Marconi.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Marconi.Transport.Http.Dashboard;

/// <summary>Section <c>Marconi:Dashboard</c>.</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "Marconi:Dashboard";

    /// <summary>Serve the browser dashboard over the HTTP transport.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where the page is served; its assets lie under it (<c>/ui/dashboard.js</c>).</summary>
    public string Path { get; set; } = "/ui";
}

/// <summary>
/// The browser dashboard: a page, a script and a stylesheet embedded in this assembly (so the
/// single-file binary carries them) and served as they are. Plain HTML, CSS and JavaScript: no build
/// step, a few kilobytes, and what is served is what is in the repository. The page holds no data;
/// the script reads everything through the API with the key the user gives, so the page can do
/// nothing the API refuses, and like the OpenAPI documents the assets need no key.
/// </summary>
public static partial class DashboardEndpoints
{
    /// <summary>No inline script or style and nothing from elsewhere; the page may not be framed.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

    /// <summary>Paths other transports' endpoints are served under, which the dashboard's must stay clear of.</summary>
    private const string OpenApiPrefix = "/openapi";

    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        const string path = $"{DashboardOptions.SectionName}:Path";
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.SectionName)
            .Validate(o => !o.Enabled || (HttpTransportExtensions.IsProbePath(o.Path) && PathShape().IsMatch(o.Path)),
                $"{path} must start with /, be segments of letters, digits, '-', '_', '.' or '~' (not starting with '.') without a trailing /, and lie outside /v1, /v1.1 and /v2.")
            .Validate<IOptions<HttpTransportOptions>, IOptions<MetricsOptions>>(
                (o, http, metrics) => !o.Enabled || !new[]
                {
                    http.Value.LivenessPath, http.Value.ReadinessPath, HttpTransportOptions.FormerLivenessPath,
                    HttpTransportOptions.FormerReadinessPath, metrics.Value.Path, OpenApiPrefix,
                    // In any case: the path rules refuse /V1 and the like rather than route them.
                    "/v1", "/v1.1", "/v2",
                }.Any(other => Overlaps(o.Path, other)),
                $"{path} must lie apart from the liveness, readiness and metrics paths and /openapi.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>Maps the page and its assets when the dashboard is on.</summary>
    public static WebApplication MapDashboard(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value;
        if (!options.Enabled)
        {
            return app;
        }

        var metrics = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        foreach (var asset in Assets(options.Path, metrics.Enabled ? metrics.Path : ""))
        {
            app.MapMethods(asset.Path, [HttpMethods.Get, HttpMethods.Head], context => ServeAsync(context, asset))
                .DisableRateLimiting();
        }

        return app;
    }

    internal sealed record Asset(string Path, string ContentType, byte[] Body, EntityTagHeaderValue ETag);

    /// <summary>The embedded files; the page names its assets under the configured path.</summary>
    /// <param name="metricsPath">The host's Prometheus scrape the page reads rates from; empty when metrics are off.</param>
    internal static IReadOnlyList<Asset> Assets(string path, string metricsPath)
    {
        var page = Read("index.html")
            .Replace("{{base}}", WebUtility.HtmlEncode(path), StringComparison.Ordinal)
            .Replace("{{metrics}}", WebUtility.HtmlEncode(metricsPath), StringComparison.Ordinal);
        return
        [
            Make(path, "text/html; charset=utf-8", page),
            Make(path + "/dashboard.js", "text/javascript; charset=utf-8", Read("dashboard.js")),
            Make(path + "/dashboard.css", "text/css; charset=utf-8", Read("dashboard.css")),
        ];
    }

    private static Asset Make(string path, string contentType, string text)
    {
        var body = Encoding.UTF8.GetBytes(text);
        // A hash of the content: a new binary with other assets gets other tags, the same one the same.
        return new Asset(path, contentType, body, new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}\""));
    }

    private static string Read(string name)
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream($"Marconi.Dashboard.{name}")
                           ?? throw new InvalidOperationException($"the embedded dashboard asset {name} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static Task ServeAsync(HttpContext context, Asset asset)
    {
        var response = context.Response;
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        // The URLs carry no version, so the browser keeps a copy but asks each time whether it is current.
        response.Headers.CacheControl = "no-cache";
        response.Headers.ETag = asset.ETag.ToString();
        if (context.Request.GetTypedHeaders().IfNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(asset.ETag, useStrongComparison: true)))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(asset.Body, context.RequestAborted).AsTask();
    }

    /// <summary>One path is the other or lies under it: routing could not tell them apart.</summary>
    private static bool Overlaps(string a, string b) =>
        string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
        || a.StartsWith(b.TrimEnd('/') + "/", StringComparison.OrdinalIgnoreCase)
        || b.StartsWith(a + "/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Segments the path rules let through unchanged: no empty segment, no trailing slash.</summary>
    [GeneratedRegex(@"^(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$")]
    private static partial Regex PathShape();
}
