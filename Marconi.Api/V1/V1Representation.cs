using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Storage;

namespace Marconi.Api.V1;

/// <summary>
/// The v1 JSON representations (contract section 2), written once for every transport so that
/// both return byte-identical bodies. Message bodies are copied as the raw JSON that was posted.
/// </summary>
public static class V1Representation
{
    public static readonly Hrefs Hrefs = new("/v1");

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

    public static byte[] QueueList(QueueListResult result, string nextHref) => Render(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("queues"u8);
        foreach (var queue in result.Queues)
        {
            w.WriteStartObject();
            w.WriteString("name"u8, queue.Name);
            w.WriteString("href"u8, Hrefs.Queue(queue.Name));
            if (queue.Metadata is not null)
            {
                w.WritePropertyName("metadata"u8);
                w.WriteRawValue(queue.Metadata, skipInputValidation: true);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteNextLink(w, nextHref);
        w.WriteEndObject();
    });

    public static byte[] Stats(QueueStatsResult result) => Render(w =>
    {
        var stats = result.Stats;
        w.WriteStartObject();
        w.WriteStartObject("messages"u8);
        w.WriteNumber("claimed"u8, stats.Claimed);
        w.WriteNumber("free"u8, stats.Total - stats.Claimed);
        w.WriteNumber("total"u8, stats.Total);
        if (stats.Total > 0 && stats.Oldest is { } oldest && stats.Newest is { } newest)
        {
            WriteStamp(w, "oldest"u8, result.Queue, oldest, result.Now);
            WriteStamp(w, "newest"u8, result.Queue, newest, result.Now);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    });

    public static byte[] PostResult(PostResult result) => Render(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("resources"u8);
        foreach (var id in result.MessageIds)
        {
            w.WriteStringValue(Hrefs.Message(result.Queue.Name, id));
        }

        w.WriteEndArray();
        w.WriteBoolean("partial"u8, false);
        w.WriteEndObject();
    });

    public static byte[] MessagePage(MessagePageResult result, string nextHref) => Render(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("messages"u8);
        WriteMessages(w, result.Queue, result.Messages, claimId: null, result.Now);
        WriteNextLink(w, nextHref);
        w.WriteEndObject();
    });

    /// <summary>A bare array of messages (get-many), hrefs without claim.</summary>
    public static byte[] Messages(MessagesResult result) =>
        Render(w => WriteMessages(w, result.Queue, result.Messages, claimId: null, result.Now));

    /// <summary>One message object (get-one).</summary>
    public static byte[] Message(MessagesResult result) =>
        Render(w => WriteMessage(w, result.Queue, result.Messages[0], claimId: null, result.Now));

    /// <summary>The array answered on claim creation; hrefs carry the claim id.</summary>
    public static byte[] ClaimedMessages(ClaimResult result) =>
        Render(w => WriteMessages(w, result.Queue, result.Claim.Messages, result.Claim.Id, result.Now));

    /// <summary>A claim as read back (contract 3.17).</summary>
    public static byte[] Claim(ClaimResult result) => Render(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("age"u8, AgeSeconds(result.Claim.Updated, result.Now));
        w.WriteNumber("ttl"u8, result.Claim.Ttl);
        w.WriteString("href"u8, Hrefs.Claim(result.Queue.Name, result.Claim.Id));
        w.WritePropertyName("messages"u8);
        WriteMessages(w, result.Queue, result.Claim.Messages, result.Claim.Id, result.Now);
        w.WriteEndObject();
    });

    /// <summary>Whole seconds from <paramref name="since"/> to <paramref name="now"/>, floored, never negative.</summary>
    public static long AgeSeconds(DateTimeOffset since, DateTimeOffset now)
    {
        var ms = (now - since).Ticks / TimeSpan.TicksPerMillisecond;
        return ms <= 0 ? 0 : ms / 1000;
    }

    /// <summary>The contract's timestamp format: <c>yyyy-MM-ddTHH:mm:ssZ</c>, UTC.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static void WriteMessages(
        Utf8JsonWriter w, QueueRef queue, IReadOnlyList<StoredMessage> messages, string? claimId, DateTimeOffset now)
    {
        w.WriteStartArray();
        foreach (var message in messages)
        {
            WriteMessage(w, queue, message, claimId, now);
        }

        w.WriteEndArray();
    }

    private static void WriteMessage(Utf8JsonWriter w, QueueRef queue, StoredMessage message, string? claimId, DateTimeOffset now)
    {
        w.WriteStartObject();
        w.WriteString("href"u8, claimId is null
            ? Hrefs.Message(queue.Name, message.Id)
            : Hrefs.ClaimedMessage(queue.Name, message.Id, claimId));
        w.WriteNumber("ttl"u8, message.Ttl);
        w.WriteNumber("age"u8, AgeSeconds(message.Created, now));
        w.WritePropertyName("body"u8);
        w.WriteRawValue(message.Body, skipInputValidation: true);
        w.WriteEndObject();
    }

    private static void WriteStamp(Utf8JsonWriter w, ReadOnlySpan<byte> name, QueueRef queue, MessageStamp stamp, DateTimeOffset now)
    {
        w.WriteStartObject(name);
        w.WriteNumber("age"u8, AgeSeconds(stamp.Created, now));
        w.WriteString("created"u8, Timestamp(stamp.Created));
        w.WriteString("href"u8, Hrefs.Message(queue.Name, stamp.Id));
        w.WriteEndObject();
    }

    private static void WriteNextLink(Utf8JsonWriter w, string href)
    {
        w.WriteStartArray("links"u8);
        w.WriteStartObject();
        w.WriteString("rel"u8, "next");
        w.WriteString("href"u8, href);
        w.WriteEndObject();
        w.WriteEndArray();
    }
}
