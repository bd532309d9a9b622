using System.Text.Json;

namespace Marconi.Client.Transport;

/// <summary>
/// One v1 operation, transport-neutral: the ZeroMQ action name and its parameters (contract
/// Part II, 10). The HTTP transport maps them to method, path, query and body; the ZeroMQ
/// transport sends them as the envelope's body.
/// </summary>
internal sealed record ClientRequest(string Action, IReadOnlyDictionary<string, object?> Parameters)
{
    /// <summary>
    /// A next-page link (<c>links[0].href</c>) to follow instead of the first page: HTTP requests
    /// it as it is; ZeroMQ sends its query parameters as body members.
    /// </summary>
    public string? Link { get; init; }

    /// <summary>
    /// Whether repeating the request is harmless. When <see langword="false"/> (message post, claim
    /// create) it is retried only after failures that prove it never reached the server.
    /// </summary>
    public bool Idempotent { get; init; } = true;

    /// <summary>An error status that is an answer of this operation, not a failure (404 for exists, 503 for health).</summary>
    public int? AnswerStatus { get; init; }

    public string? Text(string name) => Parameters.TryGetValue(name, out var value) ? value as string : null;

    /// <summary>How long the server may hold the request before answering: a long-poll's <c>wait</c> (claim create, pop).</summary>
    public TimeSpan ServerWait => Parameters.TryGetValue("wait", out var value) && value is int seconds && seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
}

/// <summary>What both transports return: the HTTP status, the <c>Location</c> and the JSON body (null when none).</summary>
internal sealed record ClientResponse(int Status, string? Location, JsonElement? Body)
{
    /// <summary>How long the server asked to be left alone (HTTP <c>Retry-After</c> on 503 and 429); ZeroMQ replies carry none.</summary>
    public TimeSpan? RetryAfter { get; init; }
}

/// <summary>A request that failed below the protocol: no answer came.</summary>
internal sealed class TransportException(string message, bool mayHaveReachedServer, Exception? innerException = null)
    : Exception(message, innerException)
{
    /// <summary><see langword="false"/> only when the request certainly never left (e.g. connection refused).</summary>
    public bool MayHaveReachedServer { get; } = mayHaveReachedServer;
}

/// <summary>Carries requests to a server and brings back its answers; one attempt per call.</summary>
internal interface ITransport : IAsyncDisposable
{
    /// <summary>
    /// Sends one request and returns the answer, whatever its status. Throws
    /// <see cref="TransportException"/> when no answer came, and <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> fires.
    /// </summary>
    Task<ClientResponse> SendAsync(ClientRequest request, CancellationToken cancellationToken);
}

/// <summary>The headers every request carries.</summary>
internal sealed record ClientIdentity(Guid ClientId, string? ProjectId, string? AuthToken, MarconiApi Api, SignedUrlGrant? Grant);
