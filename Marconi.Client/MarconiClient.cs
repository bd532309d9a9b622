using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Marconi.Client.Transport;

namespace Marconi.Client;

/// <summary>
/// A client of one Marconi server, over HTTP or ZeroMQ (chosen by the endpoint's scheme); the API
/// is the same over both. Thread-safe: share one instance. Transient failures are retried as
/// <see cref="MarconiClientOptions"/> says; errors surface as <see cref="MarconiException"/>s.
/// </summary>
/// <example>
/// <code>
/// await using var client = new MarconiClient("http://127.0.0.1:8888", projectId: "demo-project");
/// var queue = await client.CreateQueueAsync("demo");
/// await queue.PostAsync(new { @event = "BackupStarted" }, ttl: 300);
/// </code>
/// </example>
public sealed class MarconiClient : IMarconiClient
{
    private readonly RequestExecutor _executor;

    /// <summary>Creates a client; no connection is made until the first request.</summary>
    /// <param name="options">The endpoint, identity and resilience settings.</param>
    /// <exception cref="ArgumentException">
    /// The endpoint's scheme is not http, https, tcp or ipc; or v2 is asked for without a project or a key
    /// (v2 requires <c>X-Project-Id</c>: set <see cref="MarconiClientOptions.ProjectId"/> or <see cref="MarconiClientOptions.AuthToken"/>, or choose <see cref="MarconiApi.V1"/>);
    /// or a <see cref="MarconiClientOptions.Grant"/> is given with v1, over ZeroMQ, or with another project.
    /// </exception>
    public MarconiClient(MarconiClientOptions options)
        : this(options, null)
    {
    }

    /// <summary>
    /// Creates a client whose HTTP requests go through <paramref name="httpClient"/> (one from an
    /// <see cref="IHttpClientFactory"/>, with its handlers); its base address is not used, and its
    /// timeout should be infinite, since each attempt has <see cref="MarconiClientOptions.Timeout"/>.
    /// </summary>
    /// <param name="options">The endpoint (http or https), identity and resilience settings.</param>
    /// <param name="httpClient">The client to send through; disposed with this one.</param>
    /// <exception cref="ArgumentException">As the other constructor, or the endpoint is not http or https.</exception>
    public MarconiClient(MarconiClientOptions options, HttpClient? httpClient)
    {
        ArgumentNullException.ThrowIfNull(options);
        ClientId = options.ClientId ?? Guid.NewGuid();
        Api = options.Api;
        Endpoint = options.Endpoint;
        SerializerOptions = options.SerializerOptions;
        var http = Endpoint.Scheme.ToLowerInvariant() is "http" or "https";
        if (options.Grant is { } grant)
        {
            if (Api != MarconiApi.V2 || !http)
            {
                throw new ArgumentException("A pre-signed grant is checked only by the v2 HTTP API: use Api = MarconiApi.V2 and an http(s) endpoint.", nameof(options));
            }

            if (options.ProjectId is { } given && given != grant.Project)
            {
                throw new ArgumentException($"The grant is for project '{grant.Project}', not '{given}'.", nameof(options));
            }
        }

        ProjectId = options.ProjectId ?? options.Grant?.Project;
        if (Api == MarconiApi.V2 && string.IsNullOrEmpty(ProjectId) && options.AuthToken is null)
        {
            // Failing here beats a 400 "Project-Id Missing" on every call but ping. A key may stand in
            // for the project: the server takes a project key's own, and key management needs none.
            throw new ArgumentException("The v2 API needs a project: set ProjectId (or a Grant, or an AuthToken), or use Api = MarconiApi.V1 for the default namespace.", nameof(options));
        }

        var identity = new ClientIdentity(ClientId, ProjectId, options.AuthToken, Api, options.Grant);
        ITransport transport = Endpoint.Scheme.ToLowerInvariant() switch
        {
            "http" or "https" when httpClient is not null => new HttpTransport(httpClient, Endpoint, identity),
            "http" or "https" => new HttpTransport(Endpoint, identity, options.Timeout, options.TrustedCertificateAuthorities),
            "tcp" or "ipc" when httpClient is not null =>
                throw new ArgumentException("An HttpClient is for an http or https endpoint; a ZeroMQ endpoint needs none.", nameof(httpClient)),
            "tcp" or "ipc" => new ZmqTransport(Endpoint.OriginalString.TrimEnd('/'), identity, options.CurveServerKey),
            _ => throw new ArgumentException($"Unsupported endpoint scheme '{Endpoint.Scheme}': use http, https, tcp or ipc.", nameof(options)),
        };
        _executor = new RequestExecutor(transport, options);
    }

