using System.Runtime.InteropServices;
using System.Text.Json;
using Marconi.Core;
using Marconi.Core.Validation;

namespace Marconi.Api.V1;

/// <summary>The request documents of v1: what each one must look like, checked in the contract's order.</summary>
internal static class V1Documents
{
    /// <summary>The post body of contract 3.10: an array of <c>{"ttl", "body"}</c> objects.</summary>
    public static async Task<List<MessageDocument>> ReadMessagesAsync(
        IRequestBody body, LimitsOptions limits, CancellationToken cancellationToken)
    {
        using var document = await JsonBody.ReadAsync(
            body, limits.MaxMessagesPostSize,
            $"Message collection size is too large. Max size {limits.MaxMessagesPostSize}.", cancellationToken,
            bodies: MessageBodies.Array);

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw Errors.InvalidBody("Expected a JSON array of messages.");
        }

        var messages = new List<MessageDocument>(root.GetArrayLength());
        foreach (var element in root.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw Errors.InvalidBody("Each message must be a JSON object.");
            }

            var ttl = JsonBody.Integer(element, "ttl", required: true)!.Value;
            if (!JsonBody.TryGetMember(element, "body", out var messageBody))
            {
                throw Errors.InvalidBody("field \"body\" is required.");
            }

            // The body's bytes as sent: no text is made of them on the way to storage.
            messages.Add(new MessageDocument(ttl, JsonMarshal.GetRawUtf8Value(messageBody).ToArray()));
        }

        return messages;
    }

    /// <summary>A claim document (contract 3.16, 3.18): integer <c>ttl</c> and <c>grace</c>; other members are ignored.</summary>
    public static async Task<(long Ttl, long Grace)> ReadClaimAsync(
        IRequestBody body, LimitsOptions limits, bool graceRequired, CancellationToken cancellationToken)
    {
        // The contract sets no size for a claim document; the message post limit bounds what is
        // read, so a huge body is still refused before it is read whole.
        using var document = await JsonBody.ReadAsync(
            body, limits.MaxMessagesPostSize,
            $"A claim document may not exceed {limits.MaxMessagesPostSize} bytes.", cancellationToken);
        var root = JsonBody.RequireObject(document);
        var ttl = JsonBody.Integer(root, "ttl", required: true)!.Value;
        var grace = JsonBody.Integer(root, "grace", required: graceRequired) ?? 0;
        return (ttl, grace);
    }

    /// <summary>Queue metadata (contract 3.8): an object whose top-level keys do not start with an underscore.</summary>
    public static async Task<string> ReadMetadataAsync(
        IRequestBody body, LimitsOptions limits, CancellationToken cancellationToken)
    {
        using var document = await JsonBody.ReadAsync(
            body, limits.MaxQueueMetadata,
            $"Queue metadata may not exceed {limits.MaxQueueMetadata} bytes.", cancellationToken);
        var metadata = JsonBody.RequireObject(document);
        foreach (var property in metadata.EnumerateObject())
        {
            if (property.Name.StartsWith('_'))
            {
                throw Errors.InvalidApiRequest("Top-level metadata keys starting with an underscore are reserved.");
            }
        }

        return metadata.GetRawText();
    }
}
