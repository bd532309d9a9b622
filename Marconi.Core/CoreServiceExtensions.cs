using FluentValidation;
using Marconi.Core.Operations;
using Marconi.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Marconi.Core;

public static class CoreServiceExtensions
{
    /// <summary>
    /// Registers the core operations, the validated limits and the clock: the driver's
    /// <see cref="StoreClock"/> when it registered one, else the system clock.
    /// </summary>
    public static IHostApplicationBuilder AddMarconiCore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LimitsOptions>()
            .BindConfiguration(LimitsOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LimitsOptions>>(
            new FluentValidateOptions<LimitsOptions>(new LimitsOptionsValidator()));
        // Resolved when first asked for, so a driver's clock counts whether it was registered before or after this.
        builder.Services.TryAddSingleton<TimeProvider>(sp => sp.GetService<StoreClock>() ?? TimeProvider.System);
        builder.Services.AddSingleton<MarconiMetrics>();
        builder.Services.AddSingleton<QueueSettingsCache>();
        builder.Services.AddSingleton<QueueOperations>();
        builder.Services.AddSingleton<MessageOperations>();
        builder.Services.AddSingleton<ClaimWaiters>();
        builder.Services.AddSingleton<ClaimOperations>();
        builder.Services.AddSingleton<HealthOperations>();
        builder.Services.AddSingleton<SubscriptionOperations>();
        builder.Services.AddSingleton<Keys.KeyOperations>();
        builder.Services.AddOptions<SubscriptionOptions>().BindConfiguration(SubscriptionOptions.SectionName)
            .Validate(o => o.Schemes.Count > 0 && o.Schemes.All(s => SubscriptionOptions.Offered.Contains(s)),
                $"{SubscriptionOptions.SectionName}:SubscriberTypes may list only {string.Join(", ", SubscriptionOptions.Offered)}.")
            .ValidateOnStart();
        builder.Services.AddOptions<EncryptionOptions>().BindConfiguration(EncryptionOptions.SectionName);
        // v2 contract 9.8 lets a server leave message checksums out if it refuses to start with them on.
        builder.Services.AddOptions<MessagesOptions>().BindConfiguration(MessagesOptions.SectionName)
            .Validate(o => !o.EnableChecksum,
                $"{MessagesOptions.SectionName}:EnableChecksum cannot be true: message checksums are not implemented.")
            .ValidateOnStart();
        builder.Services.AddSingleton<MessageCipher>();

        builder.Services.AddOptions<CollectorOptions>()
            .BindConfiguration(CollectorOptions.SectionName)
            .Validate(o => o.IntervalSeconds > 0, $"{CollectorOptions.SectionName}:IntervalSeconds must be a positive integer.")
            .ValidateOnStart();
        builder.Services.AddHostedService<ExpiryCollector>();
        return builder;
    }
}

/// <summary>Runs a FluentValidation validator as an options validator, so bad settings stop start-up.</summary>
public sealed class FluentValidateOptions<TOptions>(IValidator<TOptions> validator) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var result = validator.Validate(options);
        return result.IsValid
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(result.Errors.Select(e => e.ErrorMessage));
    }
}
