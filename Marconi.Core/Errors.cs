namespace Marconi.Core;

/// <summary>The small set of outcomes a transport must map to its own status codes.</summary>
public enum MarconiErrorKind
{
    /// <summary>The request is invalid (400).</summary>
    BadRequest,
    /// <summary>The request carries no valid credential (401).</summary>
    Unauthorized,
    /// <summary>The request is valid but a live claim, or the caller's key, forbids it (403).</summary>
    Forbidden,
    /// <summary>The queue, message or claim does not exist (404).</summary>
    NotFound,
    /// <summary>The client does not accept JSON (406).</summary>
    NotAcceptable,
    /// <summary>The request conflicts with the resource's state (409).</summary>
    Conflict,
    /// <summary>The body's media type is not the one the resource takes (415).</summary>
    UnsupportedMediaType,
    /// <summary>The project's request quota is spent; the client may retry later (429).</summary>
    TooManyRequests,
    /// <summary>Storage failed; the client may retry (503).</summary>
    ServiceUnavailable,
    /// <summary>The server is at a limit (pending writes, bytes in flight) and refused the request unstarted; retry shortly (503).</summary>
    Overloaded,
}

/// <summary>
/// A typed failure of a core operation. <see cref="Title"/> is one of the contract's fixed
/// strings (clients match on it); <see cref="Description"/> is for people.
/// </summary>
public sealed class MarconiException(MarconiErrorKind kind, string title, string description, Exception? inner = null)
    : Exception(description, inner)
{
    public MarconiErrorKind Kind { get; } = kind;
    public string Title { get; } = title;
    public string Description { get; } = description;
}

/// <summary>Factories for every error of the v1 contract, so titles are spelled in one place.</summary>
public static class Errors
{
    public const string InvalidApiRequestTitle = "Invalid API request";
    public const string InvalidRequestBodyTitle = "Invalid request body";
    public const string InvalidParameterTitle = "Invalid parameter";
    public const string MissingParameterTitle = "Missing parameter";
    public const string MissingHeaderTitle = "Missing header value";
    public const string WrongUuidTitle = "Wrong UUID value";
    public const string EmptyProjectTitle = "Empty project header not allowed";
    public const string ProjectIdMissingTitle = "Project-Id Missing";
    public const string ConflictTitle = "Resource conflict";
    public const string UnsupportedMediaTypeTitle = "Unsupported media type";
    public const string UnableToUpdateSubscriptionTitle = "Unable to update subscription";
    public const string InvalidQueueIdTitle = "Invalid queue identification";
    public const string InvalidContentTypeTitle = "Invalid Content-Type";
    public const string UnableToDeleteTitle = "Unable to delete";
    public const string NotFoundTitle = "Not found";
    public const string MethodNotAllowedTitle = "Method not allowed";
    public const string NotAcceptableTitle = "Not acceptable";
    public const string InternalErrorTitle = "Internal server error";
    public const string ServiceUnavailableTitle = "Service temporarily unavailable";
    public const string TooManyRequestsTitle = "Too many requests";
    public const string AuthenticationRequiredTitle = "Authentication required";
    public const string NotAuthorizedTitle = "Not authorized";

    public static MarconiException InvalidApiRequest(string description) =>
        new(MarconiErrorKind.BadRequest, InvalidApiRequestTitle, description);

    public static MarconiException InvalidBody(string description) =>
        new(MarconiErrorKind.BadRequest, InvalidRequestBodyTitle, description);

    public static MarconiException InvalidParameter(string description) =>
        new(MarconiErrorKind.BadRequest, InvalidParameterTitle, description);

    public static MarconiException MissingParameter(string name) =>
        new(MarconiErrorKind.BadRequest, MissingParameterTitle, $"parameter \"{name}\" is required.");

    public static MarconiException MissingClientId() =>
        new(MarconiErrorKind.BadRequest, MissingHeaderTitle, "The Client-ID header is required.");

    public static MarconiException WrongUuid() =>
        new(MarconiErrorKind.BadRequest, WrongUuidTitle, "The Client-ID header must be a UUID.");

