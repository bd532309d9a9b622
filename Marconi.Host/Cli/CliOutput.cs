using System.Text.Encodings.Web;
using System.Text.Json;
using Marconi.Client;

namespace Marconi.Host.Cli;

/// <summary>How results are printed: compact JSON (one document per command, for pipes) or a table for people.</summary>
internal sealed class CliOutput(TextWriter stdout, bool table, string root = "/v1")
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            write(writer);
        }

        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    public void Raw(JsonElement value) => Json(value.WriteTo);

    /// <summary>A result that is one JSON object, or key/value rows for people.</summary>
    public void Object(IReadOnlyList<(string Key, object? Value)> fields)
    {
        if (table)
        {
            Table(["FIELD", "VALUE"], fields.Select(f => new[] { f.Key, Text(f.Value) }));
            return;
        }

        Json(w => WriteFields(w, fields));
    }

    public void Messages(IReadOnlyList<MarconiMessage> messages)
    {
        if (table)
        {
            Table(["ID", "TTL", "AGE", "BODY"], messages.Select(m => new[] { m.Id, Text(m.Ttl), Text(m.Age), m.Body.GetRawText() }));
            return;
        }

        Json(w =>
        {
            w.WriteStartArray();
            foreach (var message in messages)
            {
                WriteMessage(w, message);
            }

            w.WriteEndArray();
        });
    }

    public void Message(MarconiMessage message)
    {
        if (table)
        {
            Messages([message]);
            return;
        }

        Json(w => WriteMessage(w, message));
    }

    public void Claim(MarconiClaim claim)
    {
        if (table)
        {
            stdout.WriteLine($"claim {claim.Id} (ttl {claim.Ttl} s, age {claim.Age} s), {claim.Href}");
            Messages(claim.Messages);
            return;
        }

        Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", claim.Id);
            w.WriteString("href", claim.Href);
            w.WriteNumber("ttl", claim.Ttl);
            w.WriteNumber("age", claim.Age);
            w.WriteStartArray("messages");
            foreach (var message in claim.Messages)
            {
                WriteMessage(w, message);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    public void Queues(IReadOnlyList<MarconiQueue> queues)
    {
        if (table)
        {
            Table(["NAME", "METADATA"], queues.Select(q => new[] { q.Name, q.Metadata?.GetRawText() ?? "" }));
            return;
        }

        Json(w =>
        {
            w.WriteStartArray();
            foreach (var queue in queues)
            {
                w.WriteStartObject();
                w.WriteString("name", queue.Name);
                w.WriteString("href", $"{root}/queues/{queue.Name}");
                if (queue.Metadata is { } metadata)
                {
                    w.WritePropertyName("metadata");
                    WriteVerbatim(w, metadata);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    /// <summary>Popped messages (v2): no href, since they no longer exist.</summary>
    public void Popped(IReadOnlyList<PoppedMessage> messages)
    {
        if (table)
        {
            Table(["ID", "TTL", "AGE", "CLAIMS", "BODY"], messages.Select(m => new[] { m.Id, Text(m.Ttl), Text(m.Age), Text(m.ClaimCount), m.Body.GetRawText() }));
            return;
        }

        Json(w =>
        {
            w.WriteStartArray();
            foreach (var m in messages)
            {
                w.WriteStartObject();
                w.WriteString("id", m.Id);
                w.WriteNumber("ttl", m.Ttl);
                w.WriteNumber("age", m.Age);
                w.WriteNumber("claim_count", m.ClaimCount);
                w.WritePropertyName("body");
                WriteVerbatim(w, m.Body);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    public void Subscriptions(IReadOnlyList<MarconiSubscription> subscriptions)
    {
        if (table)
        {
            Table(["ID", "SUBSCRIBER", "TTL", "AGE", "CONFIRMED", "OPTIONS"],
                subscriptions.Select(s => new[] { s.Id, s.Subscriber, Text(s.Ttl), Text(s.Age), Text(s.Confirmed), s.Options.GetRawText() }));
            return;
        }

        Json(w =>
        {
            w.WriteStartArray();
            foreach (var s in subscriptions)
            {
                WriteFields(w, SubscriptionFields(s));
            }

            w.WriteEndArray();
        });
    }

    public void Subscription(MarconiSubscription subscription) => Object(SubscriptionFields(subscription));

    /// <summary>A grant in the server's own shape, so that <c>--grant</c> reads it back.</summary>
    public void Grant(SignedUrlGrant grant) => Object(
    [
        ("paths", grant.Paths), ("methods", grant.Methods), ("project", grant.Project), ("expires", grant.Expires), ("signature", grant.Signature),
    ]);

    /// <summary>API keys, in the server's own shape but for the href; never a secret.</summary>
    public void Keys(IReadOnlyList<MarconiApiKey> keys)
    {
        if (table)
        {
            Table(["ID", "NAME", "SCOPE", "PROJECT", "ROLE", "CREATED", "EXPIRES", "LAST_USED", "REVOKED"],
                keys.Select(k => KeyFields(k).Select(f => Text(f.Item2)).ToArray()));
            return;
        }

        Json(w =>
        {
            w.WriteStartArray();
            foreach (var key in keys)
            {
                WriteFields(w, KeyFields(key));
            }

            w.WriteEndArray();
        });
    }

    public void Key(MarconiApiKey key) => Object(KeyFields(key));

    private static (string, object?)[] KeyFields(MarconiApiKey k) =>
    [
        ("id", k.Id), ("name", k.Name), ("scope", k.IsAdmin ? "admin" : "project"), ("project", k.Project),
        ("role", k.Role.ToString().ToLowerInvariant()), ("created", Time(k.Created)), ("expires", Time(k.Expires)),
        ("last_used", Time(k.LastUsed)), ("revoked", Time(k.Revoked)),
    ];

    /// <summary>UTC to the second, as the server writes times.</summary>
    private static string? Time(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public void Settings(string queue, QueueSettings settings) => Object(
    [
        ("name", queue), ("default_message_ttl", settings.DefaultMessageTtl), ("default_message_delay", settings.DefaultMessageDelay),
        ("max_messages_post_size", settings.MaxMessagesPostSize), ("max_claim_count", settings.MaxClaimCount),
        ("dead_letter_queue", settings.DeadLetterQueue), ("dead_letter_queue_messages_ttl", settings.DeadLetterQueueMessagesTtl),
    ]);

    private static (string, object?)[] SubscriptionFields(MarconiSubscription s) =>
    [
        ("id", s.Id), ("source", s.Source), ("subscriber", s.Subscriber), ("ttl", s.Ttl), ("age", s.Age), ("options", s.Options), ("confirmed", s.Confirmed),
    ];

    private static void WriteFields(Utf8JsonWriter w, IReadOnlyList<(string Key, object? Value)> fields)
    {
        w.WriteStartObject();
        foreach (var (key, value) in fields)
        {
            w.WritePropertyName(key);
            Write(w, value);
        }

        w.WriteEndObject();
    }

    /// <summary>A JSON value as received (stats, metadata); a table shows its top-level members.</summary>
    public void Document(JsonElement document)
    {
        if (table && document.ValueKind == JsonValueKind.Object)
        {
            Table(["FIELD", "VALUE"], document.EnumerateObject().Select(p => new[] { p.Name, p.Value.ToString() }));
            return;
        }

        Raw(document);
    }

    private static void WriteMessage(Utf8JsonWriter w, MarconiMessage message)
    {
        w.WriteStartObject();
        w.WriteString("id", message.Id);
        w.WriteString("href", message.Href);
        w.WriteNumber("ttl", message.Ttl);
        w.WriteNumber("age", message.Age);
        if (message.ClaimId is not null)
        {
            w.WriteString("claim_id", message.ClaimId);
        }

        w.WritePropertyName("body");
        WriteVerbatim(w, message.Body);
        w.WriteEndObject();
    }

    /// <summary>A JSON value as the server sent it (a body may escape a lone surrogate, which WriteTo cannot re-encode).</summary>
    private static void WriteVerbatim(Utf8JsonWriter w, JsonElement value) => Marconi.Core.JsonText.WriteValue(w, value);

    private static void Write(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case JsonElement e:
                WriteVerbatim(w, e);
                break;
            case IEnumerable<string> list:
                w.WriteStartArray();
                foreach (var item in list)
                {
                    w.WriteStringValue(item);
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteStringValue(value.ToString());
                break;
        }
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        JsonElement e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText(),
        IEnumerable<string> list => string.Join(",", list),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private void Table(string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        stdout.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in all)
        {
            stdout.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }
}
