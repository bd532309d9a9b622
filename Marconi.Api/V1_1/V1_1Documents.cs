using System.Runtime.InteropServices;
using System.Text.Json;
using Marconi.Core;
using Marconi.Core.Validation;

namespace Marconi.Api.V1_1;

/// <summary>The request documents of v1.1 and v2 (v2 contract 2.5, 6.2, 7.1, 8.1, 8.3).</summary>
internal static class V1_1Documents
{
    /// <summary>
    /// The metadata of <c>PUT /queues/{q}</c> (6.2): optional; an object whose reserved keys are
    /// valid. Returns the object's text, <c>{}</c> without a body.
    /// </summary>
    public static async Task<string> ReadQueueMetadataAsync(
        IRequestBody body, string queueName, LimitsOptions limits, CancellationToken cancellationToken)
    {
        if (body.DeclaredLength > limits.MaxQueueMetadata)
        {
            throw Errors.InvalidApiRequest($"Queue metadata may not exceed {limits.MaxQueueMetadata} bytes.");
        }

        if (IsEmpty(body))
        {
            return "{}";
        }

        var bytes = await body.ReadAsync(limits.MaxQueueMetadata, cancellationToken)
            ?? throw Errors.InvalidApiRequest($"Queue metadata may not exceed {limits.MaxQueueMetadata} bytes.");
        if (bytes.Length == 0)
        {
            return "{}";
        }

        using var document = JsonBody.Parse(bytes);
        var metadata = JsonBody.RequireObject(document);
        ReservedMetadata.Validate(metadata, queueName, limits, Errors.InvalidApiRequest);
        return metadata.GetRawText();
    }

    /// <summary>
    /// The post body of 7.1: <c>{"messages": [{"ttl"?, "body", "delay"?}, …]}</c>. A missing
    /// <c>ttl</c> takes <paramref name="defaultTtl"/>; <c>delay</c> is read only when
    /// <paramref name="queueDelay"/> is not 0 (a delayed v2 queue), and defaults to it.
    /// </summary>
    public static async Task<List<MessageDocument>> ReadMessagesAsync(
        IRequestBody body, int maxBytes, string tooLarge, long defaultTtl, long queueDelay,
        CancellationToken cancellationToken)
    {
        using var document = await JsonBody.ReadAsync(body, maxBytes, tooLarge, cancellationToken, MessageBodies.MessagesMember);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !JsonBody.TryGetMember(root, "messages", out var list))
        {
            throw Errors.InvalidApiRequest("No messages were found in the request body.");
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw Errors.InvalidBody("\"messages\" must be an array.");
        }

        var messages = new List<MessageDocument>(list.GetArrayLength());
        foreach (var element in list.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw Errors.InvalidBody("Each message must be a JSON object.");
            }

            var ttl = JsonBody.Integer(element, "ttl", required: false) ?? defaultTtl;
            if (!JsonBody.TryGetMember(element, "body", out var messageBody))
            {
                throw Errors.InvalidBody("field \"body\" is required.");
            }

            var delay = queueDelay != 0 ? JsonBody.Integer(element, "delay", required: false) ?? queueDelay : 0;
            // The body's bytes as sent: no text is made of them on the way to storage.
            messages.Add(new MessageDocument(ttl, JsonMarshal.GetRawUtf8Value(messageBody).ToArray(), delay));
        }

        return messages;
    }

    /// <summary>
    /// A claim document: <c>ttl</c> and <c>grace</c>, optional integers with the configured
    /// defaults. With <paramref name="optional"/> (claim create) no body means the defaults.
    /// </summary>
    public static async Task<(long Ttl, long Grace)> ReadClaimAsync(
        IRequestBody body, LimitsOptions limits, bool optional, CancellationToken cancellationToken)
    {
        if (optional && IsEmpty(body))
        {
            return (limits.DefaultClaimTtl, limits.DefaultClaimGrace);
        }

        using var document = await JsonBody.ReadAsync(
            body, limits.MaxMessagesPostSize,
            $"A claim document may not exceed {limits.MaxMessagesPostSize} bytes.", cancellationToken);
        var root = JsonBody.RequireObject(document);
        return (JsonBody.Integer(root, "ttl", required: false) ?? limits.DefaultClaimTtl,
            JsonBody.Integer(root, "grace", required: false) ?? limits.DefaultClaimGrace);
    }

    /// <summary>No body at all, or one declared empty (2.5 "optional").</summary>
    public static bool IsEmpty(IRequestBody body) => body.IsMissing || body.DeclaredLength == 0;
}
