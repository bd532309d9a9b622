using System.Reflection;
using System.Text.Json;
using Marconi.Api;
using Marconi.Api.V2;
using Marconi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Marconi.Transport.Http;

/// <summary>Section <c>Marconi:OpenApi</c>.</summary>
public sealed class OpenApiOptions
{
    public const string SectionName = "Marconi:OpenApi";

    /// <summary>Serve an OpenAPI 3.1 document per served HTTP version at <c>/openapi/{version}.json</c>.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// One OpenAPI 3.1 document per HTTP API version, written from the route table the host mapped
/// (each route's <see cref="ApiActionMetadata"/>, pattern and methods) plus, per action, what its
/// catalogue code reads and answers, so a route added without a description fails the build of the
/// documents (and its test) instead of going undocumented.
/// </summary>
/// <remarks>
/// Own generator rather than Microsoft.AspNetCore.OpenApi: every route runs the same untyped
/// (HttpContext, CancellationToken) handler, so the framework could infer no parameters, bodies or statuses.
/// </remarks>
internal sealed class OpenApiDocuments(EndpointDataSource endpoints)
{
    public const string Pattern = "/openapi/{version}.json";

    private readonly Lazy<IReadOnlyDictionary<string, byte[]>> _documents = new(() => BuildAll(endpoints.Endpoints));

    /// <summary>Writes every document now, so a route without a description stops the start, not a later request.</summary>
    public void Build() => _ = _documents.Value;

    /// <summary>The version's document, or the contract's 404 for a version not served.</summary>
    public IResult Answer(string version) =>
        _documents.Value.TryGetValue(version, out var document)
            ? Results.Bytes(document, "application/json")
            : new ApiResult(ApiErrors.Outcome(Errors.NotFound(
                $"There is no OpenAPI document for the version '{version}'; served: {string.Join(", ", _documents.Value.Keys)}.")));

    private static readonly string ServerVersion =
        typeof(OpenApiDocuments).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The order operations are listed in under a path, as the specification lists them.</summary>
    private static readonly string[] Methods = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"];

    private sealed record Route(string Path, string Method, string Action, IReadOnlyList<string> PathParameters);

    private static IReadOnlyDictionary<string, byte[]> BuildAll(IEnumerable<Endpoint> all)
    {
        var routes = new List<(string Version, Route Route)>();
        foreach (var endpoint in all.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<ApiActionMetadata>() is not { } action)
            {
                continue;
            }

            // The home route's pattern is the group's prefix with a trailing slash; /v1 and /v1/ both serve it.
            var path = endpoint.RoutePattern.RawText!.TrimEnd('/');
            var parameters = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToList();
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                routes.Add((action.Version, new Route(path, method.ToUpperInvariant(), action.Action, parameters)));
            }
        }

