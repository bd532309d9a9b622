using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Marconi.Api;

/// <summary>What every version's representations share: one writer setting, ages and timestamps.</summary>
public static class Rendering
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>Renders a representation into a fresh buffer.</summary>
    public static byte[] Render(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Whole seconds from <paramref name="since"/> to <paramref name="now"/>, floored, never negative.</summary>
    public static long AgeSeconds(DateTimeOffset since, DateTimeOffset now)
    {
        var ms = (now - since).Ticks / TimeSpan.TicksPerMillisecond;
        return ms <= 0 ? 0 : ms / 1000;
    }

    /// <summary>The contract's timestamp format: <c>yyyy-MM-ddTHH:mm:ssZ</c>, UTC.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary><c>"links": [{"rel": "next", "href": …}]</c>, or <c>[]</c> when <paramref name="href"/> is null.</summary>
    public static void WriteLinks(Utf8JsonWriter w, string? href)
    {
        w.WriteStartArray("links"u8);
        if (href is not null)
        {
            w.WriteStartObject();
            w.WriteString("rel"u8, "next");
            w.WriteString("href"u8, href);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
