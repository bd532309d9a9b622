using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Marconi.Api;

/// <summary>Section <c>Marconi:Quotas</c>: an optional request rate per project, off by default.</summary>
public sealed class QuotaOptions
{
    public const string SectionName = "Marconi:Quotas";

    public bool Enabled { get; set; }

    /// <summary>Requests per second a project may make, sustained.</summary>
    public int RequestsPerSecond { get; set; } = 100;

    /// <summary>Requests a project may make at once after being idle.</summary>
    public int Burst { get; set; } = 200;
}

/// <summary>
/// One token bucket per project (the platform's <see cref="PartitionedRateLimiter"/>), shared by
/// HTTP and ZeroMQ so a project's rate is the same whichever transport it uses.
/// </summary>
public sealed class ProjectQuotas : IDisposable
{
    public ProjectQuotas(IOptions<QuotaOptions> options)
    {
        var quota = options.Value;
        Limiter = quota.Enabled
            ? PartitionedRateLimiter.Create<string, string>(project => RateLimitPartition.GetTokenBucketLimiter(project, _ =>
                new TokenBucketRateLimiterOptions
                {
                    TokenLimit = quota.Burst,
                    TokensPerPeriod = quota.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }))
            : null;
    }

    /// <summary>The limiter by project id; null when quotas are off.</summary>
    public PartitionedRateLimiter<string>? Limiter { get; }

    /// <summary>Takes one request from the project's budget; false, with when to retry, when it is spent.</summary>
    public bool TryAcquire(string project, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (Limiter is null)
        {
            return true;
        }

        using var lease = Limiter.AttemptAcquire(project);
        if (lease.IsAcquired)
        {
            return true;
        }

        retryAfter = RetryAfter(lease);
        return false;
    }

    /// <summary>Whole seconds to wait, at least one.</summary>
    public static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero
            ? TimeSpan.FromSeconds(Math.Ceiling(after.TotalSeconds))
            : TimeSpan.FromSeconds(1);

    public static Core.MarconiException Exceeded(TimeSpan retryAfter) =>
        Core.Errors.TooManyRequests($"The project's request quota is spent; retry in {retryAfter.TotalSeconds:0} s.");

    public void Dispose() => Limiter?.Dispose();
}
