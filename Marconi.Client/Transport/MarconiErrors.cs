using System.Text.Json;

namespace Marconi.Client.Transport;

/// <summary>The one place where an error answer becomes a typed exception.</summary>
internal static class MarconiErrors
{
    public static MarconiException FromResponse(ClientRequest request, ClientResponse response)
    {
        var exception = Typed(request, response);
        exception.RetryAfter = response.RetryAfter is { } delay && delay > TimeSpan.Zero ? delay : null;
        return exception;
    }

    private static MarconiException Typed(ClientRequest request, ClientResponse response)
    {
        var (title, description) = ErrorBody(response);
        return response.Status switch
        {
            400 => new MarconiValidationException(400, title, description),
            401 => new MarconiAuthenticationException(401, title, description),
            // 403 is also the answer to deleting a claimed message, which keeps its own title.
            403 when title == "Unable to delete" => new MessageClaimedException(403, title, description),
            403 => new MarconiAuthorizationException(403, title, description),
            404 => request.Action switch
            {
                "queue_get" or "queue_set_metadata" or "queue_update" or "queue_get_stats" or "message_post" => new QueueNotFoundException(404, title, description),
                "subscription_get" or "subscription_update" or "subscription_confirm" => new SubscriptionNotFoundException(404, title, description),
                "message_get" => new MessageNotFoundException(404, title, description),
                "claim_get" or "claim_update" => new ClaimNotFoundException(404, title, description),
                "key_get" or "key_revoke" or "key_rotate" => new ApiKeyNotFoundException(404, title, description),
                _ => new MarconiException(404, title, description),
            },
            503 => new ServiceUnavailableException(503, title, description),
            _ => new MarconiException(response.Status, title, description),
        };
    }

    private static (string Title, string Description) ErrorBody(ClientResponse response)
    {
        string? title = null, description = null;
        if (response.Body is { ValueKind: JsonValueKind.Object } body)
        {
            if (body.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String)
            {
                title = t.GetString();
            }

            if (body.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String)
            {
                description = d.GetString();
            }
        }

        title ??= response.Status switch
        {
            400 => "Bad request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not found",
            405 => "Method not allowed",
            406 => "Not acceptable",
            503 => "Service temporarily unavailable",
            _ => "Unexpected status",
        };
        return (title, description ?? $"The server answered {response.Status} without an error description.");
    }
}
