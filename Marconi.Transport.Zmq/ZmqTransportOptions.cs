namespace Marconi.Transport.Zmq;

/// <summary>Section <c>Marconi:Transports:Zmq</c>.</summary>
public sealed class ZmqTransportOptions
{
    public const string SectionName = "Marconi:Transports:Zmq";

    public bool Enabled { get; set; }

    /// <summary>Where the ROUTER socket binds; <c>tcp://127.0.0.1:*</c> picks a free port.</summary>
    public string Endpoint { get; set; } = "tcp://127.0.0.1:9999";

    /// <summary>
    /// Largest request payload parsed, in bytes; larger ones get 400 "Request too large". Zero means
    /// the contract's default: <c>Marconi:Limits:MaxMessagesPostSize</c> plus 64 KiB for the envelope.
    /// </summary>
    public int MaxFrameBytes { get; set; }

    /// <summary>
    /// The server's CurveZMQ secret key (Z85, 40 characters). When set, every connection is encrypted
    /// (CurveZMQ) and clients must know the server's public key, which the server logs at start.
    /// </summary>
    public string? CurveSecretKey { get; set; }

    /// <summary>
    /// Messages ZeroMQ queues per peer before it stops reading that peer's connection (ZMQ_RCVHWM).
    /// With frames capped at twice <see cref="MaxFrameBytes"/>, a peer pins at most this many such frames.
    /// </summary>
    public int ReceiveHighWatermark { get; set; } = 100;

    /// <summary>
    /// Replies queued per peer that is not reading them (ZMQ_SNDHWM); past it a reply is dropped,
    /// counted (<c>marconi.zmq.replies_dropped</c>) and logged.
    /// </summary>
    public int SendHighWatermark { get; set; } = 1000;

    /// <summary>Requests being handled at once over all peers; past it a request is answered 503 at once.</summary>
    public int MaxInFlightRequests { get; set; } = 1024;

    /// <summary>Bytes of request payloads being handled at once over all peers (64 MiB); past it, 503.</summary>
    public long MaxInFlightBytes { get; set; } = 64L << 20;

    /// <summary>How long shutdown waits for requests in flight before closing the socket.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 10;

    internal const int EnvelopeAllowance = 64 * 1024;
}
