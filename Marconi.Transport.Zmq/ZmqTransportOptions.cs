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

    /// <summary>How long shutdown waits for requests in flight before closing the socket.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 10;

    internal const int EnvelopeAllowance = 64 * 1024;
}
