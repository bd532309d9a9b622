using System.Text.Json;
using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Storage;

namespace Marconi.Api.V1_1;

/// <summary>
/// The JSON representations of v1.1 and v2 (v2 contract 3), which differ only in their paths.
/// Every object has exactly the contract's members: python-zaqarclient builds objects from them
/// and rejects any other member. Message bodies are copied as the raw JSON that was posted.
/// </summary>
public sealed class V1_1Representation(Hrefs hrefs)
{
    public Hrefs Hrefs { get; } = hrefs;

    /// <summary>3.3 and 6.1; <paramref name="metadata"/> renders a queue's metadata for detailed listings.</summary>
    public byte[] QueueList(
        IReadOnlyList<QueueListItem> queues, string? nextHref, long? count, Func<QueueListItem, string>? metadata) =>
        Rendering.Render(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("queues"u8);
            foreach (var queue in queues)
            {
                w.WriteStartObject();
                w.WriteString("name"u8, queue.Name);
                w.WriteString("href"u8, Hrefs.Queue(queue.Name));
                if (metadata is not null)
                {
                    w.WritePropertyName("metadata"u8);
                    w.WriteRawValue(metadata(queue), skipInputValidation: true);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            Rendering.WriteLinks(w, nextHref);
            if (count is { } n)
            {
                w.WriteNumber("count"u8, n);
            }

            w.WriteEndObject();
        });

    /// <summary>
    /// 6.6: the v1 members; a missing queue has zeros. <c>delayed</c> only when the stats were asked
    /// for it (v2's <c>include_delayed</c>, a Marconi extension).
    /// </summary>
    public byte[] Stats(QueueRef queue, QueueStats stats, DateTimeOffset now) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("messages"u8);
        w.WriteNumber("claimed"u8, stats.Claimed);
        w.WriteNumber("free"u8, stats.Total - stats.Claimed);
        w.WriteNumber("total"u8, stats.Total);
        if (stats.Delayed is { } delayed)
        {
            w.WriteNumber("delayed"u8, delayed);
        }

        if (stats.Total > 0 && stats.Oldest is { } oldest && stats.Newest is { } newest)
        {
            WriteStamp(w, "oldest"u8, queue, oldest, now);
            WriteStamp(w, "newest"u8, queue, newest, now);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>7.1: <c>{"resources": [...]}</c>, no <c>partial</c>.</summary>
    public byte[] PostResult(PostResult result) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("resources"u8);
        foreach (var id in result.MessageIds)
        {
            w.WriteStringValue(Hrefs.Message(result.Queue.Name, id));
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>7.2: <c>{"messages": [...], "links": [...]}</c>, also when empty.</summary>
    public byte[] MessagePage(MessagePageResult result, string? nextHref) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("messages"u8);
        WriteMessages(w, result.Queue, result.Messages, result.Now);
        Rendering.WriteLinks(w, nextHref);
        w.WriteEndObject();
    });

    /// <summary>7.3 and 8.1: <c>{"messages": [...]}</c>.</summary>
    public byte[] Messages(QueueRef queue, IReadOnlyList<StoredMessage> messages, DateTimeOffset now) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("messages"u8);
        WriteMessages(w, queue, messages, now);
        w.WriteEndObject();
    });

    /// <summary>7.4: one message object.</summary>
    public byte[] Message(MessagesResult result) =>
        Rendering.Render(w => WriteMessage(w, result.Queue, result.Messages[0], result.Now));

    /// <summary>7.6: popped messages (3.2), which no longer have an href.</summary>
    public byte[] Popped(IReadOnlyList<StoredMessage> messages, DateTimeOffset now) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("messages"u8);
        foreach (var message in messages)
        {
            w.WriteStartObject();
            w.WriteString("id"u8, message.Id);
            w.WriteNumber("age"u8, Rendering.AgeSeconds(message.Created, now));
            w.WriteNumber("ttl"u8, message.Ttl);
            w.WritePropertyName("body"u8);
            w.WriteRawValue(message.Body, skipInputValidation: true);
            w.WriteNull("claim_id"u8);
            w.WriteNumber("claim_count"u8, message.ClaimCount);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>8.2 (3.5): a claim as read back.</summary>
    public byte[] Claim(ClaimResult result) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("age"u8, Rendering.AgeSeconds(result.Claim.Updated, result.Now));
        w.WriteNumber("ttl"u8, result.Claim.Ttl);
        w.WriteString("href"u8, Hrefs.Claim(result.Queue.Name, result.Claim.Id));
        w.WritePropertyName("messages"u8);
        WriteMessages(w, result.Queue, result.Claim.Messages, result.Now, result.Claim.Id);
        w.WriteEndObject();
    });

    /// <summary>8.1: the claimed messages, each href naming the claim.</summary>
    public byte[] ClaimedMessages(ClaimResult result) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WritePropertyName("messages"u8);
        WriteMessages(w, result.Queue, result.Claim.Messages, result.Now, result.Claim.Id);
        w.WriteEndObject();
    });

    private void WriteMessages(
        Utf8JsonWriter w, QueueRef queue, IReadOnlyList<StoredMessage> messages, DateTimeOffset now, string? claimId = null)
    {
        w.WriteStartArray();
        foreach (var message in messages)
        {
            WriteMessage(w, queue, message, now, claimId);
        }

        w.WriteEndArray();
    }

    /// <summary>3.1: a message held by a live claim names it in its href, in every response.</summary>
    private void WriteMessage(Utf8JsonWriter w, QueueRef queue, StoredMessage message, DateTimeOffset now, string? claimId = null)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, message.Id);
        w.WriteString("href"u8, (claimId ?? message.ClaimId) is { } claim
            ? Hrefs.ClaimedMessage(queue.Name, message.Id, claim)
            : Hrefs.Message(queue.Name, message.Id));
        w.WriteNumber("ttl"u8, message.Ttl);
        w.WriteNumber("age"u8, Rendering.AgeSeconds(message.Created, now));
        w.WritePropertyName("body"u8);
        w.WriteRawValue(message.Body, skipInputValidation: true);
        w.WriteEndObject();
    }

    private void WriteStamp(Utf8JsonWriter w, ReadOnlySpan<byte> name, QueueRef queue, MessageStamp stamp, DateTimeOffset now)
    {
        w.WriteStartObject(name);
        w.WriteNumber("age"u8, Rendering.AgeSeconds(stamp.Created, now));
        w.WriteString("created"u8, Rendering.Timestamp(stamp.Created));
        w.WriteString("href"u8, Hrefs.Message(queue.Name, stamp.Id));
        w.WriteEndObject();
    }
}
