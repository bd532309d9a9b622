using Marconi.Api.Access;
using Marconi.Api.V1;
using Marconi.Api.V1_1;
using Marconi.Api.V2;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Marconi.Core.Operations;
using Microsoft.Extensions.Options;

namespace Marconi.Api;

public static class ApiServiceExtensions
{
    /// <summary>Registers the versions document and every API version's catalogue; the transports route requests to them.</summary>
    public static IHostApplicationBuilder AddMarconiApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        builder.Services.AddSingleton<ApiVersions>();
        builder.Services.AddOptions<RequestLogOptions>().BindConfiguration(RequestLogOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RequestLogOptions>, RequestLogOptionsValidator>();
        builder.Services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.SectionName)
            .Validate(o => o.RequestsPerSecond > 0, $"{QuotaOptions.SectionName}:RequestsPerSecond must be a positive integer.")
            .Validate(o => o.Burst > 0, $"{QuotaOptions.SectionName}:Burst must be a positive integer.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ProjectQuotas>();
        builder.Services.AddSingleton<LoadShedding>();
        builder.Services.AddOptions<SignedUrlOptions>().BindConfiguration(SignedUrlOptions.SectionName);
        builder.Services.AddSingleton<SignedUrls>();
        builder.Services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.SectionName)
            .Validate(o => o.TimeoutSeconds > 0, $"{NotificationOptions.SectionName}:TimeoutSeconds must be a positive integer.")
            .Validate(o => o.MaxConcurrentDeliveries > 0, $"{NotificationOptions.SectionName}:MaxConcurrentDeliveries must be a positive integer.")
            .Validate(o => o.Backlog > 0, $"{NotificationOptions.SectionName}:Backlog must be a positive integer.")
            .Validate(o => string.IsNullOrEmpty(o.PublicUrl) || Uri.TryCreate(o.PublicUrl, UriKind.Absolute, out _),
                $"{NotificationOptions.SectionName}:PublicUrl must be an absolute URL.")
            .ValidateOnStart();
        // Subscribers are any http(s) URL: a redirect is an answer, never followed elsewhere.
        builder.Services.AddHttpClient(WebhookNotifier.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        builder.Services.AddSingleton<WebhookNotifier>();
        builder.Services.AddSingleton<IPostObserver>(sp => sp.GetRequiredService<WebhookNotifier>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookNotifier>());
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName)
            .Validate(o => AuthOptions.Modes.Contains(o.Mode, StringComparer.OrdinalIgnoreCase),
                $"{AuthOptions.SectionName}:Mode must be one of {string.Join(", ", AuthOptions.Modes)}.")
            .Validate(o => o.KeyCacheSeconds >= 0, $"{AuthOptions.SectionName}:KeyCacheSeconds must be 0 or more.")
            .Validate(o => o.LastUsedResolutionSeconds > 0, $"{AuthOptions.SectionName}:LastUsedResolutionSeconds must be a positive integer.")
            .ValidateOnStart();
        builder.Services.AddSingleton<AccessGate>();
        builder.Services.AddSingleton<AwsCredentials>();
        builder.Services.AddHostedService<AccessModeReport>();
        builder.Services.AddSingleton<KeyActions>();
        builder.Services.AddSingleton<V1Catalogue>();
        builder.Services.AddSingleton<V1_1Catalogue>();
        builder.Services.AddSingleton<V2Catalogue>();
        return builder;
    }
}
