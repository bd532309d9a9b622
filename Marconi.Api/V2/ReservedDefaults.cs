using System.Runtime.InteropServices;
using System.Text.Json;
using Marconi.Core;

namespace Marconi.Api.V2;

/// <summary>
/// v2 contract 3.4: a v2 reader sees a queue's stored metadata plus the reserved keys it does not
/// set (or sets to null) at their defaults. <c>_enable_encrypt_messages</c> is reported only when
/// stored: python-zaqarclient compares metadata exactly.
/// </summary>
public static class ReservedDefaults
{
    public static string Add(string stored, LimitsOptions limits)
    {
        using var document = JsonDocument.Parse(stored);
        (string Key, long? Value)[] defaults =
        [
            (ReservedMetadata.MaxMessagesPostSize, limits.MaxMessagesPostSize),
            (ReservedMetadata.DefaultMessageTtl, limits.DefaultMessageTtl),
            (ReservedMetadata.DefaultMessageDelay, limits.DefaultMessageDelay),
            (ReservedMetadata.DeadLetterQueue, null),
            (ReservedMetadata.DeadLetterQueueMessagesTtl, null),
            (ReservedMetadata.MaxClaimCount, null),
        ];

        var bytes = Rendering.Render(w =>
        {
            w.WriteStartObject();
            // Duplicate keys are stored as sent; the last one is the one that counts (v1 1.5).
            var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            var order = new List<string>();
            var rawNames = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var member in document.RootElement.EnumerateObject())
            {
                // A stored name escaping a lone surrogate (kept from before such input was
                // refused) is no reserved key; it is shown as stored.
                var name = JsonText.NameOf(member) ?? MetadataPatch.RawKey(rawNames, JsonMarshal.GetRawUtf8PropertyName(member));
                if (!members.ContainsKey(name))
                {
                    order.Add(name);
                }

                members[name] = member.Value;
            }

            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in order)
            {
                var value = members[name];
                if (value.ValueKind == JsonValueKind.Null && defaults.Any(d => d.Key == name))
                {
                    continue;
                }

                set.Add(name);
                if (JsonText.IsReadable(value) && !rawNames.ContainsKey(name))
                {
                    w.WritePropertyName(name);
                    value.WriteTo(w);
                }
                else if (rawNames.TryGetValue(name, out var rawName))
                {
                    JsonText.WriteRawMember(w, rawName, JsonText.Minify(JsonMarshal.GetRawUtf8Value(value)));
                }
                else
                {
                    w.WritePropertyName(name);
                    w.WriteRawValue(JsonText.Minify(JsonMarshal.GetRawUtf8Value(value)), skipInputValidation: true);
                }
            }

            foreach (var (key, value) in defaults)
            {
                if (set.Contains(key))
                {
                    continue;
                }

                if (value is { } number)
                {
                    w.WriteNumber(key, number);
                }
                else
                {
                    w.WriteNull(key);
                }
            }

            w.WriteEndObject();
        });
        return System.Text.Encoding.UTF8.GetString(bytes);
    }
}
