namespace Marconi.Api;

/// <summary>
/// What an operation of the catalogue answers, whatever transport carried the request: a status
/// (HTTP's numbers, which the ZeroMQ envelope reuses), a rendered body and the headers HTTP sends.
/// A transport writes it; it never decides it.
/// </summary>
public sealed record ApiOutcome(int Status, byte[]? Body = null)
{
    public const string JsonContentType = "application/json; charset=utf-8";

    public static readonly ApiOutcome NoContent = new(204);

    /// <summary>The <c>Location</c> of a created or addressed resource, if any.</summary>
    public string? Location { get; init; }

    /// <summary>The <c>Content-Location</c>: the request's own path (and query), where the contract sends it.</summary>
    public string? ContentLocation { get; init; }

    /// <summary>The media type of <see cref="Body"/>; JSON when null.</summary>
    public string? ContentType { get; init; }

    /// <summary>The <c>Cache-Control</c> header, if any.</summary>
    public string? CacheControl { get; init; }

    /// <summary>Other response headers the contract names for this outcome (e.g. <c>Accept-Patch</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>
    /// Undoes the request's effect when its answer cannot be delivered because the caller has gone
    /// (a claim nobody would process); null when there is nothing to undo.
    /// </summary>
    public Func<Task>? Undeliverable { get; init; }

    /// <summary>200 with a JSON body.</summary>
    public static ApiOutcome Ok(byte[] body) => new(200, body);
}
