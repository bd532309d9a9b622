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

    public static byte[] QueueList(QueueListResult result, string nextHref) => Rendering.Render(w =>
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
        Rendering.WriteLinks(w, nextHref);
        w.WriteEndObject();
    });

    public static byte[] Stats(QueueStatsResult result) => Rendering.Render(w =>
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

    public static byte[] PostResult(PostResult result) => Rendering.Render(w =>
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

    public static byte[] MessagePage(MessagePageResult result, string nextHref) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("messages"u8);
        WriteMessages(w, result.Queue, result.Messages, claimId: null, result.Now);
        Rendering.WriteLinks(w, nextHref);
        w.WriteEndObject();
    });

    /// <summary>A bare array of messages (get-many), hrefs without claim.</summary>
    public static byte[] Messages(MessagesResult result) =>
        Rendering.Render(w => WriteMessages(w, result.Queue, result.Messages, claimId: null, result.Now));

    /// <summary>One message object (get-one).</summary>
    public static byte[] Message(MessagesResult result) =>
        Rendering.Render(w => WriteMessage(w, result.Queue, result.Messages[0], claimId: null, result.Now));

    /// <summary>The array answered on claim creation; hrefs carry the claim id.</summary>
    public static byte[] ClaimedMessages(ClaimResult result) =>
        Rendering.Render(w => WriteMessages(w, result.Queue, result.Claim.Messages, result.Claim.Id, result.Now));

    /// <summary>A claim as read back (contract 3.17).</summary>
    public static byte[] Claim(ClaimResult result) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("age"u8, Rendering.AgeSeconds(result.Claim.Updated, result.Now));
        w.WriteNumber("ttl"u8, result.Claim.Ttl);
        w.WriteString("href"u8, Hrefs.Claim(result.Queue.Name, result.Claim.Id));
        w.WritePropertyName("messages"u8);
        WriteMessages(w, result.Queue, result.Claim.Messages, result.Claim.Id, result.Now);
        w.WriteEndObject();
    });

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
        w.WriteNumber("age"u8, Rendering.AgeSeconds(message.Created, now));
        w.WritePropertyName("body"u8);
        w.WriteRawValue(message.Body, skipInputValidation: true);
        w.WriteEndObject();
    }

    private static void WriteStamp(Utf8JsonWriter w, ReadOnlySpan<byte> name, QueueRef queue, MessageStamp stamp, DateTimeOffset now)
    {
        w.WriteStartObject(name);
        w.WriteNumber("age"u8, Rendering.AgeSeconds(stamp.Created, now));
        w.WriteString("created"u8, Rendering.Timestamp(stamp.Created));
        w.WriteString("href"u8, Hrefs.Message(queue.Name, stamp.Id));
        w.WriteEndObject();
    }
}
