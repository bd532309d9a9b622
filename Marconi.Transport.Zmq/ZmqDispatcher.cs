using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Marconi.Api;
using Marconi.Api.Access;
using Marconi.Api.V1;
using Marconi.Api.V1_1;
using Marconi.Api.V2;
using Marconi.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Transport.Zmq;

/// <summary>
/// The protocol layer of the ZeroMQ transport (contract Part II): one payload in, one reply out.
/// It knows no sockets and decides no outcome: the envelope names an action of the v1 catalogue,
/// the same one HTTP routes to, and the reply carries what the catalogue answered.
/// </summary>
internal sealed partial class ZmqDispatcher
{
    private readonly Dictionary<string, ApiCatalogue> _catalogues = new(StringComparer.Ordinal);
    private readonly ProjectQuotas _quotas;
    private readonly AccessGate _gate;
    private readonly LoadShedding _shedding;
    private readonly MarconiMetrics _metrics;
    private readonly ILogger<ZmqDispatcher> _logger;
    private readonly LogLevel _requestLevel;

    public ZmqDispatcher(
        V1Catalogue v1, V1_1Catalogue v1_1, V2Catalogue v2, IOptions<ApiOptions> api, ProjectQuotas quotas, AccessGate gate,
        LoadShedding shedding, IOptions<ZmqTransportOptions> options, IOptions<LimitsOptions> limits, IOptions<RequestLogOptions> requestLog,
        MarconiMetrics metrics, ILogger<ZmqDispatcher> logger)
    {
        _requestLevel = requestLog.Value.Level;
        _metrics = metrics;
        _quotas = quotas;
        _gate = gate;
        _shedding = shedding;
        // The envelope's "api" picks the catalogue; a version the server does not serve is not there.
        foreach (var (id, catalogue) in new (string, ApiCatalogue)[] { ("1", v1), ("1.1", v1_1), ("2", v2) })
        {
            if (api.Value.Serves(id))
            {
                _catalogues[catalogue.Version] = catalogue;
            }
        }

        _logger = logger;
        MaxPayloadBytes = options.Value.MaxFrameBytes > 0
            ? options.Value.MaxFrameBytes
            : limits.Value.MaxMessagesPostSize + ZmqTransportOptions.EnvelopeAllowance;
    }

    /// <summary>
    /// What a request is counted under until the catalogue knows its version and action: a client
    /// cannot invent metric labels.
    /// </summary>
    private static readonly (string Version, string Operation) Unrouted = ("none", MarconiMetrics.UnknownOperation);

    /// <summary>Largest payload that is parsed; larger ones are answered without parsing.</summary>
    public int MaxPayloadBytes { get; }

    /// <summary>Handles one request payload and returns the reply payload. Never throws for client input.</summary>
    public async Task<ZmqAnswer> HandleAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        if (payload.Length > MaxPayloadBytes)
        {
            return Answer(start, null, null, Unrouted, ApiErrors.Outcome(EnvelopeErrors.TooLarge(MaxPayloadBytes)));
        }

        Envelope request;
        try
        {
            request = Envelope.Parse(payload);
        }
        catch (EnvelopeException exception)
        {
            using (exception.Request?.Document)
            {
                return Answer(start, exception.Request, null, Unrouted, ApiErrors.Outcome(exception.Error));
            }
        }

