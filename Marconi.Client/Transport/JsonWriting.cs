using System.Text.Encodings.Web;
using System.Text.Json;

namespace Marconi.Client.Transport;

/// <summary>How request JSON is written: compact, non-ASCII unescaped (sizes are limited in bytes).</summary>
internal static class JsonWriting
{
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Writes a JSON value. <see cref="JsonElement.WriteTo"/> unescapes strings and throws on a lone
    /// UTF-16 surrogate escape, which a message body may hold, so a value with any surrogate escape
    /// is copied as it was read instead (its whitespace included).
    /// </summary>
    public static void WriteVerbatim(Utf8JsonWriter writer, JsonElement element)
    {
#if NET9_0_OR_GREATER
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
#else
        // net8.0 has no view of the raw bytes; a copy of them does the same.
        ReadOnlySpan<byte> raw = System.Text.Encoding.UTF8.GetBytes(element.GetRawText());
#endif
        if (HasSurrogateEscape(raw))
        {
            writer.WriteRawValue(raw, skipInputValidation: true);
        }
        else
        {
            element.WriteTo(writer);
        }
    }

    /// <summary>A <c>\uD800</c>–<c>\uDFFF</c> escape anywhere in the text (paired or not: either is copied safely).</summary>
    private static bool HasSurrogateEscape(ReadOnlySpan<byte> json)
    {
        for (var i = 0; i + 3 < json.Length; i++)
        {
            if (json[i] != (byte)'\\')
            {
                continue;
            }

            if (json[i + 1] == (byte)'u' && (json[i + 2] | 0x20) == (byte)'d'
                && (json[i + 3] is (byte)'8' or (byte)'9' || (json[i + 3] | 0x20) is >= (byte)'a' and <= (byte)'f'))
            {
                return true;
            }

            i++; // the escaped character, so an escaped backslash is not read as the start of another escape
        }

        return false;
    }

    /// <summary>Writes a request parameter: string, integer, boolean, list of strings or a JSON value.</summary>
    public static void WriteValue(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case string s:
                writer.WriteStringValue(s);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case JsonElement element:
                WriteVerbatim(writer, element);
                break;
            case IEnumerable<string> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    writer.WriteStringValue(item);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"Unsupported parameter type {value.GetType()}.", nameof(value));
        }
    }

    /// <summary>Any value as JSON: a <see cref="JsonElement"/> as it is, anything else through <see cref="JsonSerializer"/>.</summary>
    public static JsonElement ToElement(object? value, JsonSerializerOptions? options) => value switch
    {
        JsonElement element => element,
        JsonDocument document => document.RootElement,
        null => JsonSerializer.SerializeToElement<object?>(null, options),
        _ => JsonSerializer.SerializeToElement(value, value.GetType(), options),
    };

    /// <summary>Builds a JSON value with a writer.</summary>
    public static JsonElement Build(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            write(writer);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
