using System.Diagnostics.Metrics;

namespace Marconi.Core;

/// <summary>
/// The instruments of the <c>Marconi</c> meter that the domain, the transports and storage record
/// into. Recording costs a check of a flag while nothing listens (metrics off); with the exporter on,
/// a counter Add with a few tags. Tag values are bounded: transports, versions, the catalogue's
/// operation names and status codes, never paths or queue names.
/// </summary>
public sealed class MarconiMetrics
{
    public const string MeterName = "Marconi";

    /// <summary>Tag value of a request no catalogue operation was found for (unrouted, malformed envelope).</summary>
    public const string UnknownOperation = "unknown";

    /// <summary>Upper bounds, in seconds, of request and commit latency buckets: 100 µs to 10 s.</summary>
    private static readonly double[] LatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Upper bounds of writes per commit; the writer takes at most a few hundred at once.</summary>
    private static readonly long[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

    /// <summary>Status codes as tag values, made once: an int tag would be boxed on every request.</summary>
    private static readonly string[] StatusTexts = Enumerable.Range(0, 600).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<long> _batchSize;
    private readonly Histogram<double> _commitDuration;
    private readonly Counter<long> _posted;
    private readonly Counter<long> _claimed;
    private readonly Counter<long> _deleted;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _claimsCreated;
    private readonly Counter<long> _claimsExpired;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _deliveryFailures;

    public MarconiMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("marconi.requests", "{request}",
            "API requests answered, by transport, API version, catalogue operation and status.");
        _requestDuration = meter.CreateHistogram("marconi.request.duration", "s",
            "Time from a request's arrival to its answer, by transport, API version, catalogue operation and status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _batchSize = meter.CreateHistogram("marconi.writer.batch_size", "{write}",
            "Writes committed together by one transaction of the store's single writer (group commit).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = BatchBuckets });
        _commitDuration = meter.CreateHistogram("marconi.writer.commit.duration", "s",
            "Time a transaction's commit took (with Synchronous=Full, the fsync).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _posted = meter.CreateCounter<long>("marconi.messages.posted", "{message}", "Messages stored by posts.");
        _claimed = meter.CreateCounter<long>("marconi.messages.claimed", "{message}", "Messages taken by new claims.");
        _deleted = meter.CreateCounter<long>("marconi.messages.deleted", "{message}",
            "Messages deleted by their id, by a bulk delete (the ids named) or by a pop.");
        _expired = meter.CreateCounter<long>("marconi.messages.expired", "{message}",
            "Expired messages removed by the collector.");
        _claimsCreated = meter.CreateCounter<long>("marconi.claims.created", "{claim}", "Claims that took at least one message.");
        _claimsExpired = meter.CreateCounter<long>("marconi.claims.expired", "{claim}", "Expired claims removed by the collector.");
        _deliveries = meter.CreateCounter<long>("marconi.subscription.deliveries", "{notification}",
            "Notifications a subscriber accepted (answered below 500).");
        _deliveryFailures = meter.CreateCounter<long>("marconi.subscription.delivery_failures", "{notification}",
            "Notifications given up on after the retry policy's last attempt.");
    }

    /// <summary>One answered API request.</summary>
    /// <param name="transport">"http" or "zmq".</param>
    /// <param name="version">The catalogue's version (<c>v1</c>, <c>v1.1</c>, <c>v2</c>), or "none".</param>
    /// <param name="operation">The catalogue's operation name, or <see cref="UnknownOperation"/>.</param>
    public void Request(string transport, string version, string operation, int status, TimeSpan elapsed)
    {
        if (!_requests.Enabled && !_requestDuration.Enabled)
        {
            return;
        }

        var tags = new System.Diagnostics.TagList
        {
            { "transport", transport },
            { "api_version", version },
            { "operation", operation },
            { "status", (uint)status < (uint)StatusTexts.Length ? StatusTexts[status] : "other" },
        };
        _requests.Add(1, tags);
        _requestDuration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>One committed transaction of the writer.</summary>
    public void Commit(int writes, TimeSpan elapsed)
    {
        _batchSize.Record(writes);
        _commitDuration.Record(elapsed.TotalSeconds);
    }

    public void MessagesPosted(int count) => _posted.Add(count);

    public void MessagesClaimed(int count)
    {
        _claimsCreated.Add(1);
        _claimed.Add(count);
    }

    public void MessagesDeleted(int count) => _deleted.Add(count);

    public void Collected(long messages, long claims)
    {
        _expired.Add(messages);
        _claimsExpired.Add(claims);
    }

    public void Delivered() => _deliveries.Add(1);

    public void DeliveryFailed() => _deliveryFailures.Add(1);
}
