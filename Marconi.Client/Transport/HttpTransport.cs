using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Net.Sockets;
using System.Text.Json;

namespace Marconi.Client.Transport;

/// <summary>The v1 or v2 HTTP API: each action becomes its method, path, query and body.</summary>
internal sealed class HttpTransport : ITransport
{
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly ClientIdentity _identity;
    private readonly string _basePath;
    private readonly Uri _origin;

    public HttpTransport(Uri endpoint, ClientIdentity identity, TimeSpan connectTimeout, X509Certificate2Collection? trustedAuthorities = null)
        : this(new HttpClient(CreateHandler(connectTimeout, trustedAuthorities)) { Timeout = System.Threading.Timeout.InfiniteTimeSpan }, endpoint, identity)
    {
    }

    /// <summary>Sends through a client made elsewhere (an <see cref="IHttpClientFactory"/>'s), with its handlers.</summary>
    public HttpTransport(HttpClient http, Uri endpoint, ClientIdentity identity)
    {
        _identity = identity;
        _basePath = endpoint.AbsolutePath.TrimEnd('/');
        _origin = new Uri(endpoint.GetLeftPart(UriPartial.Authority));
        _http = http;
    }

    /// <summary>The handler a client's own connections go through: no redirects, bounded connect time, pooled connections renewed (DNS).</summary>
    public static SocketsHttpHandler CreateHandler(MarconiClientOptions options) =>
        CreateHandler(options.Timeout, options.TrustedCertificateAuthorities);

