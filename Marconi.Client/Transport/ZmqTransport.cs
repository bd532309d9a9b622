using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using NetMQ;
using NetMQ.Monitoring;
using NetMQ.Sockets;

namespace Marconi.Client.Transport;

/// <summary>
/// The ZeroMQ protocol (contract Part II) over one DEALER socket. The socket belongs to one
/// <see cref="NetMQPoller"/> thread: callers hand requests over through a <see cref="NetMQQueue{T}"/>
/// and await a completion keyed by the request's <c>X-Request-ID</c>, which every reply echoes.
/// Requests are only queued to a completed connection, so one that is still waiting when the
/// connection attempt fails, or when its attempt times out, certainly never reached the server.
/// </summary>
internal sealed class ZmqTransport : ITransport
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(5);
    private readonly ClientIdentity _identity;
    private readonly string _endpoint;
    private readonly DealerSocket _socket;
    private readonly NetMQMonitor _monitor;
    private readonly NetMQQueue<Pending> _outgoing = new();
    private readonly NetMQTimer _flushTimer = new(FlushInterval);
    private readonly NetMQPoller _poller;
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Queue<Pending> _backlog = new(); // poller thread only
    private long _nextRequestId;
    private int _disposed;

    public ZmqTransport(string endpoint, ClientIdentity identity, string? curveServerKey = null)
    {
        _identity = identity;
        _endpoint = endpoint;
        _socket = new DealerSocket();
        if (!string.IsNullOrEmpty(curveServerKey))
        {
            // An ephemeral client key pair: the server is authenticated by its key, the link is encrypted.
            _socket.Options.CurveServerKey = NetMQCertificate.FromPublicKey(curveServerKey).PublicKey;
            _socket.Options.CurveCertificate = new NetMQCertificate();
        }

        _socket.Options.Linger = TimeSpan.Zero;
        _socket.Options.DelayAttachOnConnect = true; // ZMQ_IMMEDIATE: never queue to a connection not made
        _socket.Options.ReconnectInterval = TimeSpan.FromMilliseconds(100);
        _socket.Options.ReconnectIntervalMax = TimeSpan.FromSeconds(1);
        _socket.ReceiveReady += (_, _) => ReceiveReplies();
        _outgoing.ReceiveReady += (_, _) => TakeOutgoing();
        _flushTimer.Enable = false;
        _flushTimer.Elapsed += (_, _) => Flush();

        _monitor = new NetMQMonitor(_socket, $"inproc://marconi-client-{Guid.NewGuid():N}",
            SocketEvents.Connected | SocketEvents.ConnectRetried | SocketEvents.Disconnected);
        _monitor.Connected += (_, _) => Flush();
        _monitor.ConnectRetried += (_, _) => FailBacklog();
        _monitor.Disconnected += (_, _) => FailInFlight();

        _poller = [_socket, _outgoing, _flushTimer];
        _monitor.AttachToPoller(_poller);
        _socket.Connect(endpoint);
        _poller.RunAsync("Marconi.Client ZeroMQ");
    }

    public async Task<ClientResponse> SendAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var id = Interlocked.Increment(ref _nextRequestId).ToString(CultureInfo.InvariantCulture);
        var pending = new Pending(Envelope(request, id), request);
        _pending[id] = pending;
        try
        {
            using (cancellationToken.Register(static state => ((Pending)state!).Cancel(), pending))
            {
                _outgoing.Enqueue(pending);
                return await pending.Completion.Task.ConfigureAwait(false);
            }
        }
        finally
        {
            // A claim given up after it was sent may still be made (a long poll above all, which the server holds
            // and ZeroMQ cannot call back): its late reply is kept for, so that the claim is released at once.
            if (!(pending.Abandoned && request.Action == "claim_create"))
            {
                _pending.TryRemove(id, out _);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        _poller.Stop();
        _monitor.DetachFromPoller();
        _poller.Dispose();
        _monitor.Dispose();
        _socket.Dispose();
        _outgoing.Dispose();
        foreach (var pending in _pending.Values)
        {
            pending.Fail(new TransportException("The client was disposed.", mayHaveReachedServer: pending.WasSent));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The request envelope: action, headers (with the correlation id) and the parameters as body.</summary>
    private byte[] Envelope(ClientRequest request, string requestId)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, JsonWriting.Options))
        {
            w.WriteStartObject();
            w.WriteString("action", request.Action);
            if (_identity.Api == MarconiApi.V2)
            {
                w.WriteString("api", "v2");
            }
            w.WriteStartObject("headers");
            w.WriteString("Client-ID", _identity.ClientId.ToString());
            if (_identity.ProjectId is { } project)
            {
                w.WriteString("X-Project-ID", project);
            }

            if (_identity.AuthToken is { } token)
            {
                w.WriteString("X-Auth-Token", token);
            }

            w.WriteString("X-Request-ID", requestId);
            w.WriteEndObject();
            w.WriteStartObject("body");
            var parameters = new Dictionary<string, object?>(request.Parameters, StringComparer.Ordinal);
            foreach (var (name, value) in LinkParameters(request.Link))
            {
                parameters[name] = value;
            }

            foreach (var (name, value) in parameters)
            {
                if (value is not null)
                {
                    w.WritePropertyName(name);
                    JsonWriting.WriteValue(w, value);
                }
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A next link's query parameters (<c>marker</c>, <c>limit</c>, …) as body members; the server parses their string values.</summary>
    private static IEnumerable<KeyValuePair<string, string>> LinkParameters(string? link)
    {
        var start = link?.IndexOf('?') ?? -1;
        if (start < 0)
        {
            yield break;
        }

        foreach (var pair in link![(start + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            yield return new(name, value);
        }
    }

    // Everything below runs on the poller thread.
    private void TakeOutgoing()
    {
        while (_outgoing.TryDequeue(out var pending, TimeSpan.Zero))
        {
            _backlog.Enqueue(pending);
        }

        Flush();
    }

    /// <summary>Sends what waits, in order, as long as a connection takes it.</summary>
    private void Flush()
    {
        while (_backlog.TryPeek(out var pending))
        {
            if (!pending.TryMarkSent())
            {
                _backlog.Dequeue(); // its attempt ended while it waited
                continue;
            }

            if (!_socket.TrySendFrame(TimeSpan.Zero, [], more: true))
            {
                if (!pending.TryMarkWaiting())
                {
                    _backlog.Dequeue();
                }

                break; // no connection yet: keep it, and look again shortly
            }

            _socket.SendFrame(pending.Payload);
            _backlog.Dequeue();
        }

        _flushTimer.Enable = _backlog.Count > 0;
    }

    /// <summary>A connection attempt failed (refused): what waits for one was never sent.</summary>
    private void FailBacklog()
    {
        while (_backlog.TryDequeue(out var pending))
        {
            pending.Fail(new TransportException($"Could not connect to {_endpoint} (connection refused).", mayHaveReachedServer: false));
        }

        _flushTimer.Enable = false;
    }

    /// <summary>A claim whose caller gave up before its reply came: released, so its messages are free again at once.</summary>
    private void ReleaseLateClaim(ClientRequest claim, string href)
    {
        var release = new ClientRequest("claim_delete", new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["queue_name"] = claim.Text("queue_name"),
            ["claim_id"] = href.Split('?')[0].Split('/')[^1],
        });
        _ = Task.Run(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await SendAsync(release, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is TransportException or OperationCanceledException or ObjectDisposedException)
            {
                // The claim then ends with its TTL, as it would have without this.
            }
        });
    }

    /// <summary>The connection dropped: requests sent on it will get no reply.</summary>
    private void FailInFlight()
    {
        foreach (var (id, pending) in _pending)
        {
            if (pending.Abandoned)
            {
                _pending.TryRemove(id, out _);
            }
            else if (pending.WasSent)
            {
                pending.Fail(new TransportException($"The connection to {_endpoint} was lost.", mayHaveReachedServer: true));
            }
        }
    }

    private void ReceiveReplies()
    {
        var message = new NetMQMessage();
        while (_socket.TryReceiveMultipartMessage(TimeSpan.Zero, ref message))
        {
            if (message.FrameCount == 0)
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(message.Last.ToByteArray());
                var root = document.RootElement;
                if (root.TryGetProperty("request", out var echoed) && echoed.ValueKind == JsonValueKind.Object
                    && echoed.TryGetProperty("headers", out var headers) && headers.ValueKind == JsonValueKind.Object
                    && headers.TryGetProperty("X-Request-ID", out var id) && id.ValueKind == JsonValueKind.String
                    && _pending.TryGetValue(id.GetString()!, out var pending))
                {
                    if (pending.Abandoned)
                    {
                        _pending.TryRemove(id.GetString()!, out _);
                        if (TryReadResponse(root, out var late) && late is { Status: 201, Location: { } href })
                        {
                            ReleaseLateClaim(pending.Request, href);
                        }
                    }
                    else if (TryReadResponse(root, out var response))
                    {
                        pending.Complete(response);
                    }
                    else
                    {
                        pending.Fail(new TransportException("The peer answered with something that is not a Marconi reply.", mayHaveReachedServer: true));
                    }
                }
            }
            catch (JsonException)
            {
                // not a reply of this protocol: nothing to correlate it with
            }
        }
    }

    /// <summary>Reads a reply envelope; false when it does not have the protocol's shape (this runs on the poller: it must not throw).</summary>
    private static bool TryReadResponse(JsonElement root, out ClientResponse response)
    {
        response = null!;
        if (!root.TryGetProperty("headers", out var headers) || headers.ValueKind != JsonValueKind.Object
            || !headers.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out var status))
        {
            return false;
        }

        var location = headers.TryGetProperty("location", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null;
        JsonElement? body = root.TryGetProperty("body", out var b) && b.ValueKind != JsonValueKind.Null ? b.Clone() : null;
        response = new ClientResponse(status, location, body);
        return true;
    }

    /// <summary>One request on its way: waiting (not sent), sent, or done.</summary>
    private sealed class Pending(byte[] payload, ClientRequest request)
    {
        private const int Waiting = 0, Sent = 1, Done = 2;
        private int _state;
        private volatile bool _abandoned;

        public byte[] Payload { get; } = payload;

        public ClientRequest Request { get; } = request;

        /// <summary>Cancelled after it was sent: a reply may still come, for nobody.</summary>
        public bool Abandoned => _abandoned;

        public TaskCompletionSource<ClientResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool WasSent => Volatile.Read(ref _state) == Sent;

        public bool TryMarkSent() => Interlocked.CompareExchange(ref _state, Sent, Waiting) == Waiting;

        public bool TryMarkWaiting() => Interlocked.CompareExchange(ref _state, Waiting, Sent) == Sent;

        public void Complete(ClientResponse response)
        {
            Interlocked.Exchange(ref _state, Done);
            Completion.TrySetResult(response);
        }

        public void Fail(Exception exception)
        {
            Interlocked.Exchange(ref _state, Done);
            Completion.TrySetException(exception);
        }

        /// <summary>The attempt is over: a request still waiting is dropped unsent; a sent one is abandoned.</summary>
        public void Cancel()
        {
            var previous = Interlocked.Exchange(ref _state, Done);
            if (previous == Waiting)
            {
                Completion.TrySetException(new TransportException("No connection was made before the attempt ended.", mayHaveReachedServer: false));
            }
            else if (previous == Sent)
            {
                _abandoned = true;
                Completion.TrySetCanceled();
            }
            else
            {
                Completion.TrySetCanceled();
            }
        }
    }
}