        using (request.Document)
        {
            string? project = null;
            var counted = Unrouted;
            try
            {
                if (!_catalogues.TryGetValue(request.Api, out var catalogue))
                {
                    throw EnvelopeErrors.InvalidRequest($"API {request.Api} is not served here.");
                }

                counted = (catalogue.Version, MarconiMetrics.UnknownOperation);
                if (request.Action is not { } name || !catalogue.TryGetAction(name, out var action))
                {
                    throw EnvelopeErrors.InvalidAction(request.Action);
                }

                counted = (catalogue.Version, name);

                // The same credentials as HTTP, in the envelope's headers; no pre-signed URLs (they sign HTTP paths).
                var credentials = new Credentials(
                    Credentials.TokenOf(request.Header("X-Auth-Token"), request.Header("Authorization")), Grant: false);
                project = await _gate.AdmitAsync(name, request.Header("X-Project-ID"), credentials, "zmq", null, cancellationToken);

                // The same per-project budget as HTTP; the envelope carries HTTP's 429.
                if (!_quotas.TryAcquire(project ?? "", out var retryAfter))
                {
                    throw ProjectQuotas.Exceeded(retryAfter);
                }

                var caller = catalogue.Caller(name, project, request.Header("Client-ID"));
                var outcome = await action(new ZmqApiRequest(caller, request.Body), cancellationToken);
                return Answer(start, request, project, counted, outcome);
            }
            catch (MarconiException exception)
            {
                if (exception.Kind == MarconiErrorKind.ServiceUnavailable)
                {
                    LogStorageFailure(exception, request.Action);
                }
                else if (exception.Kind == MarconiErrorKind.Overloaded)
                {
                    _shedding.Record("zmq", exception.Description);
                }

                return Answer(start, request, project, counted, ApiErrors.Outcome(exception));
            }
            catch (Exception exception)
            {
                LogUnexpected(exception, request.Action);
                return Answer(start, request, project, counted, ApiErrors.Unexpected());
            }
        }
    }

    /// <summary>
    /// The reply to a request refused unstarted because the transport is at a limit: 503, with the
    /// request echoed when it can be read, so a DEALER client can still match it by X-Request-ID.
    /// </summary>
    public byte[] Refuse(ReadOnlyMemory<byte> payload, MarconiException error)
    {
        _shedding.Record("zmq", error.Description);
        _metrics.Request("zmq", Unrouted.Version, Unrouted.Operation, ApiErrors.Outcome(error).Status, TimeSpan.Zero);
        if (payload.Length > MaxPayloadBytes)
        {
            return Error(null, error);
        }

        try
        {
            var request = Envelope.Parse(payload);
            using (request.Document)
            {
                return Error(request, error);
            }
        }
        catch (EnvelopeException exception)
        {
            using (exception.Request?.Document)
            {
                return Error(exception.Request, error);
            }
        }
    }

    private static byte[] Error(Envelope? request, MarconiException error)
    {
        var outcome = ApiErrors.Outcome(error);
        return Reply.Write(request, outcome.Status, null, outcome.Body);
    }

    /// <summary>The reply carrying an outcome, an error's or an action's, with what undoes the action if it cannot be delivered.</summary>
    private ZmqAnswer Answer(long start, Envelope? request, string? project, (string Version, string Operation) counted, ApiOutcome outcome) =>
        new(Answer(start, request, project, counted, outcome.Status, Reply.Write(request, outcome.Status, outcome.Location, outcome.Body)),
            outcome.Undeliverable);

    /// <summary>
    /// Logs the request's one line (the HTTP line's properties, where they apply) and returns its reply.
    /// The level is checked first, so a request whose line is not written builds nothing for it. The
    /// project is the one admitted, else the one asked for; no credential is ever part of it.
    /// </summary>
    private byte[] Answer(long start, Envelope? request, string? project, (string Version, string Operation) counted, int status, byte[] reply)
    {
        var elapsed = Stopwatch.GetElapsedTime(start);
        _metrics.Request("zmq", counted.Version, counted.Operation, status, elapsed);

        var level = status >= 500 ? LogLevel.Warning : _requestLevel;
        if (_logger.IsEnabled(level))
        {
            // A request refused while parsing may have no body object.
            var queue = request is { Body.ValueKind: JsonValueKind.Object } && JsonBody.TryGetMember(request.Body, "queue_name", out var value)
                && value.ValueKind == JsonValueKind.String && JsonText.TryGetString(value, out var name) ? name : null;
            LogRequest(level, "zmq", request?.Api, request?.Action, queue, status,
                elapsed.TotalMilliseconds, project ?? request?.Header("X-Project-ID") ?? RequestLogOptions.DefaultProject);
        }

        return reply;
    }

    [LoggerMessage(EventId = 3,
        Message = "ZeroMQ {Operation} responded {StatusCode} in {Elapsed:0.00} ms (version {Version}, queue {Queue}, project {Project}, transport {Transport})")]
    private partial void LogRequest(
        LogLevel level, string transport, string? version, string? operation, string? queue, int statusCode, double elapsed, string project);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage failure on ZeroMQ action {Action}")]
    private partial void LogStorageFailure(Exception exception, string? action);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on ZeroMQ action {Action}")]
    private partial void LogUnexpected(Exception exception, string? action);
}

/// <summary>
/// The body members of a request as action parameters (contract 10, 11): presence and JSON type
/// are checked here; values are then parsed and validated by the catalogue exactly as over HTTP.
/// </summary>
internal sealed class ZmqApiRequest(RequestContext caller, JsonElement body) : ApiRequest(caller)
{
    public override string Name(string name) =>
        Find(name) is { } value ? String(name, value, "a string") : throw Errors.MissingParameter(name);