    private static SocketsHttpHandler CreateHandler(TimeSpan connectTimeout, X509Certificate2Collection? trustedAuthorities)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (trustedAuthorities is { Count: > 0 })
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                TrustedByAuthorities(certificate, errors, trustedAuthorities);
        }

        return handler;
    }

    /// <summary>
    /// Valid for the system, or chaining to one of <paramref name="authorities"/>; a name mismatch or a
    /// missing certificate is never accepted.
    /// </summary>
    private static bool TrustedByAuthorities(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)
            || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
    }

    public async Task<ClientResponse> SendAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        using var message = ToHttp(request);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransportException(exception.Message, MayHaveReachedServer(exception), exception);
        }
        catch (IOException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransportException(exception.Message, mayHaveReachedServer: true, exception);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The handler's own connect timeout, not the caller: whether the request left is unknown.
            throw new TransportException(exception.Message, mayHaveReachedServer: true, exception);
        }

        using (response)
        {
            var location = response.Headers.Location?.OriginalString;
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var retryAfter = response.Headers.RetryAfter is { } header
                ? header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null)
                : null;
            return new ClientResponse((int)response.StatusCode, location, ParseBody(bytes)) { RetryAfter = retryAfter };
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A connection that was never established carried nothing; anything later might have.</summary>
    private static bool MayHaveReachedServer(HttpRequestException exception) =>
        exception.HttpRequestError is not (HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
        && exception.InnerException is not SocketException { SocketErrorCode: SocketError.ConnectionRefused };

    private static JsonElement? ParseBody(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null; // not ours (a proxy's page): the status alone speaks
        }
    }

    /// <summary>The HTTP form of an action: v1 (contract 10's table, right to left) or v2 (v2 contract Part II).</summary>
    private HttpRequestMessage ToHttp(ClientRequest request)
    {
        var p = request.Parameters;
        var v2 = _identity.Api == MarconiApi.V2;
        var root = v2 ? "/v2" : "/v1";
        var q = root + "/queues/" + Segment(request.Text("queue_name"));
        var query = new List<string>();
        HttpContent? content = null;

        void Query(string name)
        {
            if (p.TryGetValue(name, out var value) && value is not null)
            {
                query.Add(name + "=" + QueryValue(value));
            }
        }

        (HttpMethod method, string path) = (request.Action, v2) switch
        {
            ("get_home_doc", _) => (HttpMethod.Get, root + "/"),
            // v2's /health is a report; its GET /ping is v1's GET /health (a storage probe, 204 or 503).
            ("check_node_health", false) => (HttpMethod.Get, "/v1/health"),
            ("check_node_health", true) => (HttpMethod.Get, "/v2/ping"),
            ("ping_node", false) => (HttpMethod.Head, "/v1/health"),
            ("ping_node", true) => (HttpMethod.Head, "/v2/ping"),
            ("queue_list", _) => (HttpMethod.Get, root + "/queues"),
            ("queue_create", _) => (HttpMethod.Put, q),
            ("queue_exists", false) => (HttpMethod.Head, q),
            ("queue_delete", _) => (HttpMethod.Delete, q),
            ("queue_get", false) => (HttpMethod.Get, q + "/metadata"),
            ("queue_get", true) => (HttpMethod.Get, q),
            ("queue_set_metadata", false) => (HttpMethod.Put, q + "/metadata"),
            ("queue_update", true) => (HttpMethod.Patch, q),
            ("queue_get_stats", _) => (HttpMethod.Get, q + "/stats"),
            ("queue_purge", true) => (HttpMethod.Post, q + "/purge"),
            ("queue_share", true) => (HttpMethod.Post, q + "/share"),
            ("message_post", _) => (HttpMethod.Post, q + "/messages"),
            ("message_list" or "message_get_many", _) => (HttpMethod.Get, q + "/messages"),
            ("message_get", _) => (HttpMethod.Get, q + "/messages/" + Segment(request.Text("message_id"))),
            ("message_delete", _) => (HttpMethod.Delete, q + "/messages/" + Segment(request.Text("message_id"))),
            ("message_delete_many" or "message_pop", _) => (HttpMethod.Delete, q + "/messages"),
            ("claim_create", _) => (HttpMethod.Post, q + "/claims"),
            ("claim_get", _) => (HttpMethod.Get, q + "/claims/" + Segment(request.Text("claim_id"))),
            ("claim_update", _) => (HttpMethod.Patch, q + "/claims/" + Segment(request.Text("claim_id"))),
            ("claim_delete", _) => (HttpMethod.Delete, q + "/claims/" + Segment(request.Text("claim_id"))),
            ("subscription_create", true) => (HttpMethod.Post, q + "/subscriptions"),
            ("subscription_list", true) => (HttpMethod.Get, q + "/subscriptions"),
            ("subscription_get", true) => (HttpMethod.Get, q + "/subscriptions/" + Segment(request.Text("subscription_id"))),
            ("subscription_update", true) => (HttpMethod.Patch, q + "/subscriptions/" + Segment(request.Text("subscription_id"))),
            ("subscription_delete", true) => (HttpMethod.Delete, q + "/subscriptions/" + Segment(request.Text("subscription_id"))),
            ("subscription_confirm", true) => (HttpMethod.Put, q + "/subscriptions/" + Segment(request.Text("subscription_id")) + "/confirm"),
            ("key_create", true) => (HttpMethod.Post, "/v2/admin/keys"),
            ("key_list", true) => (HttpMethod.Get, "/v2/admin/keys"),
            ("key_get", true) => (HttpMethod.Get, "/v2/admin/keys/" + Segment(request.Text("key_id"))),
            ("key_revoke", true) => (HttpMethod.Delete, "/v2/admin/keys/" + Segment(request.Text("key_id"))),
            ("key_rotate", true) => (HttpMethod.Post, "/v2/admin/keys/" + Segment(request.Text("key_id")) + "/rotate"),
            _ => throw new ArgumentException($"Unknown action {request.Action} for {root}.", nameof(request)),
        };

        switch (request.Action)
        {
            case "queue_list":
                Query("marker");
                Query("limit");
                Query("detailed");
                Query("name");
                break;
            case "queue_create" when p.ContainsKey("metadata"):
            case "queue_set_metadata":
                content = JsonContent(w => JsonWriting.WriteVerbatim(w, (JsonElement)p["metadata"]!));
                break;
            case "queue_update":
                content = JsonContent(w => JsonWriting.WriteVerbatim(w, (JsonElement)p["patch"]!));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/openstack-messaging-v2.0-json-patch");
                break;
            case "queue_purge":
                content = ObjectContent(p, "resource_types");
                break;
            case "queue_share":
                content = ObjectContent(p, "paths", "methods", "expires");
                break;
            case "message_list":
                Query("marker");
                Query("limit");
                Query("echo");
                Query("include_claimed");
                break;
            case "message_get_many" or "message_delete_many":
                query.Add("ids=" + QueryValue(p["message_ids"]));
                break;
            case "message_pop":
                Query("pop");
                Query("wait");
                break;
            case "message_delete":
                Query("claim_id");
                break;
            case "message_post":
                // v1 posts the bare array; v2 wraps it.
                content = v2 ? ObjectContent(p, "messages") : JsonContent(w => JsonWriting.WriteVerbatim(w, (JsonElement)p["messages"]!));
                break;
            case "claim_create" or "claim_update":
                if (request.Action == "claim_create")
                {
                    Query("limit");
                    Query("wait");
                }

                content = ObjectContent(p, "ttl", "grace");
                break;
            case "subscription_list":
                Query("marker");
                Query("limit");
                break;
            case "subscription_create" or "subscription_update":
                content = ObjectContent(p, "subscriber", "ttl", "options");
                break;
            case "subscription_confirm":
                content = ObjectContent(p, "confirmed");
                break;
            case "key_create":
                content = ObjectContent(p, "name", "project", "admin", "role", "expires");
                break;
            case "key_list":
                Query("project");
                break;
        }

        var target = request.Link ?? (query.Count == 0 ? path : path + "?" + string.Join('&', query));
        var message = new HttpRequestMessage(method, new Uri(_origin, _basePath + target)) { Content = content };
        message.Headers.Accept.Add(Json);
        message.Headers.TryAddWithoutValidation("Client-ID", _identity.ClientId.ToString());
        if (_identity.ProjectId is { } project)
        {
            message.Headers.TryAddWithoutValidation("X-Project-Id", project);
        }

        if (_identity.AuthToken is { } token)
        {
            message.Headers.TryAddWithoutValidation("X-Auth-Token", token);
        }

        if (_identity.Grant is { } grant)
        {
            message.Headers.TryAddWithoutValidation("URL-Signature", grant.Signature);
            message.Headers.TryAddWithoutValidation("URL-Methods", string.Join(',', grant.Methods));
            message.Headers.TryAddWithoutValidation("URL-Paths", string.Join(',', grant.Paths));
            message.Headers.TryAddWithoutValidation("URL-Expires", grant.Expires);
        }

        return message;
    }

    /// <summary>A JSON object of the named parameters that are present.</summary>
    private static ByteArrayContent ObjectContent(IReadOnlyDictionary<string, object?> parameters, params string[] members) => JsonContent(w =>
    {
        w.WriteStartObject();
        foreach (var name in members)
        {
            if (parameters.TryGetValue(name, out var value) && value is not null)
            {
                w.WritePropertyName(name);
                JsonWriting.WriteValue(w, value);
            }
        }

        w.WriteEndObject();
    });

    private static string Segment(string? value) => Uri.EscapeDataString(value ?? "");

    private static string QueryValue(object? value) => value switch
    {
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        IEnumerable<string> list => string.Join(',', list.Select(Uri.EscapeDataString)),
        _ => Uri.EscapeDataString(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    private static ByteArrayContent JsonContent(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonWriting.Options))
        {
            write(writer);
        }

        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
