using System.Text.Json;

namespace Marconi.Core;

/// <summary>How a queue's subscribers are retried (v2 contract 10.5); absent members take the defaults.</summary>
public sealed record RetryPolicy(
    int RetriesWithNoDelay = 3, int MinimumDelayRetries = 3, int MinimumDelay = 5, int MaximumDelay = 30,
    int MaximumDelayRetries = 3, string BackoffFunction = "linear", bool IgnoreSubscriptionOverride = false);

/// <summary>
/// The queue behaviour set by reserved metadata keys (v2 contract 9.1). Metadata is stored as the
/// client sent it; these are the values the keys ask for, <c>null</c> where a key is not set.
/// </summary>
public sealed record QueueSettings(
    long? DefaultMessageTtl, long? MaxMessagesPostSize, long? DefaultMessageDelay, long? MaxClaimCount,
    string? DeadLetterQueue, long? DeadLetterQueueMessagesTtl, bool EncryptMessages, RetryPolicy? RetryPolicy)
{
    public static readonly QueueSettings None = new(null, null, null, null, null, null, false, null);

    /// <summary>Dead-lettering applies only when both the count and the target are set (9.5).</summary>
    public bool DeadLetters => MaxClaimCount is not null && DeadLetterQueue is not null;
}

/// <summary>The reserved keys of queue metadata: their names, their rules, and what a stored object asks for.</summary>
public static class ReservedMetadata
{
    public const string DefaultMessageTtl = "_default_message_ttl";
    public const string MaxMessagesPostSize = "_max_messages_post_size";
    public const string DefaultMessageDelay = "_default_message_delay";
    public const string MaxClaimCount = "_max_claim_count";
    public const string DeadLetterQueue = "_dead_letter_queue";
    public const string DeadLetterQueueMessagesTtl = "_dead_letter_queue_messages_ttl";
    public const string EnableEncryptMessages = "_enable_encrypt_messages";
    public const string RetryPolicy = "_retry_policy";
    public const string Flavor = "_flavor";

    private static readonly HashSet<string> Keys =
    [
        DefaultMessageTtl, MaxMessagesPostSize, DefaultMessageDelay, MaxClaimCount, DeadLetterQueue,
        DeadLetterQueueMessagesTtl, EnableEncryptMessages, RetryPolicy, Flavor,
    ];

    public static readonly string[] BackoffFunctions = ["linear", "arithmetic", "geometric", "exponential"];

    /// <summary>Most retries of one kind a retry policy may ask for.</summary>
    public const int MaxRetries = 100;

    /// <summary>Longest pause between two retries a retry policy may ask for, in seconds (a day).</summary>
    public const int MaxRetryDelay = 86400;

    public static bool IsReserved(string key) => Keys.Contains(key);

