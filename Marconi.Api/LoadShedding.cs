using System.Diagnostics.Metrics;
using Marconi.Api.Access;
using Microsoft.Extensions.Logging;

namespace Marconi.Api;

/// <summary>
/// Counts events that can come by the thousand per second (requests shed, replies dropped) and says
/// when one may be logged: at most once per <see cref="Interval"/>, with how many happened since the
/// last time, so an overload is visible in the log without the log becoming the overload.
/// </summary>
public sealed class LogThrottle(TimeProvider clock, TimeSpan interval)
{
    private long _pending;
    private long _nextAllowed;

    public TimeSpan Interval { get; } = interval;

    /// <summary>Counts one event; true with the events since the last log when one may be logged now.</summary>
    public bool Count(out long count)
    {
        Interlocked.Increment(ref _pending);
        var now = clock.GetTimestamp();
        var next = Interlocked.Read(ref _nextAllowed);
        if (now < next || Interlocked.CompareExchange(ref _nextAllowed, now + (long)(Interval.TotalSeconds * clock.TimestampFrequency), next) != next)
        {
            count = 0;
            return false;
        }

        count = Interlocked.Exchange(ref _pending, 0);
        return true;
    }
}

/// <summary>
/// The one record of requests refused because the server is at a limit (503 with Retry-After):
/// the counter <c>marconi.requests.shed</c> on meter <c>Marconi</c>, tagged with the transport and
/// the limit, and a Warning at most every 10 s.
/// </summary>
public sealed partial class LoadShedding
{
    public const string ShedCounterName = "marconi.requests.shed";

    private readonly Counter<long> _shed;
    private readonly LogThrottle _throttle;
    private readonly ILogger<LoadShedding> _logger;

    public LoadShedding(IMeterFactory meters, TimeProvider clock, ILogger<LoadShedding> logger)
    {
        _shed = meters.Create(AccessGate.MeterName).CreateCounter<long>(
            ShedCounterName, description: "Requests refused unstarted with 503 because the server was at a limit (pending writes, bytes or requests in flight).");
        _throttle = new LogThrottle(clock, TimeSpan.FromSeconds(10));
        _logger = logger;
    }

    /// <summary>Records one refused request.</summary>
    /// <param name="transport">"http" or "zmq".</param>
    /// <param name="description">The refusal's description, which names the limit.</param>
    public void Record(string transport, string description)
    {
        _shed.Add(1, new KeyValuePair<string, object?>("transport", transport));
        if (_throttle.Count(out var count))
        {
            LogShed(count, transport, description, (int)_throttle.Interval.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Overloaded: {Count} requests refused with 503 since the last report (at most one every {Interval} s); latest over {Transport}: {Description}")]
    private partial void LogShed(long count, string transport, string description, int interval);
}
