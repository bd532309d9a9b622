using Marconi.Core;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Marconi.Api;

/// <summary>
/// A request body as a transport hands it to the core: its declared length, if any, and a way
/// to read it that stops as soon as it grows past a limit, so oversized bodies are never read whole.
/// </summary>
public interface IRequestBody
{
    /// <summary>The length the client declared (HTTP Content-Length), if any.</summary>
    long? DeclaredLength { get; }

    /// <summary>True when the request carries no body at all.</summary>
    bool IsMissing { get; }

    /// <summary>Reads the whole body, or returns null as soon as it exceeds <paramref name="maxBytes"/>.</summary>
    ValueTask<ReadOnlyMemory<byte>?> ReadAsync(int maxBytes, CancellationToken cancellationToken);
}

/// <summary>A body already in memory (tests, the ZeroMQ transport).</summary>
public sealed class MemoryRequestBody(ReadOnlyMemory<byte>? bytes) : IRequestBody
{
    public long? DeclaredLength => bytes?.Length;

    public bool IsMissing => bytes is null;

    public ValueTask<ReadOnlyMemory<byte>?> ReadAsync(int maxBytes, CancellationToken cancellationToken) =>
        ValueTask.FromResult(bytes is { } b && b.Length <= maxBytes ? b : (ReadOnlyMemory<byte>?)null);
}

/// <summary>The contract's rules for JSON request bodies (1.5).</summary>
public static class JsonBody
{
    private const string NotJson = "The body is not valid JSON.";

    /// <summary>
    /// How deeply documents may nest. The contract sets no depth limit (the byte limits bound the
    /// work); this keeps far-fetched documents from reaching the writer's own limit of 1000.
    /// </summary>
    public const int MaxDepth = 900;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    /// <summary>
    /// Reads a body that must be at most <paramref name="maxBytes"/> bytes as sent, then parses it.
    /// <paramref name="bodies"/> as in <see cref="Parse"/>.
    /// </summary>
    public static async ValueTask<JsonDocument> ReadAsync(
        IRequestBody body, int maxBytes, string tooLarge, CancellationToken cancellationToken,
        MessageBodies bodies = MessageBodies.None)
    {
        if (body.DeclaredLength > maxBytes)
        {
            throw Errors.InvalidApiRequest(tooLarge);
        }

        if (body.IsMissing)
        {
            throw Errors.InvalidBody("A request body is required.");
        }

        var bytes = await body.ReadAsync(maxBytes, cancellationToken) ?? throw Errors.InvalidApiRequest(tooLarge);
        return Parse(bytes, bodies);
    }

    /// <summary>
    /// Parses an object or array, rejecting invalid UTF-8, bare scalars and integer literals
    /// outside the signed 64-bit range. A string or member name escaping a lone UTF-16 surrogate
    /// (<c>"\ud800"</c>) has no string value, so the server could not read it: it is refused
    /// everywhere except inside the message bodies that <paramref name="bodies"/> says the
    /// document carries, which the server only stores and returns as sent.
    /// </summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, MessageBodies bodies = MessageBodies.None)
    {
        if (utf8.Span.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            throw Errors.InvalidBody(NotJson);
        }

        try
        {
            var reader = new Utf8JsonReader(utf8.Span, ReaderOptions);
            if (!reader.Read() || reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
            {
                throw Errors.InvalidBody(NotJson);
            }

            // Where message bodies sit: v1 [{"body": …}] at depth 2, v1.1 {"messages": [{"body": …}]} at 3.
            var bodyDepth = bodies switch { MessageBodies.Array => 2, MessageBodies.MessagesMember => 3, _ => -1 };
            var inMessages = bodies == MessageBodies.Array;
            var opaqueFrom = -1;
            var bodyNext = false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.Number && !IntegerFits(reader.ValueSpan))
                {
                    throw Errors.InvalidBody("An integer in the document is outside the 64-bit range.");
                }

                if (bodyNext)
                {
                    // The token after a message's "body" name is the body: skip its strings to its end.
                    bodyNext = false;
                    opaqueFrom = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray ? reader.CurrentDepth : -1;
                    continue;
                }

                if (opaqueFrom >= 0)
                {
                    if (reader.CurrentDepth == opaqueFrom && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                    {
                        opaqueFrom = -1;
                    }

                    continue;
                }

                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
                {
                    continue;
                }

                if (reader.ValueIsEscaped && JsonText.HasLoneSurrogate(reader.ValueSpan))
                {
                    throw Errors.InvalidBody("A string in the document escapes a lone UTF-16 surrogate.");
                }

                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (bodies == MessageBodies.MessagesMember && reader.CurrentDepth == 1)
                    {
                        inMessages = reader.ValueTextEquals("messages"u8);
                    }
                    else if (inMessages && reader.CurrentDepth == bodyDepth && reader.ValueTextEquals("body"u8))
                    {
                        bodyNext = true;
                    }
                }
            }

            return JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (JsonException)
        {
            throw Errors.InvalidBody(NotJson);
        }
        catch (ArgumentException)
        {
            // Invalid UTF-8 surfaces as an ArgumentException from some reader paths.
            throw Errors.InvalidBody(NotJson);
        }
    }

