using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Marconi.Core;

namespace Marconi.Transport.Sqs;

/// <summary>
/// SQS queue attributes over Marconi queue metadata. Those Marconi has are its reserved keys:
/// DelaySeconds is <c>_default_message_delay</c>, MessageRetentionPeriod <c>_default_message_ttl</c>,
/// MaximumMessageSize <c>_max_messages_post_size</c>, RedrivePolicy <c>_dead_letter_queue</c> and
/// <c>_max_claim_count</c>, SqsManagedSseEnabled <c>_enable_encrypt_messages</c>; so a v2 client
/// sees and sets them too, and sends read them from the settings cache as posts do. The rest
/// (VisibilityTimeout, ReceiveMessageWaitTimeSeconds, timestamps, tags, and a FIFO queue's
/// ContentBasedDeduplication, DeduplicationScope and FifoThroughputLimit) live under <c>_sqs</c>.
/// A queue is a FIFO queue when its name ends in <c>.fifo</c>, as in SQS.
/// </summary>
public static class SqsQueueAttributes
{
    public const string Member = "_sqs";
    public const int DefaultVisibilityTimeout = 30;
    public const int DefaultRetentionPeriod = 345600;

    public const string FifoSuffix = ".fifo";

    /// <summary>Attributes of FIFO queues only.</summary>
    public static readonly string[] Fifo = ["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"];

    public static bool IsFifo(string queueName) => queueName.EndsWith(FifoSuffix, StringComparison.Ordinal);

    /// <summary>Attributes SQS has that need AWS itself (IAM policies, KMS).</summary>
    public static readonly HashSet<string> Unsupported = ["Policy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"];

