using System.Diagnostics.Metrics;
using Marconi.Api;
using Marconi.Api.Access;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NetMQ;
using NetMQ.Sockets;

namespace Marconi.Transport.Zmq;

/// <summary>
/// The network layer of the ZeroMQ transport: a ROUTER socket owned by one poller thread. Requests
/// are handed to the dispatcher off that thread; replies come back through a queue the poller
/// drains, so only the poller thread ever touches the socket and a slow request never blocks the
/// others. Routing frames are returned unchanged, so REQ and DEALER peers both get their replies.
/// Memory is bounded per peer (frame size cap, receive high-water mark) and in total (requests and
/// payload bytes in flight; past either, a request is answered 503 at once). A reply that cannot be
/// sent (the peer does not read, or left) is counted and logged, never dropped silently.
/// </summary>
internal sealed partial class ZmqServer : IHostedService, IDisposable
{
    private readonly ZmqDispatcher _dispatcher;
    private readonly ZmqTransportOptions _options;
    private readonly ILogger<ZmqServer> _logger;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RouterSocket? _socket;
    private NetMQQueue<OutgoingReply>? _replies;
    private NetMQPoller? _poller;
    private readonly Lock _gate = new();
    private int _inFlight;
    private long _inFlightBytes;
    private long _repliesDropped;
    private volatile bool _stopping;
    private readonly Counter<long> _dropped;
    private readonly LogThrottle _dropLog;
    private Task? _stop;

    public const string RepliesDroppedCounterName = "marconi.zmq.replies_dropped";

    public ZmqServer(
        ZmqDispatcher dispatcher, IOptions<ZmqTransportOptions> options, IMeterFactory meters, TimeProvider clock, ILogger<ZmqServer> logger)
    {
        _dispatcher = dispatcher;
        _options = options.Value;
        _logger = logger;
        _dropped = meters.Create(AccessGate.MeterName).CreateCounter<long>(
            RepliesDroppedCounterName, description: "ZeroMQ replies not sent: the peer's send high-water mark was reached, or the peer had gone.");
        _dropLog = new LogThrottle(clock, TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// The size beyond which ZeroMQ refuses a frame unread and disconnects the peer: twice the request
    /// limit, so frames a little over the limit still get "Request too large" while a peer declaring a
    /// huge frame pins nothing.
    /// </summary>
    internal static long HardFrameLimit(int maxPayloadBytes) => 2L * maxPayloadBytes;

    /// <summary>Replies this server could not send, since it started.</summary>
    public long RepliesDropped => Interlocked.Read(ref _repliesDropped);

    /// <summary>The endpoint actually bound (a wildcard port resolved), once started.</summary>
    public string? BoundEndpoint { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var socket = new RouterSocket();
        // Frames over the request limit get a "Request too large" reply; larger ones (past
        // HardFrameLimit) are refused by ZeroMQ itself, which drops that peer, so memory stays bounded.
        socket.Options.MaxMsgSize = HardFrameLimit(_dispatcher.MaxPayloadBytes);
        socket.Options.ReceiveHighWatermark = _options.ReceiveHighWatermark;
        socket.Options.SendHighWatermark = _options.SendHighWatermark;
        // Without it ROUTER drops a reply it cannot queue without a trace; with it, the send fails and is counted.
        socket.Options.RouterMandatory = true;
        socket.Options.Linger = TimeSpan.FromSeconds(1);
        if (!string.IsNullOrEmpty(_options.CurveSecretKey))
        {
            var certificate = NetMQCertificate.CreateFromSecretKey(_options.CurveSecretKey);
            socket.Options.CurveServer = true;
            socket.Options.CurveCertificate = certificate;
            LogCurve(certificate.PublicKeyZ85);
        }

        try
        {
            socket.Bind(_options.Endpoint);
        }
        catch (Exception exception)
        {
            socket.Dispose();
            throw new InvalidOperationException(
                $"{ZmqTransportOptions.SectionName}:Endpoint '{_options.Endpoint}' could not be bound: {exception.Message}", exception);
        }

        BoundEndpoint = socket.Options.LastEndpoint;
        _socket = socket;
        _replies = new NetMQQueue<OutgoingReply>();
        _replies.ReceiveReady += (_, _) => SendReplies();
        socket.ReceiveReady += (_, _) => ReceiveRequests();
        _poller = new NetMQPoller { socket, _replies };
        _poller.RunAsync("marconi-zmq", isBackgroundThread: true);
        LogListening(BoundEndpoint);
        return Task.CompletedTask;
    }

    /// <summary>Stops reading requests, lets those in flight finish (bounded), sends their replies, closes.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _stop ??= StopCoreAsync(cancellationToken);
        }
    }

