namespace Marconi.Client;

/// <summary>A claim: messages held by this worker for a while, to process and delete.</summary>
public sealed class MarconiClaim
{
    private readonly MarconiQueue _queue;

    internal MarconiClaim(MarconiQueue queue, string href, int ttl, int age, IReadOnlyList<MarconiMessage> messages)
    {
        _queue = queue;
        Href = href;
        Id = MarconiMessage.IdOf(href);
        Ttl = ttl;
        Age = age;
        Messages = messages;
    }

    /// <summary>The claim id.</summary>
    public string Id { get; }

    /// <summary>The claim's href, <c>/v1/queues/{name}/claims/{id}</c>.</summary>
    public string Href { get; }

    /// <summary>Seconds the claim lasts from its creation or last update, when it was read.</summary>
    public int Ttl { get; }

    /// <summary>Seconds since the claim was created or last updated, when it was read.</summary>
    public int Age { get; }

    /// <summary>The claimed messages, in FIFO order; each carries this claim's id.</summary>
    public IReadOnlyList<MarconiMessage> Messages { get; }

    /// <summary>Renews the claim: it lasts <paramref name="ttl"/> seconds from now.</summary>
    /// <param name="ttl">Seconds, 60 to 43200.</param>
    /// <param name="grace">Seconds claimed messages outlive the claim if they would expire before it, 0 to 43200.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="ClaimNotFoundException">The claim expired, was released or holds no message any more.</exception>
    /// <exception cref="MarconiValidationException">A value is out of range.</exception>
    public Task UpdateAsync(int ttl, int grace = 0, CancellationToken ct = default) => _queue.UpdateClaimAsync(Id, ttl, grace, ct);

    /// <summary>Releases the claim: its remaining messages are free at once. Nothing happens if it is already over.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>When done.</returns>
    public Task ReleaseAsync(CancellationToken ct = default) => _queue.ReleaseClaimAsync(Id, ct);

    /// <inheritdoc/>
    public override string ToString() => Href;
}
