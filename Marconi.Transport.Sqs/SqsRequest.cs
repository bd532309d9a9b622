using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Marconi.Transport.Sqs;

/// <summary>A message attribute as SQS carries it: a data type and a string or binary value.</summary>
public sealed record SqsAttributeValue(string DataType, string? StringValue, byte[]? BinaryValue);

/// <summary>
/// An action's parameters, whichever protocol carried them, as the JSON protocol names and shapes
/// them: the query protocol's flattened form (<c>Attribute.1.Name</c>, <c>SendMessageBatchRequestEntry.2.Id</c>, …)
/// is folded into the same tree, so an action reads its parameters one way.
/// </summary>
public sealed class SqsRequest
{
    /// <summary>Flattened maps of the query protocol: their JSON name and the names of key and value.</summary>
    private static readonly Dictionary<string, (string Json, string Key, string Value)> Maps = new(StringComparer.Ordinal)
    {
        ["Attribute"] = ("Attributes", "Name", "Value"),
        ["Tag"] = ("Tags", "Key", "Value"),
    };

    /// <summary>Flattened maps whose values are attribute values (<c>Value.StringValue</c>, <c>Value.DataType</c>, …).</summary>
    private static readonly Dictionary<string, string> AttributeMaps = new(StringComparer.Ordinal)
    {
        ["MessageAttribute"] = "MessageAttributes",
        ["MessageSystemAttribute"] = "MessageSystemAttributes",
    };

    private static readonly Dictionary<string, string> Lists = new(StringComparer.Ordinal)
    {
        ["AttributeName"] = "AttributeNames",
        ["MessageAttributeName"] = "MessageAttributeNames",
        ["MessageSystemAttributeName"] = "MessageSystemAttributeNames",
        ["TagKey"] = "TagKeys",
    };

    private static readonly HashSet<string> Entries =
        ["SendMessageBatchRequestEntry", "DeleteMessageBatchRequestEntry", "ChangeMessageVisibilityBatchRequestEntry"];

    private readonly JsonObject _root;

    private SqsRequest(JsonObject root) => _root = root;

    /// <summary>A JSON protocol body; anything but a JSON object is refused.</summary>
    public static SqsRequest FromJson(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return new SqsRequest([]);
        }

