namespace Marconi.Transport.Sqs;

/// <summary>Section <c>Marconi:Transports:Sqs</c>: the SQS-compatible endpoint, on a port of its own.</summary>
public sealed class SqsTransportOptions
{
    public const string SectionName = "Marconi:Transports:Sqs";

    /// <summary>Off by default: the endpoint is a second front door, opened on purpose.</summary>
    public bool Enabled { get; set; }

    /// <summary>Where it listens; queue URLs are this host and port, then <c>/{project}/{queue}</c>.</summary>
    public string Url { get; set; } = "http://127.0.0.1:9324";

    /// <summary>The region named in queue ARNs (signatures are checked in whatever region the client signs for).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Largest request body read, in bytes (a batch of ten 256 KiB messages, form-encoded, fits).</summary>
    public int MaxRequestBytes { get; set; } = 4 << 20;

    /// <summary>
    /// Bytes of request bodies held at once over all connections; a request that would go past it is
    /// refused (503 ServiceUnavailable) rather than read, so memory stays bounded whatever clients send.
    /// </summary>
    public long MaxRequestBytesInFlight { get; set; } = 64L << 20;

    /// <summary>Connections held open at once (each costs memory whatever it sends); 0: no limit.</summary>
    public long MaxConnections { get; set; } = 1024;

    /// <summary>How far a request's signing time may be from the server's clock, in seconds (AWS allows 15 minutes).</summary>
    public int MaxClockSkewSeconds { get; set; } = 900;
}
