using FluentValidation;

namespace Marconi.Core;

/// <summary>
/// The configurable limits of the v1 contract (section 4), section <c>Marconi:Limits</c>.
/// Defaults are the contract's.
/// </summary>
public sealed class LimitsOptions
{
    public const string SectionName = "Marconi:Limits";

    /// <summary>Fixed by the protocol: the shortest message TTL, in seconds.</summary>
    public const int MinMessageTtl = 60;
    /// <summary>Fixed by the protocol: the shortest claim TTL, in seconds.</summary>
    public const int MinClaimTtl = 60;
    /// <summary>Fixed by the protocol: the shortest grace on claim creation, in seconds.</summary>
    public const int MinClaimGrace = 60;

    public int MaxQueuesPerPage { get; set; } = 20;
    public int DefaultQueuesPerPage { get; set; } = 10;
    public int MaxMessagesPerPage { get; set; } = 20;
    public int DefaultMessagesPerPage { get; set; } = 10;
    public int MaxMessagesPerClaimOrPop { get; set; } = 20;
    public int DefaultMessagesPerClaim { get; set; } = 10;
    public int MaxQueueMetadata { get; set; } = 65536;
    public int MaxMessagesPostSize { get; set; } = 262144;
    public int MaxMessageTtl { get; set; } = 1209600;
    public int MaxClaimTtl { get; set; } = 43200;
    public int MaxClaimGrace { get; set; } = 43200;
}

/// <summary>Start-up validation of <see cref="LimitsOptions"/>; messages name the configuration key.</summary>
public sealed class LimitsOptionsValidator : AbstractValidator<LimitsOptions>
{
    public LimitsOptionsValidator()
    {
        Positive(x => x.MaxQueuesPerPage, nameof(LimitsOptions.MaxQueuesPerPage));
        Positive(x => x.MaxMessagesPerPage, nameof(LimitsOptions.MaxMessagesPerPage));
        Positive(x => x.MaxMessagesPerClaimOrPop, nameof(LimitsOptions.MaxMessagesPerClaimOrPop));
        Positive(x => x.MaxQueueMetadata, nameof(LimitsOptions.MaxQueueMetadata));
        Positive(x => x.MaxMessagesPostSize, nameof(LimitsOptions.MaxMessagesPostSize));

        DefaultWithin(x => x.DefaultQueuesPerPage, x => x.MaxQueuesPerPage,
            nameof(LimitsOptions.DefaultQueuesPerPage), nameof(LimitsOptions.MaxQueuesPerPage));
        DefaultWithin(x => x.DefaultMessagesPerPage, x => x.MaxMessagesPerPage,
            nameof(LimitsOptions.DefaultMessagesPerPage), nameof(LimitsOptions.MaxMessagesPerPage));
        DefaultWithin(x => x.DefaultMessagesPerClaim, x => x.MaxMessagesPerClaimOrPop,
            nameof(LimitsOptions.DefaultMessagesPerClaim), nameof(LimitsOptions.MaxMessagesPerClaimOrPop));

        AtLeast(x => x.MaxMessageTtl, LimitsOptions.MinMessageTtl, nameof(LimitsOptions.MaxMessageTtl));
        AtLeast(x => x.MaxClaimTtl, LimitsOptions.MinClaimTtl, nameof(LimitsOptions.MaxClaimTtl));
        AtLeast(x => x.MaxClaimGrace, LimitsOptions.MinClaimGrace, nameof(LimitsOptions.MaxClaimGrace));
    }

    private static string Key(string property) => $"{LimitsOptions.SectionName}:{property}";

    private void Positive(System.Linq.Expressions.Expression<Func<LimitsOptions, int>> rule, string property) =>
        RuleFor(rule).GreaterThan(0).OverridePropertyName(Key(property))
            .WithMessage(x => $"{Key(property)} must be a positive integer.");

    private void AtLeast(System.Linq.Expressions.Expression<Func<LimitsOptions, int>> rule, int min, string property) =>
        RuleFor(rule).GreaterThanOrEqualTo(min).OverridePropertyName(Key(property))
            .WithMessage($"{Key(property)} must be at least {min}.");

    private void DefaultWithin(
        System.Linq.Expressions.Expression<Func<LimitsOptions, int>> value,
        Func<LimitsOptions, int> max, string property, string maxProperty) =>
        RuleFor(value).Must((options, v) => v >= 1 && v <= max(options)).OverridePropertyName(Key(property))
            .WithMessage($"{Key(property)} must be between 1 and {Key(maxProperty)}.");
}
