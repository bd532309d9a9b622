using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Marconi.Transport.Http;

/// <summary>
/// The bytes of request bodies being read or held, over all connections together, counted by the
/// platform's concurrency limiter with one permit per byte. A body that would take the total past
/// <see cref="HttpTransportOptions.MaxRequestBodyBytesInFlight"/> is refused (503, Retry-After)
/// instead of read, so thousands of connections posting large bodies cannot pin unbounded memory.
/// Bytes are held until the response is complete.
/// </summary>
internal sealed class RequestBodyBudget : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;

    public RequestBodyBudget(IOptions<HttpTransportOptions> options)
    {
        Limit = options.Value.MaxRequestBodyBytesInFlight;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = (int)Limit, QueueLimit = 0 });
    }

    public long Limit { get; }

    /// <summary>Bytes currently held by requests.</summary>
    public long InFlight => Limit - (_limiter.GetStatistics()?.CurrentAvailablePermits ?? Limit);

    public void Dispose() => _limiter.Dispose();

    /// <summary>What one request holds; returned when the request's response is done.</summary>
    public sealed class Lease(RequestBodyBudget budget) : IDisposable
    {
        private readonly List<RateLimitLease> _held = [];

        /// <summary>Takes <paramref name="bytes"/> more from the budget, or nothing and false when they do not fit.</summary>
        public bool TryGrow(long bytes)
        {
            if (bytes > budget.Limit)
            {
                return false;
            }

            var lease = budget._limiter.AttemptAcquire((int)bytes);
            if (!lease.IsAcquired)
            {
                lease.Dispose();
                return false;
            }

            _held.Add(lease);
            return true;
        }

        public void Dispose()
        {
            foreach (var lease in _held)
            {
                lease.Dispose();
            }

            _held.Clear();
        }
    }
}
