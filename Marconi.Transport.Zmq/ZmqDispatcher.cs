using System.Buffers;
using System.Text.Json;
using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Representation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Transport.Zmq;

/// <summary>
/// The protocol layer of the ZeroMQ transport (contract Part II): one payload in, one reply out.
/// It knows no sockets. Every action calls the same core operation as its HTTP twin and renders
/// the same body, so both transports give the same outcome for the same input.
/// </summary>
internal sealed partial class ZmqDispatcher
{
    private delegate Task<Outcome> Action(Parameters parameters, RequestContext caller, CancellationToken cancellationToken);

    private readonly Dictionary<string, Action> _actions;
    private readonly QueueOperations _queues;
    private readonly MessageOperations _messages;
    private readonly ClaimOperations _claims;
    private readonly HealthOperations _health;
    private readonly ILogger<ZmqDispatcher> _logger;

    public ZmqDispatcher(
        QueueOperations queues, MessageOperations messages, ClaimOperations claims, HealthOperations health,
        IOptions<ZmqTransportOptions> options, IOptions<LimitsOptions> limits, ILogger<ZmqDispatcher> logger)
    {
        _queues = queues;
        _messages = messages;
        _claims = claims;
        _health = health;
        _logger = logger;
        MaxPayloadBytes = options.Value.MaxFrameBytes > 0
            ? options.Value.MaxFrameBytes
            : limits.Value.MaxMessagesPostSize + ZmqTransportOptions.EnvelopeAllowance;

        // The action catalogue of contract 10: the only table of the protocol.
        _actions = new(StringComparer.Ordinal)
        {
            ["get_home_doc"] = GetHomeDoc,
            ["check_node_health"] = CheckNodeHealth,
            ["ping_node"] = PingNode,
            ["queue_list"] = QueueList,
            ["queue_create"] = QueueCreate,
            ["queue_exists"] = QueueExists,
            ["queue_delete"] = QueueDelete,
            ["queue_get"] = QueueGet,
            ["queue_set_metadata"] = QueueSetMetadata,
            ["queue_get_stats"] = QueueGetStats,
            ["message_post"] = MessagePost,
            ["message_list"] = MessageList,
            ["message_get_many"] = MessageGetMany,
            ["message_get"] = MessageGet,
            ["message_delete"] = MessageDelete,
            ["message_delete_many"] = MessageDeleteMany,
            ["claim_create"] = ClaimCreate,
            ["claim_get"] = ClaimGet,
            ["claim_update"] = ClaimUpdate,
            ["claim_delete"] = ClaimDelete,
        };
    }

    /// <summary>Largest payload that is parsed; larger ones are answered without parsing.</summary>
    public int MaxPayloadBytes { get; }

