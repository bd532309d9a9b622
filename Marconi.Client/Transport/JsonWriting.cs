using System.Text.Encodings.Web;
using System.Text.Json;

namespace Marconi.Client.Transport;

/// <summary>How request JSON is written: compact, non-ASCII unescaped (sizes are limited in bytes).</summary>
internal static class JsonWriting
{
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
                element.WriteTo(writer);
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