    /// <summary>401: the same words whatever was wrong with the credential, so a guess learns nothing.</summary>
    public static MarconiException AuthenticationRequired() =>
        new(MarconiErrorKind.Unauthorized, AuthenticationRequiredTitle,
            "A valid API key is required (X-Auth-Token or Authorization: Bearer).");

    /// <summary>403: the key is valid but not for this project or operation.</summary>
    public static MarconiException NotAuthorized(string description) =>
        new(MarconiErrorKind.Forbidden, NotAuthorizedTitle, description);

    public static MarconiException TooManyRequests(string description) =>
        new(MarconiErrorKind.TooManyRequests, TooManyRequestsTitle, description);

    public static MarconiException ProjectIdMissing() =>
        new(MarconiErrorKind.BadRequest, ProjectIdMissingTitle, "The header X-PROJECT-ID was missing.");

    public static MarconiException InvalidClientId(int min, int max) =>
        new(MarconiErrorKind.BadRequest, InvalidApiRequestTitle,
            $"The Client-ID header must be between {min} and {max} characters long.");

    public static MarconiException Conflict(string description) =>
        new(MarconiErrorKind.Conflict, ConflictTitle, description);

    public static MarconiException UnsupportedMediaType(string description) =>
        new(MarconiErrorKind.UnsupportedMediaType, UnsupportedMediaTypeTitle, description);

    public static MarconiException UnableToUpdateSubscription(string description) =>
        new(MarconiErrorKind.BadRequest, UnableToUpdateSubscriptionTitle, description);

    public static MarconiException UnableToDelete(string description) =>
        new(MarconiErrorKind.BadRequest, UnableToDeleteTitle, description);

    public static MarconiException EmptyProject() =>
        new(MarconiErrorKind.BadRequest, EmptyProjectTitle, "The X-Project-Id header must not be empty.");

    public static MarconiException InvalidQueueId(string description) =>
        new(MarconiErrorKind.BadRequest, InvalidQueueIdTitle, description);

    public static MarconiException InvalidContentType() =>
        new(MarconiErrorKind.BadRequest, InvalidContentTypeTitle,
            "application/x-www-form-urlencoded is not accepted; send JSON.");

    public static MarconiException NotAcceptable() =>
        new(MarconiErrorKind.NotAcceptable, NotAcceptableTitle, "The client must accept application/json.");

    public static MarconiException NotFound(string description) =>
        new(MarconiErrorKind.NotFound, NotFoundTitle, description);

    public static MarconiException HeldByClaim() =>
        new(MarconiErrorKind.Forbidden, UnableToDeleteTitle,
            "The message is held by a claim; pass that claim's claim_id.");

    public static MarconiException NotHeldByClaim() =>
        new(MarconiErrorKind.BadRequest, UnableToDeleteTitle,
            "claim_id given, but no claim currently holds the message.");

    public static MarconiException NoSuchLiveClaim() =>
        new(MarconiErrorKind.BadRequest, UnableToDeleteTitle,
            "No live claim with that id exists in this queue.");

    /// <summary>Seconds a refused client is told to wait before retrying an overloaded server.</summary>
    public const int OverloadedRetryAfterSeconds = 1;

    /// <summary>503 for a request refused before it did anything, because <paramref name="limit"/> is reached.</summary>
    public static MarconiException Overloaded(string limit) =>
        new(MarconiErrorKind.Overloaded, ServiceUnavailableTitle,
            $"The server is busy ({limit}); nothing was done. Retry in {OverloadedRetryAfterSeconds} s.");

    public static MarconiException StorageUnavailable(string what, Exception? inner = null) =>
        new(MarconiErrorKind.ServiceUnavailable, ServiceUnavailableTitle,
            $"{what} failed in storage; please retry.", inner);

    /// <summary>The disk is full: same 503 title as any storage failure, so clients retry; the words say why.</summary>
    public static MarconiException StorageFull(string what, Exception? inner = null) =>
        new(MarconiErrorKind.ServiceUnavailable, ServiceUnavailableTitle,
            $"Storage full: {what} was refused until space is freed (deleting messages or queues frees it); please retry later.", inner);
}
