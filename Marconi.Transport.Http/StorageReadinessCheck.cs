using Marconi.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Marconi.Transport.Http;

/// <summary>
/// Ready means the store takes writes now (room on the disk, the last commit went through or a
/// write probe does), so a load balancer stops sending posts to a host whose disk is full.
/// </summary>
internal sealed class StorageReadinessCheck(IDataDriver driver) : IHealthCheck
{
    public const string Tag = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await driver.IsAliveAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The store cannot take writes.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The store does not answer.", exception);
        }
    }
}
