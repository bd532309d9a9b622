using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Marconi.Client;

/// <summary>How a <see cref="MarconiClient"/> reaches its server and how hard it tries.</summary>
public sealed class MarconiClientOptions
{
    /// <summary>
    /// The server: <c>http://…</c> or <c>https://…</c> selects the HTTP API (the base address, e.g.
    /// <c>http://127.0.0.1:8888</c>); <c>tcp://…</c> or <c>ipc://…</c> selects the ZeroMQ protocol
    /// (the server's ROUTER endpoint, e.g. <c>tcp://127.0.0.1:9999</c>).
    /// </summary>
    public required Uri Endpoint { get; init; }

    /// <summary>
    /// The API version spoken: <see cref="MarconiApi.V2"/> (the default) or <see cref="MarconiApi.V1"/>.
    /// v2 needs a project: a v2 client without <see cref="ProjectId"/> (or <see cref="Grant"/>, or <see cref="AuthToken"/>) is refused at construction.
    /// </summary>
    public MarconiApi Api { get; init; } = MarconiApi.V2;

    /// <summary>
    /// The project (namespace) of every request: sent as <c>X-Project-Id</c> (HTTP) or <c>X-Project-ID</c> (ZeroMQ) when set.
    /// Required with <see cref="MarconiApi.V2"/> unless an <see cref="AuthToken"/> is set; with <see cref="MarconiApi.V1"/>,
    /// <see langword="null"/> is the default namespace (or a project key's own project).
    /// </summary>
    public string? ProjectId { get; init; }

    /// <summary>
    /// A pre-signed grant (from <see cref="MarconiQueue.ShareAsync"/>) to act with: every request carries its
    /// <c>URL-Signature</c>, <c>URL-Methods</c>, <c>URL-Paths</c> and <c>URL-Expires</c> headers, and its project
    /// unless <see cref="ProjectId"/> is set (to the same project). v2 over HTTP only, since the server checks grants there.
    /// </summary>
    public SignedUrlGrant? Grant { get; init; }

    /// <summary>This client instance's <c>Client-ID</c>, sent on every request; a new one is generated when <see langword="null"/>.</summary>
    public Guid? ClientId { get; init; }

    /// <summary>
    /// The API key (<c>mk_…</c>) of a server with <c>Marconi:Auth:Mode=keys</c>: sent as <c>X-Auth-Token</c> on every
    /// HTTP request and in every ZeroMQ envelope's headers when set. A v2 client with a key may leave out
    /// <see cref="ProjectId"/>: a project key then works in its own project, and an admin key can manage keys.
    /// </summary>
    public string? AuthToken { get; init; }

    /// <summary>
    /// Certificate authorities trusted for an <c>https://</c> server besides the system's (a private CA,
    /// or the server's own self-signed certificate). The server's name must still match its certificate.
    /// </summary>
    public X509Certificate2Collection? TrustedCertificateAuthorities { get; init; }

    /// <summary>
    /// The server's CurveZMQ public key (Z85, 40 characters, as the server logs it at start): with it a
    /// ZeroMQ client encrypts its connection, and talks to no other server.
    /// </summary>
    public string? CurveServerKey { get; init; }

    /// <summary>How long one attempt may take before it is abandoned (each retry gets the full time again).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times a request is retried after a transient failure (connection refused or reset,
    /// a timed-out attempt, 503). <c>0</c> disables retries. Requests that are not idempotent are
    /// retried only when they cannot have reached the server (see <see cref="MarconiQueue.PostAsync(object, int?, int?, CancellationToken)"/>).
    /// </summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The delay before the first retry; later ones grow exponentially, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How message bodies and metadata are written, and the default for reading them back with
    /// <see cref="MarconiMessage.GetBody{T}(JsonSerializerOptions?)"/>; the <see cref="JsonSerializer"/> defaults when <see langword="null"/>.
    /// </summary>
    public JsonSerializerOptions? SerializerOptions { get; init; }
}

/// <summary>The API version a <see cref="MarconiClient"/> speaks.</summary>
public enum MarconiApi
{
    /// <summary>The Marconi v1 API: <c>/v1</c> over HTTP, the default envelope over ZeroMQ.</summary>
    V1,

    /// <summary>The Zaqar v2 API: <c>/v2</c> over HTTP, <c>"api": "v2"</c> over ZeroMQ. Needs a project.</summary>
    V2,
}