    /// <summary>
    /// Checks every reserved key of <paramref name="metadata"/> (an object); <c>null</c> means not set.
    /// <paramref name="fail"/> makes the error, whose title depends on the request (PUT or PATCH).
    /// </summary>
    public static void Validate(JsonElement metadata, string queueName, LimitsOptions limits, Func<string, MarconiException> fail)
    {
        foreach (var member in metadata.EnumerateObject())
        {
            var value = member.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            // A stored name escaping a lone surrogate is no reserved key (those are ASCII).
            switch (JsonText.NameOf(member))
            {
                case DefaultMessageTtl:
                    IntegerWithin(value, member.Name, LimitsOptions.MinMessageTtl, limits.MaxMessageTtl, fail);
                    break;
                case MaxMessagesPostSize:
                    IntegerWithin(value, member.Name, 1, limits.MaxMessagesPostSize, fail);
                    break;
                case DefaultMessageDelay:
                    IntegerWithin(value, member.Name, 0, limits.MaxMessageDelay, fail);
                    break;
                case MaxClaimCount:
                    IntegerWithin(value, member.Name, 0, long.MaxValue, fail);
                    break;
                case DeadLetterQueueMessagesTtl:
                    IntegerWithin(value, member.Name, LimitsOptions.MinMessageTtl, limits.MaxMessageTtl, fail);
                    break;
                case DeadLetterQueue:
                    if (!JsonText.TryGetString(value, out var deadLetterQueue) || !QueueNames.IsValid(deadLetterQueue))
                    {
                        throw fail($"{DeadLetterQueue} must be a valid queue name.");
                    }

                    if (deadLetterQueue == queueName)
                    {
                        throw fail($"{DeadLetterQueue} may not be the queue itself.");
                    }

                    break;
                case EnableEncryptMessages:
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        throw fail($"{EnableEncryptMessages} must be a boolean.");
                    }

                    break;
                case RetryPolicy:
                    ReadRetryPolicy(value, fail);
                    break;
                case Flavor:
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        throw fail($"{Flavor} must be a string.");
                    }

                    break;
            }
        }
    }

    /// <summary>What stored (already validated) metadata asks for.</summary>
    public static QueueSettings Read(string metadata)
    {
        using var document = JsonDocument.Parse(metadata);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return QueueSettings.None;
        }

        long? Integer(string key) =>
            JsonText.TryGetMember(root, key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

        return new QueueSettings(
            Integer(DefaultMessageTtl),
            Integer(MaxMessagesPostSize),
            Integer(DefaultMessageDelay),
            Integer(MaxClaimCount),
            JsonText.TryGetMember(root, DeadLetterQueue, out var dlq) && JsonText.TryGetString(dlq, out var dlqName) ? dlqName : null,
            Integer(DeadLetterQueueMessagesTtl),
            JsonText.TryGetMember(root, EnableEncryptMessages, out var encrypt) && encrypt.ValueKind == JsonValueKind.True,
            JsonText.TryGetMember(root, RetryPolicy, out var policy) && policy.ValueKind == JsonValueKind.Object
                ? ReadRetryPolicy(policy, message => Errors.InvalidApiRequest(message))
                : null);
    }

    /// <summary>Reads and checks a retry policy object (10.5).</summary>
    public static RetryPolicy ReadRetryPolicy(JsonElement value, Func<string, MarconiException> fail)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw fail($"{RetryPolicy} must be an object.");
        }

        var policy = new RetryPolicy();
        // The contract sets no upper bounds; these keep one subscriber's retries from becoming a
        // flood (counts) or outliving any reasonable outage (delays).
        int Int(string name, int fallback, int max)
        {
            if (!JsonText.TryGetMember(value, name, out var member) || member.ValueKind == JsonValueKind.Null)
            {
                return fallback;
            }

            return member.ValueKind == JsonValueKind.Number && member.TryGetInt32(out var n) && n >= 0 && n <= max
                ? n
                : throw fail($"{RetryPolicy}: {name} must be an integer from 0 to {max}.");
        }

        var function = policy.BackoffFunction;
        if (JsonText.TryGetMember(value, "retry_backoff_function", out var f) && f.ValueKind != JsonValueKind.Null)
        {
            function = JsonText.TryGetString(f, out var named) && BackoffFunctions.Contains(named)
                ? named
                : throw fail($"{RetryPolicy}: retry_backoff_function must be one of {string.Join(", ", BackoffFunctions)}.");
        }

        var ignore = false;
        if (JsonText.TryGetMember(value, "ignore_subscription_override", out var i) && i.ValueKind != JsonValueKind.Null)
        {
            ignore = i.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw fail($"{RetryPolicy}: ignore_subscription_override must be a boolean."),
            };
        }

        policy = new RetryPolicy(
            Int("retries_with_no_delay", policy.RetriesWithNoDelay, MaxRetries),
            Int("minimum_delay_retries", policy.MinimumDelayRetries, MaxRetries),
            Int("minimum_delay", policy.MinimumDelay, MaxRetryDelay),
            Int("maximum_delay", policy.MaximumDelay, MaxRetryDelay),
            Int("maximum_delay_retries", policy.MaximumDelayRetries, MaxRetries),
            function,
            ignore);
        if (policy.MaximumDelay < policy.MinimumDelay || policy.MaximumDelay - policy.MinimumDelay < 10)
        {
            throw fail($"{RetryPolicy}: maximum_delay must exceed minimum_delay by at least 10 seconds.");
        }

        return policy;
    }

    private static void IntegerWithin(JsonElement value, string key, long min, long max, Func<string, MarconiException> fail)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var n) || n < min || n > max)
        {
            throw fail(max == long.MaxValue
                ? $"{key} must be an integer of at least {min}."
                : $"{key} must be an integer from {min} to {max}.");
        }
    }
}