    /// <summary>An optional scalar as the text HTTP would carry; null or absent is absent.</summary>
    public override string? Text(string name, ParameterType type) => type switch
    {
        ParameterType.Integer => OptionalInteger(name),
        ParameterType.Boolean => OptionalBoolean(name),
        _ => OptionalString(name),
    };

    /// <summary>A required array of strings.</summary>
    public override IReadOnlyList<string> List(string name) => RequiredStringArray(name);

    /// <summary>Scalar members of the body not named in <paramref name="known"/>, as the text HTTP would carry.</summary>
    public override IReadOnlyList<KeyValuePair<string, string>> Others(IReadOnlySet<string> known)
    {
        var others = new List<KeyValuePair<string, string>>();
        foreach (var member in body.EnumerateObject())
        {
            // Envelope.Parse refused parameter names without a string value.
            var name = member.Name;
            if (known.Contains(name) || name == "queue_name")
            {
                continue;
            }

            string? text = member.Value.ValueKind switch
            {
                JsonValueKind.String => String(name, member.Value, "a string"),
                JsonValueKind.Number => member.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            };
            if (!string.IsNullOrEmpty(text))
            {
                others.RemoveAll(o => o.Key == name);
                others.Add(new(name, text));
            }
        }

        return others;
    }

    public override IRequestBody Document(DocumentSource source)
    {
        if (source.Optional && (source.Member is { } one ? Find(one) is null : source.Members.All(m => Find(m) is null)))
        {
            return new MemoryRequestBody(null);
        }

        return source.Member is { } member
            ? new MemoryRequestBody(JsonValues.Compact(RequiredValue(member)))
            : ObjectOf(source.Members);
    }

    private string? OptionalString(string name) => Find(name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } value => String(name, value, "a string"),
        _ => throw WrongType(name, "a string"),
    };

    /// <summary>An optional integer, as a JSON integer or as text (parsed by the HTTP rules).</summary>
    private string? OptionalInteger(string name) => Find(name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } value => String(name, value, "an integer"),
        { ValueKind: JsonValueKind.Number } value when JsonBody.IsIntegerLiteral(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value)) =>
            value.GetRawText(),
        _ => throw WrongType(name, "an integer"),
    };

    /// <summary>An optional boolean, as a JSON boolean or as text (parsed by the HTTP rules).</summary>
    private string? OptionalBoolean(string name) => Find(name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } value => String(name, value, "a boolean"),
        { ValueKind: JsonValueKind.True } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        _ => throw WrongType(name, "a boolean"),
    };

    private List<string> RequiredStringArray(string name)
    {
        if (Find(name) is not { } value)
        {
            throw Errors.MissingParameter(name);
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw WrongType(name, "an array of strings");
        }

        var items = new List<string>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            items.Add(String(name, item, "an array of strings"));
        }

        return items;
    }

    /// <summary>A required value of any JSON type; its content is the catalogue's to judge.</summary>
    private JsonElement RequiredValue(string name) => Find(name) ?? throw Errors.MissingParameter(name);

    /// <summary>
    /// The document HTTP would carry, made of the named members as given (absent members stay
    /// absent), so missing or mistyped values fail with the HTTP titles.
    /// </summary>
    private MemoryRequestBody ObjectOf(IReadOnlyList<string> members)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var member in members)
            {
                if (Find(member) is { } value)
                {
                    writer.WritePropertyName(member);
                    // Message bodies may escape lone surrogates, which the writer cannot re-encode.
                    JsonText.WriteValue(writer, value);
                }
            }

            writer.WriteEndObject();
        }

        return new MemoryRequestBody(buffer.WrittenMemory);
    }

    private JsonElement? Find(string name) => JsonBody.TryGetMember(body, name, out var value) ? value : null;

    /// <summary>A string's text; one escaping a lone UTF-16 surrogate has none, and is refused as mistyped.</summary>
    private static string String(string name, JsonElement value, string expected) =>
        value.ValueKind != JsonValueKind.String ? throw WrongType(name, expected)
        : JsonText.TryGetString(value, out var text) ? text
        : throw Errors.InvalidParameter($"\"{name}\" escapes a lone UTF-16 surrogate, which is no text.");

    private static MarconiException WrongType(string name, string expected) =>
        Errors.InvalidParameter($"\"{name}\" must be {expected}.");
}

/// <summary>A reply, and what undoes the request when the reply cannot reach its peer (see <see cref="ApiOutcome.Undeliverable"/>).</summary>
internal readonly record struct ZmqAnswer(byte[] Payload, Func<Task>? Undeliverable = null);
