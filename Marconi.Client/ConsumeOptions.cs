using Microsoft.Extensions.Logging;

namespace Marconi.Client;

/// <summary>How <see cref="MarconiQueue.ConsumeAsync(ConsumeOptions?, CancellationToken)"/> claims, holds and settles messages.</summary>
public sealed class ConsumeOptions
{
    /// <summary>
    /// Most messages handled at once (handlers running in parallel). In the <c>await foreach</c> form, whose body
    /// takes one message at a time, it is how many are claimed ahead and held (renewed) until their turn. At least 1.
    /// </summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>Most messages one claim takes (1 to the server's claim limit, 20 by default); fewer when fewer handlers are free.</summary>
    public int BatchSize { get; init; } = 10;

    /// <summary>Seconds a claim lasts (60 to 43200); it is renewed for as long as one of its messages is being handled.</summary>
    public int ClaimTtl { get; init; } = 60;

    /// <summary>Seconds claimed messages outlive the claim if they would expire before it (0 to 43200).</summary>
    public int ClaimGrace { get; init; } = 60;

    /// <summary>
    /// Seconds each claim may wait on the server for a message (a long poll; 0 to the server's
    /// <c>Marconi:Limits:MaxClaimWaitSeconds</c>, 20 by default). 0 asks and, finding nothing, pauses <see cref="IdlePause"/>.
    /// </summary>
    public int Wait { get; init; } = 20;

    /// <summary>
    /// How often a claim is renewed while its messages are handled; <see langword="null"/> is a third of
    /// <see cref="ClaimTtl"/>, so two renewals may fail before the claim would run out. Must be shorter than the TTL.
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; init; }

    /// <summary>What happens to a message whose handler failed (threw, or was abandoned): released at once (the default), or left to come back when its claim expires.</summary>
    public ConsumeFailure OnFailure { get; init; } = ConsumeFailure.Release;

    /// <summary>
    /// Stop when a claim finds no free message (after its wait), once what is held is settled: for draining a queue
    /// and for scripts. Otherwise the consumer runs until it is cancelled.
    /// </summary>
    public bool StopWhenEmpty { get; init; }

    /// <summary>
    /// The pause after an empty answer that came back sooner than <see cref="Wait"/> (a wait of 0, a server that does not
    /// long-poll, or a server shutting down), so that the consumer does not ask again at once.
    /// </summary>
    public TimeSpan IdlePause { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The first pause after a failed claim (the server unreachable or answering 5xx or 429); it doubles, with jitter, up to <see cref="MaxBackoff"/>. A <c>Retry-After</c> the server sends wins.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest pause between failed claims.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long settling may take once the consumer stops (deleting handled messages, releasing the others);
    /// what is not settled by then comes back when its claim expires.
    /// </summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where failures, renewals and back-offs are logged; nothing is logged when <see langword="null"/>.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>The renewal interval in effect.</summary>
    internal TimeSpan Heartbeat => HeartbeatInterval ?? TimeSpan.FromSeconds(ClaimTtl / 3.0);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrency, 1, nameof(MaxConcurrency));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ClaimTtl, 1, nameof(ClaimTtl));
        ArgumentOutOfRangeException.ThrowIfNegative(ClaimGrace, nameof(ClaimGrace));
        ArgumentOutOfRangeException.ThrowIfNegative(Wait, nameof(Wait));
        ArgumentOutOfRangeException.ThrowIfLessThan(IdlePause, TimeSpan.Zero, nameof(IdlePause));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MinBackoff, TimeSpan.Zero, nameof(MinBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackoff, MinBackoff, nameof(MaxBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SettleTimeout, TimeSpan.Zero, nameof(SettleTimeout));
        if (Heartbeat <= TimeSpan.Zero || Heartbeat >= TimeSpan.FromSeconds(ClaimTtl))
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), HeartbeatInterval, "The heartbeat must be positive and shorter than the claim TTL.");
        }
    }
}

/// <summary>What a consumer does with a message whose handling failed.</summary>
public enum ConsumeFailure
{
    /// <summary>Release its claim once the claim's other messages are settled: the message is free again at once.</summary>
    Release,

    /// <summary>Stop renewing and leave the claim: the message comes back when the claim expires (a delay before retrying it).</summary>
    Expire,
}