    /// <summary>Handles one request payload and returns the reply payload. Never throws for client input.</summary>
    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.Length > MaxPayloadBytes)
        {
            return Error(null, EnvelopeErrors.TooLarge(MaxPayloadBytes));
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
                return Error(exception.Request, exception.Error);
            }
        }

        using (request.Document)
        {
            try
            {
                if (request.Action is not { } name || !_actions.TryGetValue(name, out var action))
                {
                    throw EnvelopeErrors.InvalidAction(request.Action);
                }

                var caller = RequestContext.FromHeaders(request.Header("X-Project-ID"), request.Header("Client-ID"));
                var outcome = await action(new Parameters(request.Body), caller, cancellationToken);
                return Reply.Write(request, outcome.Status, outcome.Location, outcome.Body);
            }
            catch (MarconiException exception)
            {
                if (exception.Kind == MarconiErrorKind.ServiceUnavailable)
                {
                    LogStorageFailure(exception, request.Action);
                }

                return Error(request, exception);
            }
            catch (Exception exception)
            {
                LogUnexpected(exception, request.Action);
                return Reply.Write(request, 500, null,
                    V1Json.Error(Errors.InternalErrorTitle, "An unexpected error prevented the server from fulfilling the request."));
            }
        }
    }

    /// <summary>The one place this transport maps core errors to statuses; they are HTTP's numbers.</summary>
    public static int StatusOf(MarconiErrorKind kind) => kind switch
    {
        MarconiErrorKind.BadRequest => 400,
        MarconiErrorKind.Forbidden => 403,
        MarconiErrorKind.NotFound => 404,
        MarconiErrorKind.NotAcceptable => 406,
        MarconiErrorKind.ServiceUnavailable => 503,
        _ => 500,
    };

    private static byte[] Error(Envelope? request, MarconiException error) =>
        Reply.Write(request, StatusOf(error.Kind), null, V1Json.Error(error.Title, error.Description));

    private Task<Outcome> GetHomeDoc(Parameters p, RequestContext c, CancellationToken t) =>
        Task.FromResult(new Outcome(200, null, Documents.Home));

    private async Task<Outcome> CheckNodeHealth(Parameters p, RequestContext c, CancellationToken t)
    {
        await _health.CheckAsync(t);
        return Outcome.NoContent;
    }

    private Task<Outcome> PingNode(Parameters p, RequestContext c, CancellationToken t) =>
        Task.FromResult(Outcome.NoContent);

    private async Task<Outcome> QueueList(Parameters p, RequestContext c, CancellationToken t)
    {
        var marker = p.OptionalString("marker");
        var limit = p.OptionalInteger("limit");
        var detailed = p.OptionalBoolean("detailed");
        var page = await _queues.ListAsync(c, marker, limit, detailed, t);
        return page.Queues.Count == 0 ? Outcome.NoContent : new Outcome(200, null, V1Json.QueueList(page));
    }

    private async Task<Outcome> QueueCreate(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var created = await _queues.CreateAsync(c, name, t);
        return new Outcome(created ? 201 : 204, $"/v1/queues/{name}", null);
    }

    private async Task<Outcome> QueueExists(Parameters p, RequestContext c, CancellationToken t) =>
        await _queues.ExistsAsync(c, p.RequiredString("queue_name"), t) ? Outcome.NoContent : new Outcome(404, null, null);

    private async Task<Outcome> QueueDelete(Parameters p, RequestContext c, CancellationToken t)
    {
        await _queues.DeleteAsync(c, p.RequiredString("queue_name"), t);
        return Outcome.NoContent;
    }

    private async Task<Outcome> QueueGet(Parameters p, RequestContext c, CancellationToken t)
    {
        var metadata = await _queues.GetMetadataAsync(c, p.RequiredString("queue_name"), t);
        return new Outcome(200, null, System.Text.Encoding.UTF8.GetBytes(metadata));
    }

    private async Task<Outcome> QueueSetMetadata(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var metadata = p.RequiredValue("metadata");
        await _queues.SetMetadataAsync(c, name, Compact(metadata), t);
        return new Outcome(204, $"/v1/queues/{name}/metadata", null);
    }

    private async Task<Outcome> QueueGetStats(Parameters p, RequestContext c, CancellationToken t) =>
        new(200, null, V1Json.Stats(await _queues.GetStatsAsync(c, p.RequiredString("queue_name"), t)));

    private async Task<Outcome> MessagePost(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var messages = p.RequiredValue("messages");
        var posted = await _messages.PostAsync(c, name, Compact(messages), t);
        return new Outcome(201, posted.Location, V1Json.PostResult(posted));
    }

    private async Task<Outcome> MessageList(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var marker = p.OptionalString("marker");
        var limit = p.OptionalInteger("limit");
        var echo = p.OptionalBoolean("echo");
        var includeClaimed = p.OptionalBoolean("include_claimed");
        var page = await _messages.ListAsync(c, name, marker, limit, echo, includeClaimed, t);
        return page.Messages.Count == 0 ? Outcome.NoContent : new Outcome(200, null, V1Json.MessagePage(page));
    }

    private async Task<Outcome> MessageGetMany(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var ids = p.RequiredStringArray("message_ids");
        var found = await _messages.GetManyAsync(c, name, ids, t);
        return found.Messages.Count == 0 ? Outcome.NoContent : new Outcome(200, null, V1Json.Messages(found));
    }

    private async Task<Outcome> MessageGet(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var id = p.RequiredString("message_id");
        return new Outcome(200, null, V1Json.Message(await _messages.GetAsync(c, name, id, t)));
    }

    private async Task<Outcome> MessageDelete(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var id = p.RequiredString("message_id");
        var claimId = p.OptionalString("claim_id");
        await _messages.DeleteAsync(c, name, id, claimId, t);
        return Outcome.NoContent;
    }

    private async Task<Outcome> MessageDeleteMany(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var ids = p.RequiredStringArray("message_ids");
        await _messages.DeleteManyAsync(c, name, ids, t);
        return Outcome.NoContent;
    }

    private async Task<Outcome> ClaimCreate(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var limit = p.OptionalInteger("limit");
        var claim = await _claims.CreateAsync(c, name, limit, p.ClaimDocument(), t);
        return claim is null ? Outcome.NoContent : new Outcome(201, claim.Href, V1Json.ClaimedMessages(claim));
    }

    private async Task<Outcome> ClaimGet(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var id = p.RequiredString("claim_id");
        return new Outcome(200, null, V1Json.Claim(await _claims.GetAsync(c, name, id, t)));
    }

    private async Task<Outcome> ClaimUpdate(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var id = p.RequiredString("claim_id");
        await _claims.UpdateAsync(c, name, id, p.ClaimDocument(), t);
        return Outcome.NoContent;
    }

    private async Task<Outcome> ClaimDelete(Parameters p, RequestContext c, CancellationToken t)
    {
        var name = p.RequiredString("queue_name");
        var id = p.RequiredString("claim_id");
        await _claims.DeleteAsync(c, name, id, t);
        return Outcome.NoContent;
    }

    /// <summary>
    /// A parameter passed as a JSON value becomes the body HTTP would have carried: its compact
    /// form, which is also what the size limits measure (contract 10).
    /// </summary>
    private static MemoryRequestBody Compact(JsonElement value) => new(JsonValues.Compact(value));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage failure on ZeroMQ action {Action}")]
    private partial void LogStorageFailure(Exception exception, string? action);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on ZeroMQ action {Action}")]
    private partial void LogUnexpected(Exception exception, string? action);

    /// <summary>What an action answers: status, the Location HTTP would send, and the body HTTP would send.</summary>
    private sealed record Outcome(int Status, string? Location, byte[]? Body)
    {
        public static readonly Outcome NoContent = new(204, null, null);
    }
}

