using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Marconi.Core;

/// <summary>
/// Reading JSON text that may escape a lone UTF-16 surrogate (<c>"\ud800"</c>). Such JSON is
/// valid and is accepted as opaque data (message bodies), but the string has no .NET value:
/// System.Text.Json throws <see cref="InvalidOperationException"/> from every name, value and
/// comparison that would decode it (<c>GetString</c>, <c>Name</c>, <c>NameEquals</c>,
/// <c>ValueEquals</c>, <c>TryGetProperty</c> on a miss, <c>WriteTo</c>). Everything the server
/// reads goes through here, so such text is either refused as bad input or passed on as stored.
/// </summary>
public static class JsonText
{
    /// <summary>True when JSON text (a token's raw bytes or a whole value) escapes a lone surrogate.</summary>
    public static bool HasLoneSurrogate(ReadOnlySpan<byte> json)
    {
        // Backslashes occur only inside strings, so a scan of escapes needs no tokenizer.
        var i = json.IndexOf((byte)'\\');
        while (i >= 0 && i + 1 < json.Length)
        {
            if (json[i + 1] != 'u')
            {
                i = Next(json, i + 2);
                continue;
            }

            var unit = Hex4(json, i + 2);
            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return true;
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                // A high surrogate must be followed at once by an escaped low one.
                if (i + 7 >= json.Length || json[i + 6] != '\\' || json[i + 7] != 'u'
                    || Hex4(json, i + 8) is not (>= 0xDC00 and <= 0xDFFF))
                {
                    return true;
                }

                i = Next(json, i + 12);
                continue;
            }

            i = Next(json, i + 6);
        }

        return false;
    }

    /// <summary>True when the value, and every name and string inside it, has a .NET string.</summary>
    public static bool IsReadable(JsonElement value) => !HasLoneSurrogate(JsonMarshal.GetRawUtf8Value(value));

    /// <summary>A string value's text; false when it is not a string or escapes a lone surrogate.</summary>
    public static bool TryGetString(JsonElement value, [NotNullWhen(true)] out string? text)
    {
        text = value.ValueKind == JsonValueKind.String && IsReadable(value) ? value.GetString() : null;
        return text is not null;
    }

    /// <summary>A member's name, or null when it escapes a lone surrogate (it then equals no name the server knows).</summary>
    public static string? NameOf(JsonProperty member) =>
        HasLoneSurrogate(JsonMarshal.GetRawUtf8PropertyName(member)) ? null : member.Name;

    /// <summary>Finds a member of an object; with duplicate names the last one wins (v1 contract 1.5).</summary>
    public static bool TryGetMember(JsonElement obj, string name, out JsonElement value)
    {
        var found = false;
        value = default;
        foreach (var member in obj.EnumerateObject())
        {
            if (!HasLoneSurrogate(JsonMarshal.GetRawUtf8PropertyName(member)) && member.NameEquals(name))
            {
                value = member.Value;
                found = true;
            }
        }

        return found;
    }

    /// <summary>
    /// The value without insignificant whitespace; strings, names and numbers are kept byte for
    /// byte, so text that cannot be decoded is carried as it came.
    /// </summary>
    public static byte[] Minify(ReadOnlySpan<byte> json)
    {
        var output = new ArrayBufferWriter<byte>(json.Length);
        var inString = false;
        var start = 0;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (inString)
            {
                if (b == '\\')
                {
                    i++;
                }
                else if (b == '"')
                {
                    inString = false;
                }
            }
            else if (b == '"')
            {
                inString = true;
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                output.Write(json[start..i]);
                start = i + 1;
            }
        }

        output.Write(json[start..]);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Writes a value as it was read. A readable one goes through the writer; one escaping a lone
    /// surrogate (which the writer cannot re-encode) is copied, minified, with its escapes intact.
    /// </summary>
    public static void WriteValue(Utf8JsonWriter writer, JsonElement value)
    {
        if (IsReadable(value))
        {
            value.WriteTo(writer);
        }
        else
        {
            writer.WriteRawValue(Minify(JsonMarshal.GetRawUtf8Value(value)), skipInputValidation: true);
        }
    }

    /// <summary>
    /// Writes one object member as stored, for names that have no .NET string. Only for writers
    /// made with <see cref="JsonWriterOptions.SkipValidation"/>: a raw value stands in for the
    /// name and value, and the writer still puts the comma before it.
    /// </summary>
    public static void WriteRawMember(Utf8JsonWriter writer, ReadOnlySpan<byte> rawName, ReadOnlySpan<byte> rawValue)
    {
        var member = new byte[rawName.Length + rawValue.Length + 3];
        member[0] = (byte)'"';
        rawName.CopyTo(member.AsSpan(1));
        member[rawName.Length + 1] = (byte)'"';
        member[rawName.Length + 2] = (byte)':';
        rawValue.CopyTo(member.AsSpan(rawName.Length + 3));
        writer.WriteRawValue(member, skipInputValidation: true);
    }

    private static int Next(ReadOnlySpan<byte> json, int from)
    {
        if (from >= json.Length)
        {
            return -1;
        }

        var next = json[from..].IndexOf((byte)'\\');
        return next < 0 ? -1 : from + next;
    }

    private static int Hex4(ReadOnlySpan<byte> json, int at)
    {
        if (at + 4 > json.Length)
        {
            return -1;
        }

        var value = 0;
        for (var k = 0; k < 4; k++)
        {
            var digit = HexDigit(json[at + k]);
            if (digit < 0)
            {
                return -1;
            }

            value = (value << 4) | digit;
        }

        return value;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