    public static readonly string[] Settable =
        ["DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "RedrivePolicy", "SqsManagedSseEnabled"];

    public static readonly string[] ReadOnly =
        ["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp"];

    public static string Arn(string region, string project, string queue) => $"arn:aws:sqs:{region}:{project}:{queue}";

    /// <summary>
    /// Applies <paramref name="attributes"/> to the metadata object <paramref name="metadata"/>;
    /// <paramref name="deadLetterQueueOf"/> reads a RedrivePolicy's target ARN to a queue name of the project.
    /// <paramref name="fifo"/> says whether the queue is a FIFO queue (FifoQueue must agree; FIFO-only
    /// attributes are unknown to a standard queue, as in SQS).
    /// </summary>
    public static void Apply(
        JsonObject metadata, IReadOnlyList<KeyValuePair<string, string>> attributes, LimitsOptions limits,
        Func<string, string> deadLetterQueueOf, DateTimeOffset now, bool fifo)
    {
        var sqs = metadata[Member] as JsonObject ?? new JsonObject();
        foreach (var (name, value) in attributes)
        {
            if (!fifo && Fifo.Contains(name) && !(name == "FifoQueue" && value == "false"))
            {
                throw name == "FifoQueue"
                    ? FifoNameRequired()
                    : SqsError.InvalidAttributeName(name);
            }

            switch (name)
            {
                case "FifoQueue":
                    if (fifo && value != "true")
                    {
                        throw FifoNameRequired();
                    }

                    break;
                case "ContentBasedDeduplication":
                    sqs[name] = Boolean(name, value);
                    break;
                case "DeduplicationScope":
                    sqs[name] = value is "queue" or "messageGroup"
                        ? value
                        : throw SqsError.InvalidAttributeValue($"Invalid value for the parameter {name}: it must be queue or messageGroup.");
                    break;
                case "FifoThroughputLimit":
                    sqs[name] = value is "perQueue" or "perMessageGroupId"
                        ? value
                        : throw SqsError.InvalidAttributeValue($"Invalid value for the parameter {name}: it must be perQueue or perMessageGroupId.");
                    break;
                case "DelaySeconds":
                    metadata[ReservedMetadata.DefaultMessageDelay] = Integer(name, value, 0, limits.MaxMessageDelay);
                    break;
                case "MessageRetentionPeriod":
                    metadata[ReservedMetadata.DefaultMessageTtl] = Integer(name, value, LimitsOptions.MinMessageTtl, limits.MaxMessageTtl);
                    break;
                case "MaximumMessageSize":
                    metadata[ReservedMetadata.MaxMessagesPostSize] = Integer(name, value, SqsMessages.MinMaximumMessageSize, MaximumMessageSizeDefault(limits));
                    break;
                case "ReceiveMessageWaitTimeSeconds":
                    sqs[name] = Integer(name, value, 0, limits.MaxClaimWaitSeconds);
                    break;
                case "VisibilityTimeout":
                    sqs[name] = Integer(name, value, 0, limits.MaxClaimTtl);
                    break;
                case "SqsManagedSseEnabled":
                    metadata[ReservedMetadata.EnableEncryptMessages] = Boolean(name, value);
                    break;
                case "RedrivePolicy":
                    ApplyRedrivePolicy(metadata, value, deadLetterQueueOf);
                    break;
                default:
                    throw Unsupported.Contains(name)
                        ? SqsError.UnsupportedOperation($"The attribute {name} is not supported by this endpoint.")
                        : SqsError.InvalidAttributeName(name);
            }
        }

        if (attributes.Any(a => a.Key is "DeduplicationScope" or "FifoThroughputLimit")
            && StringOf(sqs, "FifoThroughputLimit") == "perMessageGroupId" && StringOf(sqs, "DeduplicationScope") != "messageGroup")
        {
            // SQS: a throughput limit per message group is allowed only with deduplication per message group.
            throw SqsError.InvalidAttributeValue("FifoThroughputLimit perMessageGroupId is allowed only when DeduplicationScope is messageGroup.");
        }

        sqs["LastModifiedTimestamp"] = now.ToUnixTimeSeconds();
        if (!sqs.ContainsKey("CreatedTimestamp"))
        {
            sqs["CreatedTimestamp"] = now.ToUnixTimeSeconds();
        }

        metadata[Member] = sqs;
    }

    private static void ApplyRedrivePolicy(JsonObject metadata, string value, Func<string, string> deadLetterQueueOf)
    {
        if (value.Length == 0)
        {
            metadata.Remove(ReservedMetadata.DeadLetterQueue);
            metadata.Remove(ReservedMetadata.MaxClaimCount);
            return;
        }

        try
        {
            using var policy = JsonDocument.Parse(value);
            var root = policy.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("deadLetterTargetArn", out var arn) && arn.ValueKind == JsonValueKind.String
                && root.TryGetProperty("maxReceiveCount", out var count)
                && (count.ValueKind == JsonValueKind.Number ? count.TryGetInt32(out var n) : int.TryParse(count.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n))
                && n is >= 1 and <= 1000)
            {
                metadata[ReservedMetadata.DeadLetterQueue] = deadLetterQueueOf(arn.GetString()!);
                metadata[ReservedMetadata.MaxClaimCount] = n;
                return;
            }
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or ArgumentException)
        {
        }

        throw SqsError.InvalidAttributeValue(
            "Value for parameter RedrivePolicy is invalid. Reason: it must be {\"deadLetterTargetArn\": \"<queue ARN>\", \"maxReceiveCount\": 1 to 1000}.");
    }

    /// <summary>SQS's answer to a FIFO attribute that does not match the queue's name.</summary>
    public static SqsError FifoNameRequired() => SqsError.InvalidParameterValue(
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.");

    private static bool Boolean(string name, string value) =>
        bool.TryParse(value, out var on)
            ? on
            : throw SqsError.InvalidAttributeValue($"Invalid value for the parameter {name}: it must be true or false.");

    private static int Integer(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw SqsError.InvalidAttributeValue($"Invalid value for the parameter {name}: it must be an integer from {min} to {max}.");

    /// <summary>The settable attributes as stored, with SQS's defaults where nothing is stored.</summary>
    public static Dictionary<string, string> Read(string metadataText, LimitsOptions limits, string region, string project, bool fifo)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var settings = ReservedMetadata.Read(metadataText);
        var sqs = SqsObject(metadataText);

        // Set through the v2 API too: what is not a plain non-negative int is read as not set.
        string Of(string name, long fallback) =>
            (sqs?[name] is JsonValue v && v.TryGetValue<int>(out var n) && n >= 0 ? n : fallback).ToString(CultureInfo.InvariantCulture);

        values["DelaySeconds"] = (settings.DefaultMessageDelay ?? limits.DefaultMessageDelay).ToString(CultureInfo.InvariantCulture);
        values["MessageRetentionPeriod"] = (settings.DefaultMessageTtl ?? RetentionDefault(limits)).ToString(CultureInfo.InvariantCulture);
        values["MaximumMessageSize"] = (settings.MaxMessagesPostSize ?? MaximumMessageSizeDefault(limits)).ToString(CultureInfo.InvariantCulture);
        values["ReceiveMessageWaitTimeSeconds"] = Of("ReceiveMessageWaitTimeSeconds", 0);
        values["VisibilityTimeout"] = Of("VisibilityTimeout", DefaultVisibilityTimeout);
        values["SqsManagedSseEnabled"] = settings.EncryptMessages ? "true" : "false";
        if (settings.DeadLetters)
        {
            values["RedrivePolicy"] = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["deadLetterTargetArn"] = Arn(region, project, settings.DeadLetterQueue!),
                ["maxReceiveCount"] = settings.MaxClaimCount!.Value,
            });
        }

