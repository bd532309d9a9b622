using FluentValidation;

namespace Marconi.Core.Validation;

/// <summary>
/// A message document after parsing: TTL and delay are range-checked here. <paramref name="Body"/> is
/// the body's JSON as sent, UTF-8, copied from the request once and stored as it is.
/// </summary>
public sealed record MessageDocument(long Ttl, byte[] Body, long Delay = 0)
{
    public MessageDocument(long ttl, string body, long delay = 0)
        : this(ttl, System.Text.Encoding.UTF8.GetBytes(body), delay)
    {
    }

    /// <summary>The message group (<see cref="Storage.NewMessage.Group"/>); SQS FIFO queues' only.</summary>
    public string? Group { get; init; }

    /// <summary>The deduplication id (<see cref="Storage.NewMessage.DeduplicationId"/>); SQS FIFO queues' only.</summary>
    public string? DeduplicationId { get; init; }

    /// <summary>See <see cref="Storage.NewMessage.DeduplicateByGroup"/>.</summary>
    public bool DeduplicateByGroup { get; init; }
}

/// <summary>Claim parameters after parsing; the limit is already defaulted.</summary>
public sealed record ClaimRequest(long Ttl, long Grace, long Limit);

/// <summary>Message TTL within the configured range (contract 3.10 step 5).</summary>
public sealed class MessageDocumentValidator : AbstractValidator<MessageDocument>
{
    public MessageDocumentValidator(LimitsOptions limits)
    {
        RuleFor(m => m.Ttl).InclusiveBetween(LimitsOptions.MinMessageTtl, limits.MaxMessageTtl)
            .WithMessage($"Message TTL must be at least {LimitsOptions.MinMessageTtl} seconds long and no greater than {limits.MaxMessageTtl} seconds.");
        RuleFor(m => m.Delay).InclusiveBetween(0, limits.MaxMessageDelay)
            .WithMessage($"Message delay must be at least 0 seconds and no greater than {limits.MaxMessageDelay} seconds.");
    }
}

/// <summary>Claim creation: TTL, then limit, then grace, as contract 3.16 orders them.</summary>
public sealed class ClaimCreateValidator : AbstractValidator<ClaimRequest>
{
    public ClaimCreateValidator(LimitsOptions limits)
    {
        ClassLevelCascadeMode = CascadeMode.Stop;
        RuleFor(c => c.Ttl).InclusiveBetween(LimitsOptions.MinClaimTtl, limits.MaxClaimTtl)
            .WithMessage($"The TTL for a claim may not exceed {limits.MaxClaimTtl} seconds, and must be at least {LimitsOptions.MinClaimTtl} seconds long.");
        RuleFor(c => c.Limit).InclusiveBetween(1, limits.MaxMessagesPerClaimOrPop)
            .WithMessage($"Limit must be at least 1 and may not be greater than {limits.MaxMessagesPerClaimOrPop}.");
        RuleFor(c => c.Grace).InclusiveBetween(LimitsOptions.MinClaimGrace, limits.MaxClaimGrace)
            .WithMessage($"The grace for a claim may not exceed {limits.MaxClaimGrace} seconds, and must be at least {LimitsOptions.MinClaimGrace} seconds long.");
    }
}

/// <summary>Claim renewal: TTL as on creation, grace from 0 (contract 3.18).</summary>
public sealed class ClaimUpdateValidator : AbstractValidator<ClaimRequest>
{
    public ClaimUpdateValidator(LimitsOptions limits)
    {
        ClassLevelCascadeMode = CascadeMode.Stop;
        RuleFor(c => c.Ttl).InclusiveBetween(LimitsOptions.MinClaimTtl, limits.MaxClaimTtl)
            .WithMessage($"The TTL for a claim may not exceed {limits.MaxClaimTtl} seconds, and must be at least {LimitsOptions.MinClaimTtl} seconds long.");
        RuleFor(c => c.Grace).InclusiveBetween(0, limits.MaxClaimGrace)
            .WithMessage($"The grace for a claim may not exceed {limits.MaxClaimGrace} seconds, and may not be negative.");
    }
}

internal static class ValidatorExtensions
{
    /// <summary>Runs a validator and raises the first failure as the contract's 400.</summary>
    public static void Check<T>(this IValidator<T> validator, T value)
    {
        var result = validator.Validate(value);
        if (!result.IsValid)
        {
            throw Errors.InvalidApiRequest(result.Errors[0].ErrorMessage);
        }
    }
}