        try
        {
            if (JsonNode.Parse(body) is not JsonObject root)
            {
                throw SqsError.InvalidParameterValue("The request body must be a JSON object.");
            }

            Materialise(root);
            return new SqsRequest(root);
        }
        catch (JsonException)
        {
            throw SqsError.InvalidParameterValue("The request body is not valid JSON.");
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            // JsonNode reads member names on first use: a repeated name or one escaping a lone surrogate fails there.
            throw SqsError.InvalidParameterValue("The request body repeats a member name or has a name that is not valid UTF-16 text.");
        }
    }

    /// <summary>Reads every member name of the tree now, so a bad one fails where the caller can answer it.</summary>
    internal static void Materialise(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    Materialise(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Materialise(item);
                }

                break;
        }
    }

    /// <summary>The query protocol's parameters (form fields or query string), folded into the JSON shape.</summary>
    public static SqsRequest FromQuery(IEnumerable<KeyValuePair<string, string>> parameters) => new(Fold(parameters));

    private static JsonObject Fold(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var root = new JsonObject();
        var maps = new Dictionary<string, SortedDictionary<int, Dictionary<string, string>>>(StringComparer.Ordinal);
        foreach (var (key, value) in parameters)
        {
            var dot = key.IndexOf('.');
            var head = dot < 0 ? key : key[..dot];
            if (dot > 0 && (Maps.ContainsKey(head) || AttributeMaps.ContainsKey(head) || Lists.ContainsKey(head) || Entries.Contains(head)))
            {
                var rest = key[(dot + 1)..];
                var second = rest.IndexOf('.');
                var indexText = second < 0 ? rest : rest[..second];
                if (!int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    throw SqsError.InvalidParameterValue($"{key} is not a valid parameter name.");
                }

                var groups = maps.TryGetValue(head, out var g) ? g : maps[head] = new SortedDictionary<int, Dictionary<string, string>>();
                var group = groups.TryGetValue(index, out var found) ? found : groups[index] = new Dictionary<string, string>(StringComparer.Ordinal);
                group[second < 0 ? "" : rest[(second + 1)..]] = value;
            }
            else
            {
                root[key] = value;
            }
        }

        foreach (var (head, groups) in maps)
        {
            if (Maps.TryGetValue(head, out var map))
            {
                var folded = new JsonObject();
                foreach (var group in groups.Values)
                {
                    if (group.TryGetValue(map.Key, out var name))
                    {
                        folded[name] = group.GetValueOrDefault(map.Value, "");
                    }
                }

                // CreateQueue's JSON member is "tags"; it reads "Tags" as well, which the query protocol folds to.
                root[map.Json] = folded;
            }
            else if (AttributeMaps.TryGetValue(head, out var json))
            {
                var folded = new JsonObject();
                foreach (var group in groups.Values)
                {
                    if (group.TryGetValue("Name", out var name))
                    {
                        var value = new JsonObject();
                        foreach (var (member, text) in group)
                        {
                            if (member.StartsWith("Value.", StringComparison.Ordinal))
                            {
                                value[member["Value.".Length..]] = text;
                            }
                        }

                        folded[name] = value;
                    }
                }

                root[json] = folded;
            }
            else if (Lists.TryGetValue(head, out var list))
            {
                root[list] = new JsonArray([.. groups.Values.Select(g => (JsonNode?)JsonValue.Create(g.GetValueOrDefault("", "")))]);
            }
            else
            {
                root["Entries"] = new JsonArray([.. groups.Values.Select(g => (JsonNode?)Fold(g))]);
            }
        }

        return root;
    }

    public bool Has(string name) => _root.ContainsKey(name);

    /// <summary>A string parameter, null when absent.</summary>
    public string? String(string name)
    {
        if (!_root.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? Text(value, name)
            : throw SqsError.InvalidParameterValue($"{name} must be a string.");
    }

    public string Required(string name) =>
        String(name) is { Length: > 0 } value ? value : throw SqsError.MissingParameter(name);

    /// <summary>An integer parameter (a JSON number, or the query protocol's digits) within a range; null when absent.</summary>
    public int? Integer(string name, int min, int max)
    {
        if (!_root.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        long number;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var n))
        {
            number = n;
        }
        else if (node is JsonValue text && text.GetValueKind() == JsonValueKind.String
                 && long.TryParse(Text(text, name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            number = parsed;
        }
        else
        {
            throw SqsError.InvalidParameterValue($"Value for parameter {name} is invalid. Reason: it must be an integer.");
        }

        return number < min || number > max
            ? throw SqsError.InvalidParameterValue($"Value {number} for parameter {name} is invalid. Reason: Must be between {min} and {max}.")
            : (int)number;
    }

    /// <summary>A list of strings; empty when absent.</summary>
    public IReadOnlyList<string> Strings(string name)
    {
        if (!_root.TryGetPropertyValue(name, out var node) || node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            throw SqsError.InvalidParameterValue($"{name} must be a list of strings.");
        }

        return [.. array.Select(item => item is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? Text(v, name)
            : throw SqsError.InvalidParameterValue($"{name} must be a list of strings."))];
    }

    /// <summary>A map of strings (attributes, tags), in the order sent; empty when absent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> StringMap(string name)
    {
        if (!_root.TryGetPropertyValue(name, out var node) || node is null)
        {
            return [];
        }

        if (node is not JsonObject map)
        {
            throw SqsError.InvalidParameterValue($"{name} must be a map of strings.");
        }

        return [.. map.Select(member => member.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? new KeyValuePair<string, string>(member.Key, Text(v, name))
            : throw SqsError.InvalidParameterValue($"{name} must be a map of strings."))];
    }

    /// <summary>Message attributes by name; empty when absent.</summary>
    public IReadOnlyList<KeyValuePair<string, SqsAttributeValue>> AttributeValues(string name)
    {
        if (!_root.TryGetPropertyValue(name, out var node) || node is null)
        {
            return [];
        }

        if (node is not JsonObject map)
        {
            throw SqsError.InvalidParameterValue($"{name} must be a map of attribute values.");
        }

        var values = new List<KeyValuePair<string, SqsAttributeValue>>(map.Count);
        foreach (var (attribute, member) in map)
        {
            if (member is not JsonObject value)
            {
                throw SqsError.InvalidParameterValue($"The value of message attribute {attribute} must be an object.");
            }

            var inner = new SqsRequest(value);
            var dataType = inner.String("DataType") ?? throw SqsError.InvalidParameterValue($"The message attribute '{attribute}' must contain a non-empty attribute type.");
            byte[]? binary = null;
            if (inner.String("BinaryValue") is { } base64)
            {
                try
                {
                    binary = Convert.FromBase64String(base64);
                }
                catch (FormatException)
                {
                    throw SqsError.InvalidParameterValue($"The binary value of message attribute '{attribute}' is not valid base64.");
                }
            }

            values.Add(new(attribute, new SqsAttributeValue(dataType, inner.String("StringValue"), binary)));
        }

        return values;
    }

    /// <summary>A batch's entries, each read as a request of its own.</summary>
    public IReadOnlyList<SqsRequest> BatchEntries()
    {
        if (!_root.TryGetPropertyValue("Entries", out var node) || node is null)
        {
            return [];
        }

        return node is JsonArray array
            ? [.. array.Select(item => item is JsonObject entry ? new SqsRequest(entry) : throw SqsError.InvalidParameterValue("Each batch entry must be an object."))]
            : throw SqsError.InvalidParameterValue("Entries must be a list.");
    }

    /// <summary>A string value; a JSON escape of a lone surrogate has no string and is refused.</summary>
    private static string Text(JsonValue value, string name)
    {
        try
        {
            return value.GetValue<string>();
        }
        catch (InvalidOperationException)
        {
            throw SqsError.InvalidParameterValue($"{name} is not valid UTF-16 text.");
        }
    }
}
