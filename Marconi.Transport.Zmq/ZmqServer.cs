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
    private volatile bool _stopping;
    private Task? _stop;

    public ZmqServer(ZmqDispatcher dispatcher, IOptions<ZmqTransportOptions> options, ILogger<ZmqServer> logger)
    {
        _dispatcher = dispatcher;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The size beyond which ZeroMQ drops a frame unread: 16 times the request limit, at least 64 MiB.</summary>
    internal static long HardFrameLimit(int maxPayloadBytes) => Math.Max(16L * maxPayloadBytes, 64L << 20);

    /// <summary>The endpoint actually bound (a wildcard port resolved), once started.</summary>
    public string? BoundEndpoint { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var socket = new RouterSocket();
        // Frames over the request limit get a "Request too large" reply; only absurd ones (past
        // HardFrameLimit) are refused by ZeroMQ itself, which drops that peer, so memory stays bounded.
        socket.Options.MaxMsgSize = HardFrameLimit(_dispatcher.MaxPayloadBytes);
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
        Interlocked.Increment(ref _inFlight);
        _ = Task.Run(async () =>
        {
            try
            {
                var reply = await _dispatcher.HandleAsync(payload, CancellationToken.None);
                _replies!.Enqueue(new OutgoingReply(envelope, reply));
            }
            catch (Exception exception)
            {
                // The dispatcher answers every failure itself; this is a last resort, and still a reply.
                LogDispatchFailed(exception);
                _replies!.Enqueue(new OutgoingReply(envelope, Reply.Write(null, 500, null, Api.ApiErrors.Document(
                    Core.Errors.InternalErrorTitle, Api.ApiErrors.UnexpectedDescription))));
            }
            finally
            {
                if (Interlocked.Decrement(ref _inFlight) == 0 && _stopping)
                {
                    _drained.TrySetResult();
                }
            }
        });
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
        // A peer that went away is skipped by ROUTER; never block the poller on one client.
        if (!_socket!.TrySendMultipartMessage(TimeSpan.Zero, message))
        {
            LogReplyDropped();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "ZeroMQ reply could not be sent now (peer slow or gone); dropped")]
    private partial void LogReplyDropped();

    private sealed record OutgoingReply(NetMQFrame[] Envelope, byte[] Payload);
}