        return routes.GroupBy(r => r.Version, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Write(g.Key, g.Select(r => r.Route).ToList()), StringComparer.Ordinal);
    }

    private static byte[] Write(string version, List<Route> routes)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("openapi", "3.1.0");
            w.WriteStartObject("info");
            w.WriteString("title", $"Marconi {version} HTTP API");
            w.WriteString("version", ServerVersion);
            w.WriteString("description",
                "Written by the server from its route table. Every error answers with the JSON object {\"title\", \"description\"}.");
            w.WriteEndObject();

            // One operation id per action; an action served by two methods (v1's GET and HEAD of a queue) suffixes the later.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            w.WriteStartObject("paths");
            foreach (var path in routes.GroupBy(r => r.Path).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject(path.Key);
                foreach (var route in path.OrderBy(r => Array.IndexOf(Methods, r.Method)))
                {
                    var id = seen.Add(route.Action) ? route.Action : $"{route.Action}_{route.Method.ToLowerInvariant()}";
                    seen.Add(id);
                    WriteOperation(w, version, route, id);
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();

            w.WriteStartObject("components");
            w.WriteStartObject("schemas");
            w.WriteStartObject("Error");
            w.WriteString("type", "object");
            w.WriteStartArray("required");
            w.WriteStringValue("title");
            w.WriteStringValue("description");
            w.WriteEndArray();
            w.WriteStartObject("properties");
            w.WriteStartObject("title");
            w.WriteString("type", "string");
            w.WriteEndObject();
            w.WriteStartObject("description");
            w.WriteString("type", "string");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("responses");
            w.WriteStartObject("Error");
            w.WriteString("description", "The contract's error: a title naming the kind and a description of this case.");
            w.WriteStartObject("content");
            w.WriteStartObject("application/json");
            w.WriteStartObject("schema");
            w.WriteString("$ref", "#/components/schemas/Error");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteOperation(Utf8JsonWriter w, string version, Route route, string id)
    {
        var shape = Describe(version, route.Action);
        w.WriteStartObject(route.Method.ToLowerInvariant());
        w.WriteString("operationId", id);
        w.WriteString("summary", shape.Summary);
        if (shape.Description is { } description)
        {
            w.WriteString("description", description);
        }

        if (route.PathParameters.Count + shape.Query.Length > 0)
        {
            w.WriteStartArray("parameters");
            foreach (var name in route.PathParameters)
            {
                WriteParameter(w, name, "path", "string", required: true);
            }

            foreach (var (name, type) in shape.Query)
            {
                WriteParameter(w, name, "query", type, required: false);
            }

            w.WriteEndArray();
        }

        if (shape.Body is { } body)
        {
            w.WriteStartObject("requestBody");
            w.WriteBoolean("required", body.Required);
            w.WriteStartObject("content");
            w.WriteStartObject(body.MediaType);
            w.WriteStartObject("schema");
            w.WriteString("type", body.Type);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteStartObject("responses");
        foreach (var status in shape.Success)
        {
            // HEAD never has a body; a 201 that only creates (queue_create) neither.
            var hasBody = status == 200 || (status == 201 && route.Action != "queue_create");
            w.WriteStartObject(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("description", status switch { 200 => "OK", 201 => "Created", _ => "No Content" });
            if (hasBody && route.Method != "HEAD")
            {
                w.WriteStartObject("content");
                w.WriteStartObject(route.Action == "get_home_doc" ? "application/json-home" : "application/json");
                w.WriteStartObject("schema");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        foreach (var errors in new[] { "4XX", "503" })
        {
            w.WriteStartObject(errors);
            w.WriteString("$ref", "#/components/responses/Error");
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteParameter(Utf8JsonWriter w, string name, string @in, string type, bool required)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("in", @in);
        w.WriteBoolean("required", required);
        w.WriteStartObject("schema");
        w.WriteString("type", type);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private sealed record Body(string Type, bool Required = true, string MediaType = "application/json");

    /// <param name="Description">What the summary cannot say, such as a Marconi extension of the contract.</param>
    private sealed record Shape(
        string Summary, int[] Success, (string Name, string Type)[] Query, Body? Body = null, string? Description = null);

    private const string StatsWithDelayed =
        "Marconi extension: with include_delayed=true the \"messages\" object also has \"delayed\", the unexpired, " +
        "unclaimed messages whose delay has not elapsed yet. They are still counted in \"free\" and \"total\", " +
        "so free + claimed = total holds as without it. Without the parameter the document has exactly the contract's members.";

    private static readonly (string, string)[] None = [];
    private const string Str = "string", Int = "integer", Bool = "boolean";

    /// <summary>
    /// What each action reads (query parameters by their HTTP names, the body) and its success statuses,
    /// from the contracts' quick-reference tables (v1 3.0, v2 4) and the catalogues' code.
    /// </summary>
    private static Shape Describe(string version, string action)
    {
        var v1 = version == "v1";
        var v2 = version == "v2";
        return action switch
        {
            "get_home_doc" => new("Home document", [200], None),
            "check_node_health" => new("Health (204 while the store answers)", [204], None),
            "ping_node" => new("Ping", [204], None),
            "get_node_health" => new("Health report", [200], None),
            "queue_list" => new("List queues", v1 ? [200, 204] : [200],
                [("marker", Str), ("limit", Int), ("detailed", Bool), .. v2 ? new[] { ("name", Str), ("with_count", Bool) } : None]),
            "queue_create" => new("Create a queue", [201, 204], None, v1 ? null : new Body("object", Required: false)),
            "queue_exists" => new("Queue exists", [204], None),
            "queue_get" => new(v1 ? "Get a queue's metadata" : "Get a queue (its metadata)", [200], None),
            "queue_set_metadata" => new("Set a queue's metadata", [204], None, new Body("object")),
            "queue_update" => new("Update a queue's metadata with a JSON patch", [200], None,
                new Body("array", MediaType: MetadataPatch.MediaType)),
            "queue_delete" => new("Delete a queue", [204], None),
            "queue_get_stats" => v2
                ? new("Queue statistics", [200], [("include_delayed", Bool)], Description: StatsWithDelayed)
                : new("Queue statistics", [200], None),
            "queue_purge" => new("Purge a queue", [204], None, new Body("object", Required: false)),
            "queue_redrive" => new("Move free messages of the queue's dead-letter queue back to it (limit in the body)", [200], None,
                new Body("object", Required: false)),
            "queue_share" => new("Pre-signed URL", [200], None, new Body("object")),
            "message_post" => new("Post messages", [201], None, new Body(v1 ? "array" : "object")),
            "message_list" => new("List messages, or get messages by id (ids)", v1 ? [200, 204] : [200],
                [("marker", Str), ("limit", Int), ("echo", Bool), ("include_claimed", Bool),
                    .. v2 ? new[] { ("include_delayed", Bool) } : None, ("ids", Str)]),
            "message_delete_many" => new(v1 ? "Delete messages by id" : "Delete messages by id (ids), or pop them (pop)",
                v1 ? [204] : [200, 204], [("ids", Str), .. v1 ? None : new[] { ("pop", Int), ("wait", Int) }]),
            "message_get" => new("Get a message", [200], None),
            "message_delete" => new("Delete a message", [204], [("claim_id", Str)]),
            "claim_create" => new("Claim messages", [201, 204], [("limit", Int), ("wait", Int)], new Body("object", Required: v1)),
            "claim_get" => new("Get a claim", [200], None),
            "claim_update" => new("Renew a claim", [204], None, new Body("object")),
            "claim_delete" => new("Release a claim", [204], None),
            "subscription_create" => new("Create a subscription", [201], None, new Body("object")),
            "subscription_list" => new("List subscriptions", [200], [("marker", Str), ("limit", Int)]),
            "subscription_get" => new("Get a subscription", [200], None),
            "subscription_update" => new("Update a subscription", [204], None, new Body("object")),
            "subscription_delete" => new("Delete a subscription", [204], None),
            "subscription_confirm" => new("Confirm a subscription", [204], None, new Body("object")),
            "key_create" => new("Create an API key", [201], None, new Body("object")),
            "key_list" => new("List API keys", [200], [("project", Str)]),
            "key_get" => new("Get an API key", [200], None),
            "key_revoke" => new("Revoke an API key", [204], None),
            "key_rotate" => new("Rotate an API key's secret", [200], None),
            "project_list" => new("List projects that have queues", [200], [("marker", Str), ("limit", Int)]),
            _ => throw new InvalidOperationException(
                $"The {version} route table maps {action}, which the OpenAPI documents do not describe."),
        };
    }
}
