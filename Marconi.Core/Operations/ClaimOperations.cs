using Marconi.Core.Storage;
using Marconi.Core.Validation;
using Microsoft.Extensions.Options;

namespace Marconi.Core.Operations;

/// <summary>A claim read or created at <paramref name="Now"/>.</summary>
public sealed record ClaimResult(QueueRef Queue, ClaimData Claim, DateTimeOffset Now);

/// <summary>Claim operations, shared by every API version and transport.</summary>
public sealed class ClaimOperations(IDataDriver driver, IOptions<LimitsOptions> limits, TimeProvider clock)
{
    private readonly LimitsOptions _limits = limits.Value;
    private readonly ClaimCreateValidator _createValidator = new(limits.Value);
    private readonly ClaimUpdateValidator _updateValidator = new(limits.Value);

    /// <summary>
    /// Claims up to <paramref name="limit"/> free messages (the default when null); null when
    /// nothing was claimed (missing queue or no free message), which is not an error.
    /// </summary>
    public async Task<ClaimResult?> CreateAsync(
        QueueRef queue, long ttl, long grace, long? limit, CancellationToken cancellationToken)
    {
        var limitValue = limit ?? _limits.DefaultMessagesPerClaim;
        _createValidator.Check(new ClaimRequest(ttl, grace, limitValue));

        var now = clock.GetUtcNow();
        var claim = await driver.Claims.CreateAsync(queue, (int)ttl, (int)grace, (int)limitValue, now, cancellationToken);
        return claim is null ? null : new ClaimResult(queue, claim, now);
    }

    /// <summary>Reads a live claim with its messages.</summary>
    public async Task<ClaimResult> GetAsync(QueueRef queue, string claimId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var claim = await driver.Claims.GetAsync(queue, claimId, now, cancellationToken)
            ?? throw Errors.NotFound("The claim does not exist or has expired.");
        return new ClaimResult(queue, claim, now);
    }

    /// <summary>Renews a live claim.</summary>
    public async Task UpdateAsync(QueueRef queue, string claimId, long ttl, long grace, CancellationToken cancellationToken)
    {
        _updateValidator.Check(new ClaimRequest(ttl, grace, 1));
        if (!await driver.Claims.UpdateAsync(queue, claimId, (int)ttl, (int)grace, clock.GetUtcNow(), cancellationToken))
        {
            throw Errors.NotFound("The claim does not exist or has expired.");
        }
    }

    /// <summary>Releases a claim; always succeeds for valid input.</summary>
    public Task DeleteAsync(QueueRef queue, string claimId, CancellationToken cancellationToken) =>
        driver.Claims.DeleteAsync(queue, claimId, cancellationToken);
}

/// <summary>Liveness of the node and its storage.</summary>
public sealed class HealthOperations(IDataDriver driver)
{
    /// <summary>Probes storage; raises 503 when it does not answer.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        bool alive;
        try
        {
            alive = await driver.IsAliveAsync(cancellationToken);
        }
        catch (MarconiException)
        {
            alive = false;
        }

        if (!alive)
        {
            throw Errors.StorageUnavailable("The storage liveness probe");
        }
    }
}