    /// <summary>The raw text of a number token is an integer literal (no fraction, no exponent).</summary>
    public static bool IsIntegerLiteral(ReadOnlySpan<byte> raw) => raw.IndexOfAny(".eE"u8) < 0;

    private static bool IntegerFits(ReadOnlySpan<byte> raw) =>
        !IsIntegerLiteral(raw) || (Utf8Parser.TryParse(raw, out long _, out var consumed) && consumed == raw.Length);

    /// <summary>Finds a member; with duplicate keys the last one wins; see <see cref="JsonText.TryGetMember"/>.</summary>
    public static bool TryGetMember(JsonElement obj, string name, out JsonElement value) =>
        JsonText.TryGetMember(obj, name, out value);

    /// <summary>A field that must be an integer literal; null when absent and not required.</summary>
    public static long? Integer(JsonElement obj, string name, bool required)
    {
        if (!TryGetMember(obj, name, out var value))
        {
            return required ? throw Errors.InvalidBody($"field \"{name}\" is required.") : null;
        }

        if (value.ValueKind != JsonValueKind.Number || !IsIntegerLiteral(RawBytes(value)))
        {
            throw Errors.InvalidBody($"field \"{name}\" must be an integer.");
        }

        return value.GetInt64();
    }

    /// <summary>The document's root must be an object.</summary>
    public static JsonElement RequireObject(JsonDocument document) =>
        document.RootElement.ValueKind == JsonValueKind.Object
            ? document.RootElement
            : throw Errors.InvalidBody("Expected a JSON object.");

    /// <summary>An object naming only <paramref name="known"/> members; the others are named in the 400.</summary>
    public static void RequireKnownMembers(JsonElement obj, IReadOnlySet<string> known)
    {
        var unknown = obj.EnumerateObject().Select(m => m.Name).Where(n => !known.Contains(n)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            throw Errors.InvalidApiRequest($"Unknown keys: {string.Join(", ", unknown)}.");
        }
    }

    private static ReadOnlySpan<byte> RawBytes(JsonElement number) => JsonMarshal.GetRawUtf8Value(number);
}

/// <summary>Which message bodies a document carries: the only place a lone surrogate escape is accepted.</summary>
public enum MessageBodies
{
    /// <summary>None: every string is read by the server.</summary>
    None,

    /// <summary>v1: an array of messages, <c>[{"body": …}]</c>.</summary>
    Array,

    /// <summary>v1.1 and v2: <c>{"messages": [{"body": …}]}</c>.</summary>
    MessagesMember,
}

/// <summary>Helpers for documents passed as parsed JSON values rather than raw bodies.</summary>
public static class JsonValues
{
    /// <summary>The compact UTF-8 form of a value, which is how its size is measured off HTTP.</summary>
    public static byte[] Compact(JsonElement value)
    {
        if (!JsonText.IsReadable(value))
        {
            // Message bodies may escape lone surrogates, which the writer cannot re-encode.
            return JsonText.Minify(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value));
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            MaxDepth = JsonBody.MaxDepth + 8,
        };
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            value.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