        if (fifo)
        {
            var terms = FifoTermsOf(sqs);
            values["FifoQueue"] = "true";
            values["ContentBasedDeduplication"] = terms.ContentBasedDeduplication ? "true" : "false";
            values["DeduplicationScope"] = terms.DeduplicateByGroup ? "messageGroup" : "queue";
            values["FifoThroughputLimit"] = StringOf(sqs, "FifoThroughputLimit") == "perMessageGroupId" ? "perMessageGroupId" : "perQueue";
        }

        foreach (var stamp in new[] { "CreatedTimestamp", "LastModifiedTimestamp" })
        {
            if (sqs?[stamp] is JsonValue v && v.TryGetValue<long>(out var seconds))
            {
                values[stamp] = seconds.ToString(CultureInfo.InvariantCulture);
            }
        }

        return values;
    }

    /// <summary>What a send to a FIFO queue needs of its attributes.</summary>
    public static FifoTerms FifoTerms(string metadataText) => FifoTermsOf(SqsObject(metadataText));

    private static FifoTerms FifoTermsOf(JsonObject? sqs) => new(
        sqs?["ContentBasedDeduplication"] is JsonValue c && c.TryGetValue<bool>(out var content) && content,
        StringOf(sqs, "DeduplicationScope") == "messageGroup");

    /// <summary>A string member of <c>_sqs</c>; anything else (set through the v2 API) reads as not set.</summary>
    private static string? StringOf(JsonObject? sqs, string name) =>
        sqs?[name] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    private static JsonObject? SqsObject(string metadataText)
    {
        try
        {
            var found = (JsonNode.Parse(metadataText) as JsonObject)?[Member] as JsonObject;
            // Member names are read on first use: a repeated one fails here, inside the try.
            _ = found?.Count;
            return found;
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>SQS's largest message (256 KiB), within the host's largest post.</summary>
    public static int MaximumMessageSizeDefault(LimitsOptions limits) => Math.Min(SqsMessages.DefaultMaximumMessageSize, limits.MaxMessagesPostSize);

    /// <summary>SQS's default retention (4 days), within the host's longest message TTL.</summary>
    public static int RetentionDefault(LimitsOptions limits) => Math.Min(DefaultRetentionPeriod, limits.MaxMessageTtl);

    /// <summary>The queue's tags (under <c>_sqs</c>), in stored order.</summary>
    public static List<KeyValuePair<string, string>> Tags(string metadataText)
    {
        try
        {
            if ((JsonNode.Parse(metadataText) as JsonObject)?[Member] is JsonObject sqs && sqs["Tags"] is JsonObject tags)
            {
                return [.. tags.Where(t => t.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    .Select(t => new KeyValuePair<string, string>(t.Key, t.Value!.GetValue<string>()))];
            }
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or ArgumentException)
        {
        }

        return [];
    }
}

/// <summary>A FIFO queue's deduplication settings.</summary>
/// <param name="DeduplicateByGroup">DeduplicationScope is messageGroup.</param>
public sealed record FifoTerms(bool ContentBasedDeduplication, bool DeduplicateByGroup);
