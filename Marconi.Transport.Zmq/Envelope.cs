using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Marconi.Api;
using Marconi.Core;

namespace Marconi.Transport.Zmq;

/// <summary>
/// One parsed request envelope (contract 9.1): the action, the headers (case-insensitive, last
/// duplicate wins) and the body's members. Parsing raises <see cref="EnvelopeException"/> for
/// envelope-level errors; the raw <c>action</c> and <c>headers</c> are kept to echo them back.
/// </summary>
internal sealed class Envelope
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = JsonBody.MaxDepth + 4 };

    private readonly Dictionary<string, string> _headers;

    private Envelope(JsonDocument document, JsonElement? action, JsonElement? headers, JsonElement body, Dictionary<string, string> headerValues)
    {
        Document = document;
        RawAction = action;
        RawHeaders = headers;
        Body = body;
        _headers = headerValues;
    }

    public JsonDocument Document { get; }

    public JsonElement? RawAction { get; }

    public JsonElement? RawHeaders { get; }

    /// <summary>The body object, or an empty object's element when absent.</summary>
    public JsonElement Body { get; }

    public string? Action => RawAction is { } a && JsonText.TryGetString(a, out var name) ? name : null;

    public string? Header(string name) => _headers.GetValueOrDefault(name);

    /// <summary>The API version the request speaks (<c>v1</c> when it names none), echoed in the reply.</summary>
    public string Api { get; private init; } = "v1";

    /// <summary>The versions an envelope may name.</summary>
    public static readonly string[] Versions = ["v1", "v1.1", "v2"];

    /// <summary>Parses a payload; envelope errors carry whatever of the request could be read.</summary>
    public static Envelope Parse(ReadOnlyMemory<byte> payload)
    {
        JsonDocument document;
        try
        {
            if (!System.Text.Unicode.Utf8.IsValid(payload.Span))
            {
                throw new JsonException();
            }

            document = JsonDocument.Parse(payload, ParseOptions);
        }
        catch (JsonException)
        {
            throw new EnvelopeException(EnvelopeErrors.InvalidRequest("The request is not a JSON object."), null);
        }

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new EnvelopeException(EnvelopeErrors.InvalidRequest("The request is not a JSON object."), null);
        }

        JsonElement? action = JsonBody.TryGetMember(root, "action", out var a) ? a : null;
        JsonElement? headers = JsonBody.TryGetMember(root, "headers", out var h) ? h : null;
        var partial = new Envelope(document, action, headers, default, new(StringComparer.OrdinalIgnoreCase));

        // A lone UTF-16 surrogate escape ("\ud800") has no string value. The envelope's names and
        // strings are all read (or could be), so one there is refused; inside "body" only the
        // parameter names are, and values are judged as each action reads them.
        foreach (var member in root.EnumerateObject())
        {
            var name = JsonText.NameOf(member);
            if (name is null || (name != "body" && !JsonText.IsReadable(member.Value)))
            {
                throw new EnvelopeException(
                    EnvelopeErrors.InvalidRequest("The request escapes a lone UTF-16 surrogate outside \"body\"."), partial);
            }

            if (name == "body" && member.Value.ValueKind == JsonValueKind.Object
                && member.Value.EnumerateObject().Any(parameter => JsonText.NameOf(parameter) is null))
            {
                throw new EnvelopeException(
                    EnvelopeErrors.InvalidRequest("A parameter name in \"body\" escapes a lone UTF-16 surrogate."), partial);
            }
        }

        if (headers is { } hs && hs.ValueKind != JsonValueKind.Object)
        {
            throw new EnvelopeException(EnvelopeErrors.InvalidRequest("\"headers\" must be an object."), partial);
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (headers is { } hv)
        {
            foreach (var header in hv.EnumerateObject())
            {
                if (header.Value.ValueKind != JsonValueKind.String)
                {
                    throw new EnvelopeException(
                        EnvelopeErrors.InvalidRequest($"Header \"{header.Name}\" must be a string."), partial);
                }

                values[header.Name] = header.Value.GetString()!;
            }
        }

        var body = EmptyObject;
        if (JsonBody.TryGetMember(root, "body", out var b))
        {
            if (b.ValueKind != JsonValueKind.Object)
            {
                throw new EnvelopeException(EnvelopeErrors.InvalidRequest("\"body\" must be an object."), partial);
            }

            body = b;
        }

        var version = "v1";
        if (JsonBody.TryGetMember(root, "api", out var api))
        {
            version = api.ValueKind == JsonValueKind.String && Versions.Contains(api.GetString())
                ? api.GetString()!
                : throw new EnvelopeException(
                    EnvelopeErrors.InvalidRequest($"\"api\" must be one of {string.Join(", ", Versions.Select(v => $"\"{v}\""))}."),
                    partial);
        }

        return new Envelope(document, action, headers, body, values) { Api = version };
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;
}

/// <summary>An envelope-level failure and the part of the request it could read.</summary>
internal sealed class EnvelopeException(MarconiException error, Envelope? request) : Exception(error.Description)
{
    public MarconiException Error { get; } = error;

    public Envelope? Request { get; } = request;
}

/// <summary>The titles of contract 11 that exist only in the ZeroMQ protocol.</summary>
internal static class EnvelopeErrors
{
    public const string RequestTooLargeTitle = "Request too large";
    public const string InvalidRequestTitle = "Invalid request";
    public const string InvalidActionTitle = "Invalid action";

    public static MarconiException InvalidRequest(string description) =>
        new(MarconiErrorKind.BadRequest, InvalidRequestTitle, description);

    public static MarconiException TooLarge(int limit) =>
        new(MarconiErrorKind.BadRequest, RequestTooLargeTitle, $"The request exceeds {limit} bytes.");

    public static MarconiException InvalidAction(string? action) =>
        new(MarconiErrorKind.BadRequest, InvalidActionTitle,
            action is null ? "\"action\" is required and must be a string." : $"{action} is not a valid action.");
}

/// <summary>Writes the reply envelope of contract 9.2.</summary>
internal static class Reply
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <param name="request">The parsed request to echo, or null when it could not be read as an object.</param>
    /// <param name="status">The status, as HTTP would answer.</param>
    /// <param name="location">The Location HTTP would send, if any.</param>
    /// <param name="body">The JSON body HTTP would send, or null.</param>
    public static byte[] Write(Envelope? request, int status, string? location, ReadOnlySpan<byte> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + body.Length);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WritePropertyName("request"u8);
            if (request is null)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteStartObject();
                if (request.RawAction is { } action)
                {
                    w.WritePropertyName("action"u8);
                    Echo(w, action);
                }

                w.WritePropertyName("headers"u8);
                if (request.RawHeaders is { } headers)
                {
                    Echo(w, headers);
                }
                else
                {
                    w.WriteStartObject();
                    w.WriteEndObject();
                }

                w.WriteString("api"u8, request.Api);
                w.WriteEndObject();
            }

            w.WriteStartObject("headers"u8);
            w.WriteNumber("status"u8, status);
            if (location is not null)
            {
                w.WriteString("location"u8, location);
            }

            w.WriteEndObject();
            w.WritePropertyName("body"u8);
            if (body.IsEmpty)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteRawValue(body, skipInputValidation: true);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A value as received; one escaping a lone surrogate cannot be re-encoded, so it is copied.</summary>
    private static void Echo(Utf8JsonWriter w, JsonElement value) => JsonText.WriteValue(w, value);
}
