using Marconi.Core.Storage;
using Marconi.Core.Validation;
using Microsoft.Extensions.Options;

namespace Marconi.Core.Operations;

/// <summary>A claim read or created at <paramref name="Now"/>.</summary>
public sealed record ClaimResult(QueueRef Queue, ClaimData Claim, DateTimeOffset Now)
{
    public string Href => $"{Queue.Href}/claims/{Claim.Id}";
}

/// <summary>Claim operations of the v1 API, shared by every transport.</summary>
public sealed class ClaimOperations(IDataDriver driver, IOptions<LimitsOptions> limits, TimeProvider clock)
{
    private readonly LimitsOptions _limits = limits.Value;
    private readonly ClaimCreateValidator _createValidator = new(limits.Value);
    private readonly ClaimUpdateValidator _updateValidator = new(limits.Value);

    /// <summary>
    /// Claims up to <paramref name="limit"/> free messages (contract 3.16); null when nothing
    /// was claimed (missing queue or no free message), which is not an error in v1.
    /// </summary>
    public async Task<ClaimResult?> CreateAsync(
        RequestContext context, string? name, string? limit, IRequestBody body, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        var limitValue = QueryParameters.Integer("limit", limit) ?? _limits.DefaultMessagesPerClaim;
        var (ttl, grace) = await ReadClaimDocumentAsync(body, graceRequired: true, cancellationToken);
        _createValidator.Check(new ClaimRequest(ttl, grace, limitValue));

        var now = clock.GetUtcNow();
        var claim = await driver.Claims.CreateAsync(queue, (int)ttl, (int)grace, (int)limitValue, now, cancellationToken);
        return claim is null ? null : new ClaimResult(queue, claim, now);
    }

    /// <summary>Reads a live claim with its messages (contract 3.17).</summary>
    public async Task<ClaimResult> GetAsync(
        RequestContext context, string? name, string claimId, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        var now = clock.GetUtcNow();
        var claim = await driver.Claims.GetAsync(queue, claimId, now, cancellationToken)
            ?? throw Errors.NotFound("The claim does not exist or has expired.");
        return new ClaimResult(queue, claim, now);
    }

    /// <summary>Renews a live claim (contract 3.18).</summary>
    public async Task UpdateAsync(
        RequestContext context, string? name, string claimId, IRequestBody body, CancellationToken cancellationToken)
    {
        var queue = QueueNames.Validate(context, name);
        var (ttl, grace) = await ReadClaimDocumentAsync(body, graceRequired: false, cancellationToken);
        _updateValidator.Check(new ClaimRequest(ttl, grace, 1));
        if (!await driver.Claims.UpdateAsync(queue, claimId, (int)ttl, (int)grace, clock.GetUtcNow(), cancellationToken))
        {
            throw Errors.NotFound("The claim does not exist or has expired.");
        }
    }

    /// <summary>Releases a claim (contract 3.19); always succeeds for valid input.</summary>
    public Task DeleteAsync(RequestContext context, string? name, string claimId, CancellationToken cancellationToken) =>
        driver.Claims.DeleteAsync(QueueNames.Validate(context, name), claimId, cancellationToken);

    private async Task<(long Ttl, long Grace)> ReadClaimDocumentAsync(
        IRequestBody body, bool graceRequired, CancellationToken cancellationToken)
    {
        // The contract sets no size for a claim document (other members are ignored); the message
        // post limit bounds what is read, so a huge body is still refused before it is read whole.
        using var document = await JsonBody.ReadAsync(
            body, _limits.MaxMessagesPostSize,
            $"A claim document may not exceed {_limits.MaxMessagesPostSize} bytes.", cancellationToken);
        var root = JsonBody.RequireObject(document);
        var ttl = JsonBody.Integer(root, "ttl", required: true)!.Value;
        var grace = JsonBody.Integer(root, "grace", required: graceRequired) ?? 0;
        return (ttl, grace);
    }
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