    /// <summary>Whether an endpoint speaks the HTTP API (else ZeroMQ).</summary>
    internal static bool UsesHttp(Uri endpoint) => endpoint.Scheme.ToLowerInvariant() is "http" or "https";

    /// <summary>Creates a client with the default resilience settings.</summary>
    /// <param name="endpoint"><c>http://host:port</c> for HTTP, <c>tcp://host:port</c> for ZeroMQ.</param>
    /// <param name="projectId">The project every request works in; required by v2, the default namespace of v1 when <see langword="null"/>.</param>
    /// <param name="clientId">This client's <c>Client-ID</c>; generated when <see langword="null"/>.</param>
    /// <param name="authToken">Sent as <c>X-Auth-Token</c> when set.</param>
    /// <param name="api">The API version; v2 by default.</param>
    /// <exception cref="ArgumentException">The scheme is not supported, or v2 is asked for without a project.</exception>
    public MarconiClient(string endpoint, string? projectId = null, Guid? clientId = null, string? authToken = null, MarconiApi api = MarconiApi.V2)
        : this(new MarconiClientOptions { Endpoint = new Uri(endpoint), ProjectId = projectId, ClientId = clientId, AuthToken = authToken, Api = api })
    {
    }

    /// <summary>The <c>Client-ID</c> sent with every request (messages this client posts are hidden from its own listings unless <c>echo</c>).</summary>
    public Guid ClientId { get; }

    /// <summary>The project every request works in (a grant's when only a grant gave one); <see langword="null"/> for v1's default namespace.</summary>
    public string? ProjectId { get; }

    /// <summary>The API version this client speaks.</summary>
    public MarconiApi Api { get; }

    /// <summary>The server this client talks to.</summary>
    public Uri Endpoint { get; }

    internal JsonSerializerOptions? SerializerOptions { get; }

