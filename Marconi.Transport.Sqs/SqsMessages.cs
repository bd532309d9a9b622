using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Marconi.Transport.Sqs;

/// <summary>A message as SQS sees it: its body and message attributes.</summary>
public sealed record SqsMessage(string Body, IReadOnlyList<KeyValuePair<string, SqsAttributeValue>> Attributes);

/// <summary>
/// How SQS messages are stored as Marconi messages, and SQS's checks and digests of them. A message
/// without attributes is stored as a JSON string (what a v2 client then reads as its body); one with
/// attributes as <c>{"Body": …, "MessageAttributes": {…}}</c>, the JSON protocol's own shape. Read
/// back, a string is the body, an object of exactly that shape is unwrapped, and any other JSON a
/// v2 client posted is the body as its JSON text.
/// </summary>
public static class SqsMessages
{
    public const int MaxAttributes = 10;
    public const int DefaultMaximumMessageSize = 262144;
    public const int MinMaximumMessageSize = 1024;

    public static byte[] Encode(SqsMessage message)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (message.Attributes.Count == 0)
            {
                writer.WriteStringValue(message.Body);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteString("Body", message.Body);
                new SqsWriter.Json(writer).AttributeMap("MessageAttributes", "", message.Attributes);
                writer.WriteEndObject();
            }
        }

        return buffer.ToArray();
    }

    public static SqsMessage Decode(string stored)
    {
        try
        {
            using var document = JsonDocument.Parse(stored);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.String)
            {
                return new SqsMessage(root.GetString()!, []);
            }

            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("Body", out var body) && body.ValueKind == JsonValueKind.String
                && root.TryGetProperty("MessageAttributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object
                && root.EnumerateObject().Count() == 2)
            {
                var read = new List<KeyValuePair<string, SqsAttributeValue>>();
                foreach (var attribute in attributes.EnumerateObject())
                {
                    if (attribute.Value.ValueKind != JsonValueKind.Object
                        || !attribute.Value.TryGetProperty("DataType", out var type) || type.ValueKind != JsonValueKind.String)
                    {
                        return new SqsMessage(stored, []);
                    }

                    var text = attribute.Value.TryGetProperty("StringValue", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                    var binary = attribute.Value.TryGetProperty("BinaryValue", out var b) && b.ValueKind == JsonValueKind.String
                                 && b.TryGetBytesFromBase64(out var bytes) ? bytes : null;
                    read.Add(new(attribute.Name, new SqsAttributeValue(type.GetString()!, text, binary)));
                }

                return new SqsMessage(body.GetString()!, read);
            }
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // A body (or member) escaping a lone surrogate: it goes out as the JSON text it is.
        }

        return new SqsMessage(stored, []);
    }

    /// <summary>
    /// SQS's checks of a message to send: its characters, its attributes, and its size (body and
    /// attributes) against the queue's maximum. Returns the size.
    /// </summary>
    public static int Check(SqsMessage message, int maximumSize)
    {
        if (message.Body.Length == 0)
        {
            throw SqsError.MissingParameter("MessageBody");
        }

        CheckCharacters(message.Body, "message body");
        if (message.Attributes.Count > MaxAttributes)
        {
            throw SqsError.InvalidParameterValue($"Number of message attributes [{message.Attributes.Count}] exceeds the allowed maximum [{MaxAttributes}].");
        }

        var size = Encoding.UTF8.GetByteCount(message.Body);
        foreach (var (name, value) in message.Attributes)
        {
            CheckAttributeName(name);
            size += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value.DataType) + CheckAttributeValue(name, value);
        }

        return size > maximumSize
            ? throw SqsError.InvalidParameterValue($"One or more parameters are invalid. Reason: Message must be shorter than {maximumSize} bytes.")
            : size;
    }

    private static void CheckAttributeName(string name)
    {
        var valid = name.Length is > 0 and <= 256
                    && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
                    && !name.StartsWith('.') && !name.EndsWith('.') && !name.Contains("..", StringComparison.Ordinal)
                    && !name.StartsWith("AWS.", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("Amazon.", StringComparison.OrdinalIgnoreCase);
        if (!valid)
        {
            throw SqsError.InvalidParameterValue($"Message attribute name '{name}' is invalid.");
        }
    }

    private static int CheckAttributeValue(string name, SqsAttributeValue value)
    {
        var type = value.DataType;
        var dot = type.IndexOf('.');
        var baseType = dot < 0 ? type : type[..dot];
        if (type.Length > 256 || baseType is not ("String" or "Number" or "Binary") || (dot >= 0 && dot == type.Length - 1))
        {
            throw SqsError.InvalidParameterValue($"The type of message attribute '{name}' is invalid: it must be String, Number or Binary, optionally with a .custom suffix.");
        }

        CheckCharacters(type, $"type of message attribute '{name}'");
        if (baseType == "Binary")
        {
            return value.BinaryValue is { Length: > 0 } binary && value.StringValue is null
                ? binary.Length
                : throw SqsError.InvalidParameterValue($"Message attribute '{name}' of type Binary must have a non-empty BinaryValue only.");
        }

        if (value.StringValue is not { Length: > 0 } text || value.BinaryValue is not null)
        {
            throw SqsError.InvalidParameterValue($"Message attribute '{name}' must contain a non-empty message attribute value for message attribute type '{baseType}'.");
        }

        CheckCharacters(text, $"message attribute '{name}'");
        if (baseType == "Number" && !decimal.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            throw SqsError.InvalidParameterValue($"Could not cast message attribute '{name}' value to number.");
        }

        return Encoding.UTF8.GetByteCount(text);
    }

    /// <summary>SQS's characters: #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF (pairs whole).</summary>
    public static void CheckCharacters(string text, string what)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (!(c is '\t' or '\n' or '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)))
            {
                throw SqsError.InvalidMessageContents($"Invalid characters found in the {what} (U+{(int)c:X4} at {i}). Deleted: Valid characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.");
            }
        }
    }

    public static string Md5OfBody(string body) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body)));

    /// <summary>SQS's digest of message attributes: by name, each name, type, transport kind and value length-prefixed.</summary>
    public static string? Md5OfAttributes(IReadOnlyList<KeyValuePair<string, SqsAttributeValue>> attributes)
    {
        if (attributes.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        foreach (var (name, value) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            Prefixed(buffer, Encoding.UTF8.GetBytes(name));
            Prefixed(buffer, Encoding.UTF8.GetBytes(value.DataType));
            if (value.BinaryValue is { } binary)
            {
                buffer.WriteByte(2);
                Prefixed(buffer, binary);
            }
            else
            {
                buffer.WriteByte(1);
                Prefixed(buffer, Encoding.UTF8.GetBytes(value.StringValue ?? ""));
            }
        }

        return Convert.ToHexStringLower(MD5.HashData(buffer.ToArray()));
    }

    private static void Prefixed(Stream stream, byte[] bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        stream.Write(length);
        stream.Write(bytes);
    }
}
