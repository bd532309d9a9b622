using Microsoft.Extensions.Options;

namespace Marconi.Transport.Http;

/// <summary>
/// The bytes of request bodies being read or held, over all connections together. A body that
/// would take the total past <see cref="HttpTransportOptions.MaxRequestBodyBytesInFlight"/> is
/// refused (503, Retry-After) instead of read, so thousands of connections posting large bodies
/// cannot pin unbounded memory. Bytes are held until the response is complete.
/// </summary>
internal sealed class RequestBodyBudget(IOptions<HttpTransportOptions> options)
{
    private long _inFlight;

    public long Limit { get; } = options.Value.MaxRequestBodyBytesInFlight;

    /// <summary>Bytes currently held by requests.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Takes <paramref name="bytes"/> from the budget, or nothing and false when they do not fit.</summary>
    public bool TryTake(long bytes)
    {
        while (true)
        {
            var current = Interlocked.Read(ref _inFlight);
            if (current + bytes > Limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _inFlight, current + bytes, current) == current)
            {
                return true;
            }
        }
    }

    public void Return(long bytes) => Interlocked.Add(ref _inFlight, -bytes);

    /// <summary>What one request holds; returned when the request's response is done.</summary>
    public sealed class Lease(RequestBodyBudget budget) : IDisposable
    {
        private long _held;

        public bool TryGrow(long bytes)
        {
            if (!budget.TryTake(bytes))
            {
                return false;
            }

            _held += bytes;
            return true;
        }

        public void Dispose()
        {
            budget.Return(_held);
            _held = 0;
        }
    }
}