    /// <summary>Waits for a stop under way (or makes one) before releasing the socket, so the two never race.</summary>
    public void Dispose()
    {
        Task stop;
        lock (_gate)
        {
            stop = _stop ??= StopCoreAsync(CancellationToken.None);
        }

        try
        {
            stop.Wait(TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds + 5));
        }
        catch (AggregateException exception)
        {
            LogStopFailed(exception.InnerException ?? exception);
        }

        _poller?.Dispose();
        _replies?.Dispose();
        _socket?.Dispose();
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        if (_poller is null || _socket is null)
        {
            return;
        }

        _stopping = true;
        // On the poller's own thread, so no request is taken in after the in-flight count is read.
        await Task.Factory.StartNew(() => _poller.Remove(_socket), CancellationToken.None, TaskCreationOptions.None, _poller);
        if (Volatile.Read(ref _inFlight) == 0)
        {
            _drained.TrySetResult();
        }

        try
        {
            await _drained.Task.WaitAsync(TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds), cancellationToken);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            LogShutdownTimedOut(Volatile.Read(ref _inFlight));
        }

        // The poller is a task scheduler: this runs on its thread, after the replies already queued.
        await Task.Factory.StartNew(SendReplies, CancellationToken.None, TaskCreationOptions.None, _poller);
        _poller.Stop();
    }

    private void ReceiveRequests()
    {
        var message = new NetMQMessage();
        // Drain what is waiting, in bounded bites so replies keep flowing under a flood.
        for (var i = 0; i < 256 && _socket!.TryReceiveMultipartMessage(ref message); i++)
        {
            Dispatch(message);
            message = new NetMQMessage();
        }
    }

    /// <summary>
    /// Splits a request into its routing envelope (up to and including the first empty frame, or
    /// the identity frame alone) and one payload frame, then hands the payload to the dispatcher.
    /// </summary>
    private void Dispatch(NetMQMessage message)
    {
        var frames = message.ToList();
        var delimiter = frames.FindIndex(f => f.IsEmpty);
        var envelopeLength = delimiter >= 0 ? delimiter + 1 : 1;
        var envelope = frames.Take(envelopeLength).ToArray();
        if (frames.Count - envelopeLength != 1)
        {
            Send(new OutgoingReply(envelope, Reply.Write(null, 400, null, Api.ApiErrors.Document(
                EnvelopeErrors.InvalidRequestTitle, "A request is exactly one payload frame after the routing envelope."))));
            return;
        }

        var frame = frames[envelopeLength];
        var payload = new ReadOnlyMemory<byte>(frame.Buffer, 0, frame.MessageSize);
        // Only this thread adds to the counts, so the check and the addition cannot race each other.
        // One request is always admitted when nothing is in flight, whatever its size.
        var bytes = (long)frame.MessageSize;
        var inFlightBytes = Interlocked.Read(ref _inFlightBytes);
        if (Volatile.Read(ref _inFlight) >= _options.MaxInFlightRequests
            || (inFlightBytes > 0 && inFlightBytes + bytes > _options.MaxInFlightBytes))
        {
            var limit = Volatile.Read(ref _inFlight) >= _options.MaxInFlightRequests
                ? $"{_options.MaxInFlightRequests} requests already in flight"
                : $"{_options.MaxInFlightBytes} bytes of requests already in flight";
            Send(new OutgoingReply(envelope, _dispatcher.Refuse(payload, Core.Errors.Overloaded(limit))));
            return;
        }

        Interlocked.Increment(ref _inFlight);
        Interlocked.Add(ref _inFlightBytes, bytes);
        if (Volatile.Read(ref _inFlight) == 1)
        {
            // Nothing else in flight, so no parallelism is lost by starting here: a read completes on
            // this thread and is answered at once, without two hand-offs between threads (measured:
            // most of a lone client's latency was the kernel switching threads, not the work).
            var answer = AnswerAsync(payload);
            if (answer.IsCompletedSuccessfully)
            {
                Send(new OutgoingReply(envelope, answer.Result.Payload, answer.Result.Undeliverable));
                Answered(bytes);
            }
            else
            {
                _ = answer.ContinueWith(
                    done => QueueReply(envelope, done.Result, bytes),
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            return;
        }

        _ = Task.Run(async () => QueueReply(envelope, await AnswerAsync(payload), bytes));
    }

    /// <summary>The reply to one admitted request; never throws.</summary>
    private async Task<ZmqAnswer> AnswerAsync(ReadOnlyMemory<byte> payload)
    {
        try
        {
            return await _dispatcher.HandleAsync(payload, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The dispatcher answers every failure itself; this is a last resort, and still a reply.
            LogDispatchFailed(exception);
            return new ZmqAnswer(Reply.Write(null, 500, null, Api.ApiErrors.Document(Core.Errors.InternalErrorTitle, Api.ApiErrors.UnexpectedDescription)));
        }
    }

    /// <summary>Queues a reply made off the poller's thread, then gives back the request's share of the in-flight counts.</summary>
    private void QueueReply(NetMQFrame[] envelope, ZmqAnswer reply, long bytes)
    {
        _replies!.Enqueue(new OutgoingReply(envelope, reply.Payload, reply.Undeliverable));
        Answered(bytes);
    }

    /// <summary>Called after the reply is sent or queued, so a drained shutdown still sends it.</summary>
    private void Answered(long bytes)
    {
        Interlocked.Add(ref _inFlightBytes, -bytes);
        if (Interlocked.Decrement(ref _inFlight) == 0 && _stopping)
        {
            _drained.TrySetResult();
        }
    }

    private void SendReplies()
    {
        while (_replies!.TryDequeue(out var reply, TimeSpan.Zero))
        {
            Send(reply);
        }
    }

    private void Send(OutgoingReply reply)
    {
        var message = new NetMQMessage(reply.Envelope.Length + 1);
        foreach (var frame in reply.Envelope)
        {
            message.Append(frame);
        }

        message.Append(reply.Payload);
        // Never block the poller on one client: a reply that cannot be queued now is dropped, and said so.
        try
        {
            if (!_socket!.TrySendMultipartMessage(TimeSpan.Zero, message))
            {
                Dropped("send_hwm", "the peer's send high-water mark was reached (it is not reading its replies)");
            }
        }
        catch (HostUnreachableException)
        {
            Dropped("peer_gone", "the peer had gone");
            if (reply.Undeliverable is { } undo)
            {
                // Off the poller's thread: undoing goes to the store.
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await undo();
                    }
                    catch (Exception exception)
                    {
                        LogUndoFailed(exception);
                    }
                });
            }
        }
    }

    private void Dropped(string tag, string reason)
    {
        Interlocked.Increment(ref _repliesDropped);
        _dropped.Add(1, new KeyValuePair<string, object?>("reason", tag));
        if (_dropLog.Count(out var count))
        {
            LogRepliesDropped(count, reason, (int)_dropLog.Interval.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ZeroMQ transport listening on {Endpoint}")]
    private partial void LogListening(string? endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "ZeroMQ connections are encrypted (CurveZMQ); the server's public key is {PublicKey}")]
    private partial void LogCurve(string publicKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ZeroMQ shutdown went on with {InFlight} requests still in flight")]
    private partial void LogShutdownTimedOut(int inFlight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ZeroMQ transport did not stop cleanly")]
    private partial void LogStopFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "ZeroMQ request failed without a reply")]
    private partial void LogDispatchFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "ZeroMQ: {Count} replies dropped since the last report (at most one every {Interval} s); latest: {Reason}")]
    private partial void LogRepliesDropped(long count, string reason, int interval);

    private sealed record OutgoingReply(NetMQFrame[] Envelope, byte[] Payload, Func<Task>? Undeliverable = null);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ZeroMQ: could not undo a request whose reply found its peer gone (a claim stays until it expires)")]
    private partial void LogUndoFailed(Exception exception);
}