/// <summary>
/// The body members of a request as action parameters (contract 10, 11): presence and JSON type
/// are checked here; values are then validated by the core exactly as over HTTP.
/// </summary>
internal sealed class Parameters(JsonElement body)
{
    public string RequiredString(string name) =>
        Find(name) is { } value
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(name, "a string")
            : throw Errors.MissingParameter(name);

    /// <summary>An optional string; null or absent is absent.</summary>
    public string? OptionalString(string name) => Find(name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        _ => throw WrongType(name, "a string"),
    };

    /// <summary>An optional integer, as a JSON integer or as text (parsed by the HTTP rules).</summary>
    public string? OptionalInteger(string name) => Find(name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        { ValueKind: JsonValueKind.Number } value when JsonBody.IsIntegerLiteral(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value)) =>
            value.GetRawText(),
        _ => throw WrongType(name, "an integer"),
    };

    /// <summary>An optional boolean, as a JSON boolean or as text (parsed by the HTTP rules).</summary>
    public string? OptionalBoolean(string name) => Find(name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        { ValueKind: JsonValueKind.True } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        _ => throw WrongType(name, "a boolean"),
    };

    public List<string> RequiredStringArray(string name)
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
            items.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw WrongType(name, "an array of strings"));
        }

        return items;
    }

    /// <summary>A required value of any JSON type; its content is the core's to judge.</summary>
    public JsonElement RequiredValue(string name) => Find(name) ?? throw Errors.MissingParameter(name);

    /// <summary>
    /// The claim document HTTP would carry: <c>ttl</c> and <c>grace</c> as given (absent members
    /// stay absent), so missing or mistyped values fail with the HTTP titles.
    /// </summary>
    public MemoryRequestBody ClaimDocument()
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var member in new[] { "ttl", "grace" })
            {
                if (Find(member) is { } value)
                {
                    writer.WritePropertyName(member);
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return new MemoryRequestBody(buffer.WrittenMemory);
    }

    private JsonElement? Find(string name) => JsonBody.TryGetMember(body, name, out var value) ? value : null;

    private static MarconiException WrongType(string name, string expected) =>
        Errors.InvalidParameter($"\"{name}\" must be {expected}.");
}