    /// <summary>The server's JSON-Home document (<c>GET /v1/</c> or <c>/v2/</c>, <c>get_home_doc</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The document as received.</returns>
    public async Task<JsonElement> GetHomeDocumentAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(new ClientRequest("get_home_doc", NoParameters), cancellationToken)).Body
        ?? throw UnexpectedAnswer("get_home_doc");

    /// <summary>Whether the server and its storage are up (<c>GET /v1/health</c> or <c>GET /v2/ping</c>, <c>check_node_health</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> on 204; <see langword="false"/> on 503 (which is an answer here, not retried).</returns>
    /// <exception cref="MarconiConnectionException">The server could not be reached.</exception>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(new ClientRequest("check_node_health", NoParameters) { AnswerStatus = 503 }, cancellationToken);
        return response.Status != 503;
    }

    /// <summary>Checks that the server process answers (<c>HEAD /v1/health</c> or <c>HEAD /v2/ping</c>, <c>ping_node</c>); no storage probe.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MarconiConnectionException">The server could not be reached.</exception>
    public Task PingAsync(CancellationToken cancellationToken = default) =>
        SendAsync(new ClientRequest("ping_node", NoParameters), cancellationToken);

    /// <summary>
    /// The queues of this client's project in name order, page after page: the server's next link
    /// is followed until it answers 204 (v1) or an empty page (v2).
    /// </summary>
    /// <param name="detailed">Also fetch each queue's metadata (<see cref="MarconiQueue.Metadata"/>; with v2 it includes the reserved defaults).</param>
    /// <param name="pageSize">Queues per request (1 to the server's maximum, 20 by default); the server's default when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>Every queue, lazily.</returns>
    public async IAsyncEnumerable<MarconiQueue> ListQueuesAsync(bool detailed = false, int? pageSize = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var parameters = new Dictionary<string, object?> { ["limit"] = pageSize };
        if (detailed)
        {
            parameters["detailed"] = true;
        }

        await foreach (var item in PagesAsync(new ClientRequest("queue_list", parameters), "queues", cancellationToken))
        {
            JsonElement? metadata = item.TryGetProperty("metadata", out var m) ? m.Clone() : null;
            yield return new MarconiQueue(this, item.GetProperty("name").GetString()!, metadata);
        }
    }

    /// <summary>Creates the queue (<c>PUT /v1/queues/{name}</c>); a queue that already exists is left as it is.</summary>
    /// <param name="name">1 to 64 characters of <c>A–Z a–z 0–9 _ - .</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A handle on the queue.</returns>
    /// <exception cref="MarconiValidationException">The name is invalid.</exception>
    public async Task<MarconiQueue> CreateQueueAsync(string name, CancellationToken cancellationToken = default)
    {
        var queue = Queue(name);
        await SendAsync(queue.Request("queue_create"), cancellationToken);
        return queue;
    }

    /// <summary>
    /// v2: creates the queue with this metadata in one step (reserved keys such as <c>_default_message_ttl</c>
    /// take effect at once). A queue that already exists is left as it is, metadata included.
    /// </summary>
    /// <param name="name">1 to 64 characters of <c>A–Z a–z 0–9 _ - .</c>.</param>
    /// <param name="metadata">A JSON object: a <see cref="JsonElement"/>, or any value serialised with <see cref="JsonSerializer"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A handle on the queue.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="MarconiValidationException">The name, or a reserved key's value, is invalid.</exception>
    public async Task<MarconiQueue> CreateQueueAsync(string name, object metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        RequireV2("Creating a queue with metadata");
        var queue = Queue(name);
        await SendAsync(queue.Request("queue_create", ("metadata", JsonWriting.ToElement(metadata, SerializerOptions))), cancellationToken);
        return queue;
    }

    /// <summary>A handle on a queue of this client's project; no I/O (the queue need not exist).</summary>
    /// <param name="name">The queue name.</param>
    /// <returns>The handle.</returns>
    public MarconiQueue Queue(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new MarconiQueue(this, name, null);
    }

    /// <summary>
    /// v2: makes an API key (<c>POST /v2/admin/keys</c>, <c>key_create</c>); needs an admin key as <see cref="MarconiClientOptions.AuthToken"/>.
    /// </summary>
    /// <param name="name">What the key is for (1 to 256 printable characters).</param>
    /// <param name="project">The project the key works in; <see langword="null"/> makes an admin key (every project, and key management).</param>
    /// <param name="role">What the key may do there.</param>
    /// <param name="expires">When it stops working (in the future); <see langword="null"/> for never.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key and its secret, which is shown only this once.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="MarconiValidationException">The name or project is out of range, or the expiry is past.</exception>
    /// <exception cref="MarconiAuthenticationException">The client's key is missing or not valid.</exception>
    /// <exception cref="MarconiAuthorizationException">The client's key is not an admin key, or the server does not use keys.</exception>
    public async Task<IssuedApiKey> CreateKeyAsync(
        string name, string? project, MarconiKeyRole role = MarconiKeyRole.Full, DateTimeOffset? expires = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        RequireV2("Key management");
        var parameters = new Dictionary<string, object?>
        {
            ["name"] = name,
            ["project"] = project,
            ["admin"] = project is null ? true : null,
            ["role"] = RoleName(role),
            ["expires"] = expires?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };
        // Not idempotent: a repeat would make a second key.
        var response = await SendAsync(new ClientRequest("key_create", parameters) { Idempotent = false }, cancellationToken);
        return Issued(response.Body ?? throw UnexpectedAnswer("key_create"));
    }

    /// <summary>v2: every key, revoked and expired ones included, or those of one project (<c>GET /v2/admin/keys</c>, <c>key_list</c>); needs an admin key.</summary>
    /// <param name="project">Only this project's keys; every key, admin keys included, when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The keys, oldest first; never a secret.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    public async Task<IReadOnlyList<MarconiApiKey>> ListKeysAsync(string? project = null, CancellationToken cancellationToken = default)
    {
        RequireV2("Key management");
        var response = await SendAsync(new ClientRequest("key_list", new Dictionary<string, object?> { ["project"] = project }), cancellationToken);
        var body = response.Body ?? throw UnexpectedAnswer("key_list");
        return body.GetProperty("keys").EnumerateArray().Select(ReadKey).ToList();
    }

    /// <summary>v2: one key (<c>GET /v2/admin/keys/{id}</c>, <c>key_get</c>); needs an admin key.</summary>
    /// <param name="id">The key id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key, without its secret.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="ApiKeyNotFoundException">No key has this id.</exception>
    public async Task<MarconiApiKey> GetKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        RequireV2("Key management");
        var response = await SendAsync(KeyRequest("key_get", id), cancellationToken);
        return ReadKey(response.Body ?? throw UnexpectedAnswer("key_get"));
    }

    /// <summary>
    /// v2: revokes a key (<c>DELETE /v2/admin/keys/{id}</c>, <c>key_revoke</c>): it stops working at once on that server,
    /// and within <c>Marconi:Auth:KeyCacheSeconds</c> on others sharing its store. Revoking a revoked key changes nothing.
    /// </summary>
    /// <param name="id">The key id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>When done.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="ApiKeyNotFoundException">No key has this id.</exception>
    public Task RevokeKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        RequireV2("Key management");
        return SendAsync(KeyRequest("key_revoke", id), cancellationToken);
    }

    /// <summary>
    /// v2: gives a key a new secret (<c>POST /v2/admin/keys/{id}/rotate</c>, <c>key_rotate</c>); its id, name, scope,
    /// role and expiry stay, and the old secret stops working.
    /// </summary>
    /// <param name="id">The key id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key and its new secret, shown only this once.</returns>
    /// <exception cref="NotSupportedException">The client speaks v1.</exception>
    /// <exception cref="ApiKeyNotFoundException">No key has this id.</exception>
    /// <exception cref="MarconiException">409 <c>Resource conflict</c>: the key is revoked.</exception>
    public async Task<IssuedApiKey> RotateKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        RequireV2("Key management");
        // Not idempotent: a repeat would replace the secret this call is about to return.
        var response = await SendAsync(KeyRequest("key_rotate", id) with { Idempotent = false }, cancellationToken);
        return Issued(response.Body ?? throw UnexpectedAnswer("key_rotate"));
    }

    /// <summary>Releases the socket or the HTTP connections.</summary>
    public void Dispose() => _executor.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Releases the socket or the HTTP connections.</summary>
    /// <returns>When done.</returns>
    public ValueTask DisposeAsync() => _executor.DisposeAsync();

    internal static readonly IReadOnlyDictionary<string, object?> NoParameters = new Dictionary<string, object?>();

    internal Task<ClientResponse> SendAsync(ClientRequest request, CancellationToken cancellationToken) =>
        _executor.SendAsync(request, cancellationToken);

    /// <summary>Items of a paged listing, following <c>links[0].href</c> until 204 or an empty page.</summary>
    internal async IAsyncEnumerable<JsonElement> PagesAsync(ClientRequest request, string member,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var response = await SendAsync(request, cancellationToken);
            if (response.Status == 204 || response.Body is not { ValueKind: JsonValueKind.Object } page)
            {
                yield break;
            }

            foreach (var item in page.GetProperty(member).EnumerateArray())
            {
                yield return item;
            }

            if (!page.TryGetProperty("links", out var links) || links.GetArrayLength() == 0
                || links[0].GetProperty("href").GetString() is not { } next || next == request.Link)
            {
                yield break;
            }

            request = request with { Link = next };
        }
    }

    /// <summary>Refuses an operation that only v2 has.</summary>
    internal void RequireV2(string operation)
    {
        if (Api != MarconiApi.V2)
        {
            throw new NotSupportedException($"{operation} needs the v2 API (MarconiClientOptions.Api = MarconiApi.V2); this client speaks v1.");
        }
    }

    private static ClientRequest KeyRequest(string action, string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return new ClientRequest(action, new Dictionary<string, object?> { ["key_id"] = id });
    }

    private static string RoleName(MarconiKeyRole role) => role switch
    {
        MarconiKeyRole.Produce => "produce",
        MarconiKeyRole.Consume => "consume",
        _ => "full",
    };

    private static IssuedApiKey Issued(JsonElement body) => new(ReadKey(body), body.GetProperty("secret").GetString()!);

    /// <summary>A key in the server's representation (<c>id</c>, <c>name</c>, <c>project</c>, <c>role</c>, and times in ISO 8601).</summary>
    private static MarconiApiKey ReadKey(JsonElement key)
    {
        static DateTimeOffset? Time(JsonElement key, string name) =>
            key.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
                : null;

        var project = key.TryGetProperty("project", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        var role = key.GetProperty("role").GetString() switch
        {
            "produce" => MarconiKeyRole.Produce,
            "consume" => MarconiKeyRole.Consume,
            _ => MarconiKeyRole.Full,
        };
        return new MarconiApiKey(key.GetProperty("id").GetString()!, key.GetProperty("name").GetString()!, project, role,
            Time(key, "created") ?? DateTimeOffset.MinValue, Time(key, "expires"), Time(key, "last_used"), Time(key, "revoked"));
    }

    internal static MarconiException UnexpectedAnswer(string action) =>
        new(0, "Unexpected answer", $"The server's answer to {action} had no body.");
}
