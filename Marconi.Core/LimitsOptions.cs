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
    /// <summary>Fixed by the protocol: the shortest subscription TTL, in seconds (v2).</summary>
    public const int MinSubscriptionTtl = 60;

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

    /// <summary>TTL of a v1.1/v2 message posted without one (v2 contract 9.2).</summary>
    public int DefaultMessageTtl { get; set; } = 3600;
    /// <summary>A queue's delay when its metadata sets none (v2 contract 9.4).</summary>
    public int DefaultMessageDelay { get; set; }
    public int MaxMessageDelay { get; set; } = 900;
    /// <summary>Claim TTL and grace when a v1.1/v2 claim request omits them.</summary>
    public int DefaultClaimTtl { get; set; } = 300;
    public int DefaultClaimGrace { get; set; } = 60;
    public int DefaultSubscriptionTtl { get; set; } = 3600;
    public int MaxSubscriptionsPerPage { get; set; } = 20;
    public int DefaultSubscriptionsPerPage { get; set; } = 10;

    /// <summary>How v1.1/v2 read Client-ID: <c>strict</c> (a UUID) or <c>off</c> (any string of bounded length).</summary>
    public string ClientIdFormat { get; set; } = "strict";
    public int MinClientIdLength { get; set; } = 10;
    public int MaxClientIdLength { get; set; } = 36;

    /// <summary>
    /// Longest <c>wait</c> a claim or pop may ask for, in seconds: the request is answered as soon as
    /// a message is claimable, or empty when the wait ends. 0 turns long-polling off (any wait above 0 is refused).
    /// </summary>
    public int MaxClaimWaitSeconds { get; set; } = 20;

    /// <summary>
    /// How often a waiting claim looks at the store again on its own, in seconds; 0: never. Posts through
    /// this host wake waiters at once; hosts that share one database with other hosts set this, so a
    /// post made through another host is found within it.
    /// </summary>
    public int ClaimWaitRecheckSeconds { get; set; }

    /// <summary>v2 contract 7.6: deleting by ids also requires the claims that hold them.</summary>
    public bool MessageDeleteWithClaimId { get; set; }

    /// <summary>True when Client-ID must be a UUID.</summary>
    public bool StrictClientIds => string.Equals(ClientIdFormat, "strict", StringComparison.OrdinalIgnoreCase);
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

        Positive(x => x.MaxSubscriptionsPerPage, nameof(LimitsOptions.MaxSubscriptionsPerPage));
        DefaultWithin(x => x.DefaultSubscriptionsPerPage, x => x.MaxSubscriptionsPerPage,
            nameof(LimitsOptions.DefaultSubscriptionsPerPage), nameof(LimitsOptions.MaxSubscriptionsPerPage));
        Between(x => x.DefaultMessageTtl, _ => LimitsOptions.MinMessageTtl, x => x.MaxMessageTtl,
            nameof(LimitsOptions.DefaultMessageTtl), $"{LimitsOptions.MinMessageTtl} and {Key(nameof(LimitsOptions.MaxMessageTtl))}");
        AtLeast(x => x.MaxMessageDelay, 0, nameof(LimitsOptions.MaxMessageDelay));
        Between(x => x.DefaultMessageDelay, _ => 0, x => x.MaxMessageDelay,
            nameof(LimitsOptions.DefaultMessageDelay), $"0 and {Key(nameof(LimitsOptions.MaxMessageDelay))}");
        Between(x => x.DefaultClaimTtl, _ => LimitsOptions.MinClaimTtl, x => x.MaxClaimTtl,
            nameof(LimitsOptions.DefaultClaimTtl), $"{LimitsOptions.MinClaimTtl} and {Key(nameof(LimitsOptions.MaxClaimTtl))}");
        Between(x => x.DefaultClaimGrace, _ => LimitsOptions.MinClaimGrace, x => x.MaxClaimGrace,
            nameof(LimitsOptions.DefaultClaimGrace), $"{LimitsOptions.MinClaimGrace} and {Key(nameof(LimitsOptions.MaxClaimGrace))}");
        AtLeast(x => x.DefaultSubscriptionTtl, LimitsOptions.MinSubscriptionTtl, nameof(LimitsOptions.DefaultSubscriptionTtl));
        RuleFor(x => x.ClientIdFormat)
            .Must(v => v is not null && (v.Equals("strict", StringComparison.OrdinalIgnoreCase) || v.Equals("off", StringComparison.OrdinalIgnoreCase)))
            .OverridePropertyName(Key(nameof(LimitsOptions.ClientIdFormat)))
            .WithMessage($"{Key(nameof(LimitsOptions.ClientIdFormat))} must be strict or off.");
        // A wait holds a connection (and over ZeroMQ a slot of the requests in flight): an hour is long enough.
        Between(x => x.MaxClaimWaitSeconds, _ => 0, _ => 3600, nameof(LimitsOptions.MaxClaimWaitSeconds), "0 and 3600");
        AtLeast(x => x.ClaimWaitRecheckSeconds, 0, nameof(LimitsOptions.ClaimWaitRecheckSeconds));
        AtLeast(x => x.MinClientIdLength, 1, nameof(LimitsOptions.MinClientIdLength));
        Between(x => x.MaxClientIdLength, x => x.MinClientIdLength, _ => int.MaxValue,
            nameof(LimitsOptions.MaxClientIdLength), $"{Key(nameof(LimitsOptions.MinClientIdLength))} and {int.MaxValue}");
    }

    private void Between(
        System.Linq.Expressions.Expression<Func<LimitsOptions, int>> value,
        Func<LimitsOptions, int> min, Func<LimitsOptions, int> max, string property, string range) =>
        RuleFor(value).Must((options, v) => v >= min(options) && v <= max(options)).OverridePropertyName(Key(property))
            .WithMessage($"{Key(property)} must be between {range}.");

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
