namespace Marconi.Client;

/// <summary>
/// A request the server refused or could not serve. <see cref="Status"/>, <see cref="Title"/> and
/// <see cref="Description"/> are the server's (its error body is <c>{"title", "description"}</c>);
/// the subclasses name the cases a program usually handles.
/// </summary>
public class MarconiException : Exception
{
    /// <summary>Creates the exception from the server's answer.</summary>
    /// <param name="status">The HTTP status (the same number over ZeroMQ); <c>0</c> when there was no answer.</param>
    /// <param name="title">The error title, one of the contract's fixed strings.</param>
    /// <param name="description">The human-readable description.</param>
    /// <param name="innerException">The failure underneath, if any.</param>
    public MarconiException(int status, string title, string description, Exception? innerException = null)
        : base(status == 0 ? $"{title}: {description}" : $"{status} {title}: {description}", innerException)
    {
        Status = status;
        Title = title;
        Description = description;
    }

    /// <summary>The status of the answer (HTTP's numbers on both transports); <c>0</c> when the server could not be reached.</summary>
    public int Status { get; }

    /// <summary>The error title, e.g. <c>Invalid API request</c> or <c>Not found</c>.</summary>
    public string Title { get; }

    /// <summary>The server's description of the error.</summary>
    public string Description { get; }

    /// <summary>How long the server asked the client to wait before trying again (HTTP <c>Retry-After</c>, on 503 and 429); <see langword="null"/> when it did not say.</summary>
    public TimeSpan? RetryAfter { get; internal set; }
}

/// <summary>The queue does not exist (v1: 404 on metadata, stats or posting messages; v2: 404 on changing metadata).</summary>
public sealed class QueueNotFoundException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public QueueNotFoundException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>The message does not exist, expired or was deleted (404 on getting one message).</summary>
public sealed class MessageNotFoundException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public MessageNotFoundException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>The claim does not exist, expired, was released or holds no message any more (404 on getting or updating it).</summary>
public sealed class ClaimNotFoundException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public ClaimNotFoundException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>The subscription does not exist or expired (404 on getting, updating or confirming it; v2).</summary>
public sealed class SubscriptionNotFoundException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public SubscriptionNotFoundException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>
/// A live claim holds the message, so it cannot be deleted without that claim's id (403
/// <c>Unable to delete</c>). A delete naming a claim that no longer holds the message is a 400 and
/// raises <see cref="MarconiValidationException"/> with the same title.
/// </summary>
public sealed class MessageClaimedException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public MessageClaimedException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>
/// No valid API key (401 <c>Authentication required</c>): none was sent, or it is unknown, has the wrong
/// secret, or is revoked or expired, on a server with <c>Marconi:Auth:Mode=keys</c>. The server gives
/// the same description for each case, so a guess learns nothing; set <see cref="MarconiClientOptions.AuthToken"/>.
/// </summary>
public sealed class MarconiAuthenticationException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public MarconiAuthenticationException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>
/// The key is valid but may not do this (403 <c>Not authorized</c>): another project than the key's,
/// a role that does not allow the operation, or key management with a project key (or on a server
/// without keys). <see cref="MarconiException.Description"/> says which.
/// </summary>
public sealed class MarconiAuthorizationException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public MarconiAuthorizationException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>The API key does not exist (404 on getting, revoking or rotating it).</summary>
public sealed class ApiKeyNotFoundException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public ApiKeyNotFoundException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>The server rejected the request as invalid (any 400); <see cref="MarconiException.Description"/> says why.</summary>
public sealed class MarconiValidationException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public MarconiValidationException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>The server answered 503 (its storage failed) on every attempt.</summary>
public sealed class ServiceUnavailableException : MarconiException
{
    /// <inheritdoc cref="MarconiException(int, string, string, Exception?)"/>
    public ServiceUnavailableException(int status, string title, string description, Exception? innerException = null)
        : base(status, title, description, innerException)
    {
    }
}

/// <summary>
/// The server could not be reached, or did not answer in time, on every attempt
/// (<see cref="MarconiException.Status"/> is <c>0</c>). For a request that is not idempotent it may
/// also mean that the connection failed after the request was sent, so it may have been applied.
/// </summary>
public sealed class MarconiConnectionException : MarconiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="title">What failed, e.g. <c>Connection failed</c> or <c>Timed out</c>.</param>
    /// <param name="description">Which server, after how many attempts, and the last failure.</param>
    /// <param name="innerException">The last failure.</param>
    public MarconiConnectionException(string title, string description, Exception? innerException = null)
        : base(0, title, description, innerException)
    {
    }
}
