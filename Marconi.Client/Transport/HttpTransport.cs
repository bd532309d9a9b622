using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace Marconi.Client.Transport;

/// <summary>The v1 HTTP API (contract Part I): each action becomes its method, path, query and body.</summary>
internal sealed class HttpTransport : ITransport
{
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly ClientIdentity _identity;
    private readonly string _basePath;

    public HttpTransport(Uri endpoint, ClientIdentity identity, TimeSpan connectTimeout)
    {
        _identity = identity;
        _basePath = endpoint.AbsolutePath.TrimEnd('/');
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri(endpoint.GetLeftPart(UriPartial.Authority)),
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
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
            return new ClientResponse((int)response.StatusCode, location, ParseBody(bytes));
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

    /// <summary>The HTTP form of an action (contract 10's table, right to left).</summary>
    private HttpRequestMessage ToHttp(ClientRequest request)
    {
        var p = request.Parameters;
        var q = "/v1/queues/" + Segment(request.Text("queue_name"));
        var query = new List<string>();
        HttpContent? content = null;

        void Query(string name)
        {
            if (p.TryGetValue(name, out var value) && value is not null)
            {
                query.Add(name + "=" + QueryValue(value));
            }
        }

        (HttpMethod method, string path) = request.Action switch
        {
            "get_home_doc" => (HttpMethod.Get, "/v1/"),
            "check_node_health" => (HttpMethod.Get, "/v1/health"),
            "ping_node" => (HttpMethod.Head, "/v1/health"),
            "queue_list" => (HttpMethod.Get, "/v1/queues"),
            "queue_create" => (HttpMethod.Put, q),
            "queue_exists" => (HttpMethod.Head, q),
            "queue_delete" => (HttpMethod.Delete, q),
            "queue_get" => (HttpMethod.Get, q + "/metadata"),
            "queue_set_metadata" => (HttpMethod.Put, q + "/metadata"),
            "queue_get_stats" => (HttpMethod.Get, q + "/stats"),
            "message_post" => (HttpMethod.Post, q + "/messages"),
            "message_list" or "message_get_many" => (HttpMethod.Get, q + "/messages"),
            "message_get" => (HttpMethod.Get, q + "/messages/" + Segment(request.Text("message_id"))),
            "message_delete" => (HttpMethod.Delete, q + "/messages/" + Segment(request.Text("message_id"))),
            "message_delete_many" => (HttpMethod.Delete, q + "/messages"),
            "claim_create" => (HttpMethod.Post, q + "/claims"),
            "claim_get" => (HttpMethod.Get, q + "/claims/" + Segment(request.Text("claim_id"))),
            "claim_update" => (HttpMethod.Patch, q + "/claims/" + Segment(request.Text("claim_id"))),
            "claim_delete" => (HttpMethod.Delete, q + "/claims/" + Segment(request.Text("claim_id"))),
            _ => throw new ArgumentException($"Unknown action {request.Action}.", nameof(request)),
        };

        switch (request.Action)
        {
            case "queue_list":
                Query("marker");
                Query("limit");
                Query("detailed");
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
            case "message_delete":
                Query("claim_id");
                break;
            case "queue_set_metadata":
                content = JsonContent(w => ((JsonElement)p["metadata"]!).WriteTo(w));
                break;
            case "message_post":
                content = JsonContent(w => ((JsonElement)p["messages"]!).WriteTo(w));
                break;
            case "claim_create" or "claim_update":
                if (request.Action == "claim_create")
                {
                    Query("limit");
                }

                content = JsonContent(w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("ttl", (int)p["ttl"]!);
                    if (p.TryGetValue("grace", out var grace) && grace is int g)
                    {
                        w.WriteNumber("grace", g);
                    }

                    w.WriteEndObject();
                });
                break;
        }

        var target = request.Link ?? (query.Count == 0 ? path : path + "?" + string.Join('&', query));
        var message = new HttpRequestMessage(method, _basePath + target) { Content = content };
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

        return message;
    }

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
