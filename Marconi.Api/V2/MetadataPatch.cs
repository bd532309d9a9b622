using System.Runtime.InteropServices;
using System.Text.Json;
using Marconi.Core;

namespace Marconi.Api.V2;

/// <summary>
/// The JSON-patch dialect of <c>PATCH /v2/queues/{q}</c> (v2 contract 6.4): <c>add</c>,
/// <c>replace</c> and <c>remove</c> of one top-level key under <c>/metadata</c>, where replacing or
/// removing an unset reserved key is allowed and any other missing key is a conflict.
/// Written here rather than taken from a JSON Patch library: the dialect's two-token paths,
/// reserved-key tolerance and 409s are not general JSON Patch, and applying it is a map update.
/// </summary>
public static class MetadataPatch
{
    public const string MediaType = "application/openstack-messaging-v2.0-json-patch";

    /// <param name="Value">The value's JSON text (add and replace), null for remove.</param>
    public sealed record Operation(string Op, string Key, string? Value);

    /// <summary>Step 4: every operation well formed, else 400 <c>Invalid request body</c>.</summary>
    public static List<Operation> Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw Errors.InvalidBody("A queue PATCH body must be a JSON array of operations.");
        }

        var operations = new List<Operation>(root.GetArrayLength());
        foreach (var element in root.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw Errors.InvalidBody("Each patch operation must be an object.");
            }

            if (!JsonBody.TryGetMember(element, "op", out var op) || op.ValueKind != JsonValueKind.String
                || op.GetString() is not ("add" or "remove" or "replace"))
            {
                throw Errors.InvalidBody("Each patch operation needs an \"op\" of add, remove or replace.");
            }

            if (!JsonBody.TryGetMember(element, "path", out var path) || path.ValueKind != JsonValueKind.String)
            {
                throw Errors.InvalidBody("Each patch operation needs a \"path\" string.");
            }

            var key = MetadataKey(path.GetString()!);
            string? value = null;
            if (op.GetString() != "remove")
            {
                value = JsonBody.TryGetMember(element, "value", out var v)
                    ? v.GetRawText()
                    : throw Errors.InvalidBody($"The {op.GetString()} operation needs a \"value\".");
            }

            operations.Add(new Operation(op.GetString()!, key, value));
        }

        return operations;
    }

    /// <summary>Step 6: the operations applied in order to a copy of the stored object; 409 on a missing key.</summary>
    public static string Apply(string stored, IReadOnlyList<Operation> operations)
    {
        using var document = JsonDocument.Parse(stored);
        var order = new List<string>();
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        var rawNames = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var member in document.RootElement.EnumerateObject())
        {
            // A stored name escaping a lone surrogate (kept from before such input was refused) has
            // no string, so no operation names it; it keeps its place under a key no decoded name
            // can equal (one holding a lone surrogate) and is written back as stored.
            var name = JsonText.NameOf(member) ?? RawKey(rawNames, JsonMarshal.GetRawUtf8PropertyName(member));
            if (!members.ContainsKey(name))
            {
                order.Add(name);
            }

            members[name] = member.Value.GetRawText();
        }

        foreach (var operation in operations)
        {
            var present = members.ContainsKey(operation.Key);
            switch (operation.Op)
            {
                case "replace" when !present && !ReservedMetadata.IsReserved(operation.Key):
                    throw Errors.Conflict($"Can't replace non-existent object {operation.Key}.");
                case "remove" when !present && !ReservedMetadata.IsReserved(operation.Key):
                    throw Errors.Conflict($"Can't remove non-existent object {operation.Key}.");
                case "remove":
                    members.Remove(operation.Key);
                    order.Remove(operation.Key);
                    break;
                default:
                    if (!present)
                    {
                        order.Add(operation.Key);
                    }

                    members[operation.Key] = operation.Value!;
                    break;
            }
        }

        return System.Text.Encoding.UTF8.GetString(Rendering.Render(w =>
        {
            w.WriteStartObject();
            foreach (var key in order)
            {
                if (rawNames.TryGetValue(key, out var rawName))
                {
                    JsonText.WriteRawMember(w, rawName, System.Text.Encoding.UTF8.GetBytes(members[key]));
                    continue;
                }

                w.WritePropertyName(key);
                w.WriteRawValue(members[key], skipInputValidation: true);
            }

            w.WriteEndObject();
        }));
    }

    /// <summary>A key for a name without a string: a lone surrogate and a number, which no decoded name holds.</summary>
    internal static string RawKey(Dictionary<string, byte[]> rawNames, ReadOnlySpan<byte> rawName)
    {
        var key = "\uD800" + rawNames.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        rawNames[key] = rawName.ToArray();
        return key;
    }

    /// <summary>
    /// A JSON pointer of exactly two tokens, the first <c>metadata</c> (any case): no empty token,
    /// no trailing slash, <c>~</c> only in <c>~0</c> and <c>~1</c>. Returns the decoded key.
    /// </summary>
    private static string MetadataKey(string pointer)
    {
        var tokens = pointer.Split('/');
        if (tokens.Length != 3 || tokens[0].Length != 0 || tokens[1].Length == 0 || tokens[2].Length == 0
            || !tokens[1].Equals("metadata", StringComparison.OrdinalIgnoreCase))
        {
            throw Errors.InvalidBody($"The path {pointer} must name one key under /metadata.");
        }

        var raw = tokens[2];
        for (var i = raw.IndexOf('~'); i >= 0; i = raw.IndexOf('~', i + 1))
        {
            if (i + 1 >= raw.Length || raw[i + 1] is not ('0' or '1'))
            {
                throw Errors.InvalidBody($"The path {pointer} is not a valid JSON pointer.");
            }
        }

        return raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
    }
}
