using System.Text;
using Marconi.Tests.Http;
using Marconi.Transport.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Auth;

/// <summary>
/// One request of the HTTP route tables: a route (method and pattern under a version) and, where
/// one route serves two actions, the query that picks the one meant.
/// </summary>
public sealed record HttpRoute(string Version, string Method, string Pattern, string Action, Needs Needs, string Query = "")
{
    public override string ToString() => $"{Method} /{Version}{Pattern}{Query}";

    /// <summary>The request against the victim's resources (or the ghost's), with a body that would succeed.</summary>
    public HttpRequestMessage Build(Victim victim, string? token, string? project = null)
    {
        var path = "/" + Version + Pattern
            .Replace("{queue_name}", Action == "queue_create" ? victim.Queue + "-new" : victim.Queue, StringComparison.Ordinal)
            .Replace("{message_id}", victim.MessageIds[^1], StringComparison.Ordinal)
            .Replace("{claim_id}", victim.ClaimId, StringComparison.Ordinal)
            .Replace("{subscription_id}", victim.SubscriptionId, StringComparison.Ordinal)
            .Replace("{key_id}", victim.Full.Key.Id, StringComparison.Ordinal);
        var query = Query.Replace("{ids}", string.Join(',', victim.MessageIds[2..]), StringComparison.Ordinal);
        var request = new HttpRequestMessage(new HttpMethod(Method), path + query);
        request.Headers.TryAddWithoutValidation("X-Project-Id", project ?? victim.Project);
        request.Headers.TryAddWithoutValidation("Client-ID", Guid.NewGuid().ToString());
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Auth-Token", token);
        }

        if (Body(victim) is var (body, type))
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }

        return request;
    }

    private (string Body, string Type)? Body(Victim victim)
    {
        const string Json = "application/json";
        return (Version, Action) switch
        {
            ("v1", "queue_create") => null,
            (_, "queue_create") => ("""{"color": "blue"}""", Json),
            (_, "queue_set_metadata") => ("""{"color": "blue"}""", Json),
            (_, "queue_update") => ("""[{"op": "replace", "path": "/metadata/color", "value": "blue"}]""",
                "application/openstack-messaging-v2.0-json-patch"),
            ("v1", "message_post") => ("""[{"ttl": 60, "body": "intruder"}]""", Json),
            (_, "message_post") => ("""{"messages": [{"ttl": 60, "body": "intruder"}]}""", Json),
            (_, "claim_create") => ("""{"ttl": 60, "grace": 60}""", Json),
            (_, "claim_update") => ("""{"ttl": 120}""", Json),
            (_, "queue_purge") => ("""{"resource_types": ["messages"]}""", Json),
            (_, "queue_redrive") => ("""{"limit": 10}""", Json),
            (_, "queue_share") => ("""{"methods": ["GET", "POST"]}""", Json),
            (_, "subscription_create") => ("""{"subscriber": "http://127.0.0.1:9/intruder", "ttl": 3600}""", Json),
            (_, "subscription_update") => ("""{"ttl": 7200}""", Json),
            (_, "subscription_confirm") => ("""{"confirmed": true}""", Json),
            (_, "key_create") => ($$"""{"name": "intruder", "project": "{{victim.Project}}", "role": "full"}""", Json),
            _ => null,
        };
    }

    /// <summary>
    /// Every route of the three versions' tables (Marconi.Transport.Http), with what it needs;
    /// <see cref="HttpAccessMatrixTests.TheListNamesEveryMappedRoute"/> holds it to the host's endpoints.
    /// </summary>
    public static readonly HttpRoute[] All =
    [
        .. V1(),
        .. Zaqar("v1.1"),
        .. Zaqar("v2"),
        new("v2", "PATCH", "/queues/{queue_name}", "queue_update", Needs.Manage),
        new("v2", "POST", "/queues/{queue_name}/purge", "queue_purge", Needs.Manage),
        new("v2", "POST", "/queues/{queue_name}/redrive", "queue_redrive", Needs.Manage),
        new("v2", "POST", "/queues/{queue_name}/share", "queue_share", Needs.Manage),
        new("v2", "POST", "/queues/{queue_name}/subscriptions", "subscription_create", Needs.Manage),
        new("v2", "GET", "/queues/{queue_name}/subscriptions", "subscription_list", Needs.Manage),
        new("v2", "GET", "/queues/{queue_name}/subscriptions/{subscription_id}", "subscription_get", Needs.Manage),
        new("v2", "PATCH", "/queues/{queue_name}/subscriptions/{subscription_id}", "subscription_update", Needs.Manage),
        new("v2", "DELETE", "/queues/{queue_name}/subscriptions/{subscription_id}", "subscription_delete", Needs.Manage),
        new("v2", "PUT", "/queues/{queue_name}/subscriptions/{subscription_id}/confirm", "subscription_confirm", Needs.Manage),
        new("v2", "POST", "/admin/keys", "key_create", Needs.Admin),
        new("v2", "GET", "/admin/keys", "key_list", Needs.Admin),
        new("v2", "GET", "/admin/keys/{key_id}", "key_get", Needs.Admin),
        new("v2", "DELETE", "/admin/keys/{key_id}", "key_revoke", Needs.Admin),
        new("v2", "POST", "/admin/keys/{key_id}/rotate", "key_rotate", Needs.Admin),
        new("v2", "GET", "/admin/projects", "project_list", Needs.Admin),
    ];

    private static IEnumerable<HttpRoute> V1() =>
    [
        new("v1", "GET", "", "get_home_doc", Needs.Open),
        new("v1", "GET", "/health", "check_node_health", Needs.Open),
        new("v1", "HEAD", "/health", "ping_node", Needs.Open),
        new("v1", "GET", "/queues", "queue_list", Needs.Read),
        new("v1", "PUT", "/queues/{queue_name}", "queue_create", Needs.Produce),
        new("v1", "GET", "/queues/{queue_name}", "queue_exists", Needs.Read),
        new("v1", "HEAD", "/queues/{queue_name}", "queue_exists", Needs.Read),
        new("v1", "DELETE", "/queues/{queue_name}", "queue_delete", Needs.Manage),
        new("v1", "GET", "/queues/{queue_name}/metadata", "queue_get", Needs.Read),
        new("v1", "PUT", "/queues/{queue_name}/metadata", "queue_set_metadata", Needs.Manage),
        new("v1", "GET", "/queues/{queue_name}/stats", "queue_get_stats", Needs.Read),
        .. Messages("v1"),
    ];

    private static IEnumerable<HttpRoute> Zaqar(string version) =>
    [
        new(version, "GET", "", "get_home_doc", Needs.Open),
        new(version, "GET", "/ping", "check_node_health", Needs.Open),
        new(version, "HEAD", "/ping", "ping_node", Needs.Open),
        new(version, "GET", "/health", "get_node_health", Needs.Open),
        new(version, "GET", "/queues", "queue_list", Needs.Read),
        new(version, "PUT", "/queues/{queue_name}", "queue_create", Needs.Produce),
        new(version, "GET", "/queues/{queue_name}", "queue_get", Needs.Read),
        new(version, "DELETE", "/queues/{queue_name}", "queue_delete", Needs.Manage),
        new(version, "GET", "/queues/{queue_name}/stats", "queue_get_stats", Needs.Read),
        .. Messages(version),
        // The pop form of the delete-many route.
        new(version, "DELETE", "/queues/{queue_name}/messages", "message_delete_many", Needs.Consume, "?pop=1"),
    ];

    private static IEnumerable<HttpRoute> Messages(string version) =>
    [
        new(version, "POST", "/queues/{queue_name}/messages", "message_post", Needs.Produce),
        new(version, "GET", "/queues/{queue_name}/messages", "message_list", Needs.Consume, "?include_claimed=true&echo=true"),
        // The get-many form of the list route.
        new(version, "GET", "/queues/{queue_name}/messages", "message_list", Needs.Consume, "?ids={ids}"),
        new(version, "DELETE", "/queues/{queue_name}/messages", "message_delete_many", Needs.Consume, "?ids={ids}"),
        new(version, "GET", "/queues/{queue_name}/messages/{message_id}", "message_get", Needs.Consume),
        new(version, "DELETE", "/queues/{queue_name}/messages/{message_id}", "message_delete", Needs.Consume),
        new(version, "POST", "/queues/{queue_name}/claims", "claim_create", Needs.Consume),
        new(version, "GET", "/queues/{queue_name}/claims/{claim_id}", "claim_get", Needs.Consume),
        new(version, "PATCH", "/queues/{queue_name}/claims/{claim_id}", "claim_update", Needs.Consume),
        new(version, "DELETE", "/queues/{queue_name}/claims/{claim_id}", "claim_delete", Needs.Consume),
    ];
}

/// <summary>
/// Every route of every version over HTTP, with every credential that must be refused (issue:
/// authentication, tests 1): the contract's 401 or 403, the error body and nothing of the victim in
/// it, the same answer whether the victim's resources exist or not, and every table of the store
/// file unchanged after.
/// </summary>
public sealed class HttpAccessMatrixTests(SeededAccessMatrixFactory factory) : IClassFixture<SeededAccessMatrixFactory>
{
    public static TheoryData<string, string, Intruder> Cases()
    {
        var data = new TheoryData<string, string, Intruder>();
        foreach (var route in HttpRoute.All)
        {
            foreach (var intruder in Intruders.Against(route.Needs))
            {
                data.Add(route.Method, route.Version + route.Pattern + route.Query, intruder);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ARefusedRequestGets401Or403AndChangesAndRevealsNothing(string method, string route, Intruder intruder)
    {
        var entry = HttpRoute.All.Single(r => r.Method == method && r.Version + r.Pattern + r.Query == route);
        var (token, status) = factory.Credential(intruder);
        using var client = factory.CreateV1Client();
        var because = $"{intruder} on {entry}";

        var response = await client.SendAsync(entry.Build(factory.Victim, token));
        var body = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).Should().Be(status, "{0}: {1}", because, body);
        if (method == "HEAD")
        {
            body.Should().BeEmpty();
        }
        else
        {
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/json", because);
            using var json = System.Text.Json.JsonDocument.Parse(body);
            json.RootElement.GetProperty("title").GetString().Should().Be(Intruders.Title(status), because);
            factory.ShouldRevealNothing(body, because);
        }

        if (status == 401)
        {
            response.Headers.WwwAuthenticate.Should().ContainSingle(because).Which.Scheme.Should().Be("Bearer");
        }

        response.Headers.Location.Should().BeNull(because);
        response.Content.Headers.ContentLocation.Should().BeNull(because);

        // What exists in the project does not change the answer.
        var ghost = await client.SendAsync(entry.Build(factory.Victim.Ghost(), token));
        ghost.StatusCode.Should().Be(response.StatusCode, because);
        (await ghost.Content.ReadAsStringAsync()).Should().Be(body, because);

        await factory.ShouldBeUnchangedAsync(because);
    }

    public static TheoryData<string, string, int> MiscasedLiterals()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var route in HttpRoute.All)
        {
            var segments = (route.Version + route.Pattern).Split('/');
            for (var i = 0; i < segments.Length; i++)
            {
                if (!segments[i].StartsWith('{'))
                {
                    data.Add(route.Method, route.Version + route.Pattern + route.Query, i);
                }
            }
        }

        return data;
    }

    /// <summary>
    /// Contract 1.1: paths are case-sensitive, so a literal segment in another case names no
    /// resource, for the admin key too, and before any credential is looked at.
    /// </summary>
    [Theory]
    [MemberData(nameof(MiscasedLiterals))]
    public async Task AMiscasedLiteralIs404WithOrWithoutAKeyAndChangesNothing(string method, string route, int segment)
    {
        var entry = HttpRoute.All.Single(r => r.Method == method && r.Version + r.Pattern + r.Query == route);
        using var client = factory.CreateV1Client();
        foreach (var token in new[] { factory.Admin.Token, null })
        {
            var request = entry.Build(factory.Victim, token);
            var uri = request.RequestUri!.OriginalString;
            var query = uri.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? uri[q..] : "";
            var segments = uri[1..^query.Length].Split('/');
            segments[segment] = char.ToUpperInvariant(segments[segment][0]) + segments[segment][1..];
            request.RequestUri = new Uri("/" + string.Join('/', segments) + query, UriKind.Relative);
            var because = $"{method} {request.RequestUri} with {(token is null ? "no key" : "the admin key")}";

            var response = await client.SendAsync(request);
            if (method == "HEAD")
            {
                response.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound, because);
            }
            else
            {
                await response.ShouldBeErrorAsync(System.Net.HttpStatusCode.NotFound, "Not found");
            }

            await factory.ShouldBeUnchangedAsync(because);
        }
    }

    [Fact]
    public void TheListNamesEveryMappedRoute()
    {
        var mapped = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(m => $"{m} {e.RoutePattern.RawText?.TrimEnd('/')} {e.Metadata.GetMetadata<ApiActionMetadata>()?.Action}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        var listed = HttpRoute.All.Select(r => $"{r.Method} /{r.Version}{r.Pattern} {r.Action}")
            .Append("GET  ") // the versions document at /, outside every version
            .Append("* /healthz ") // the probes, outside every version, open like health
            .Append("* /readyz ")
            .Append("* /healthz/live ") // the probes' former paths, still answered
            .Append("* /healthz/ready ")
            .Append("* /metrics ") // the Prometheus scrape, an operator's endpoint outside the API and its keys
            .Append("GET /openapi/{version}.json ") // the OpenAPI documents: they describe the API, open like the home documents
            .Concat(new[] { "/ui", "/ui/dashboard.css", "/ui/dashboard.js" } // the dashboard's assets: no data, open; its data comes through the API
                .SelectMany(path => new[] { $"GET {path} ", $"HEAD {path} " }))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        mapped.Should().Equal(listed);
    }

    [Fact]
    public void TheMatrixRefusesEveryCredentialOnEveryRouteThatNeedsOne()
    {
        var open = HttpRoute.All.Where(r => r.Needs == Needs.Open).Select(r => r.Action).Distinct();
        open.Should().BeEquivalentTo(["get_home_doc", "check_node_health", "ping_node", "get_node_health"]);
        Cases().Count().Should().BeGreaterThan(HttpRoute.All.Length * 6);
    }
}
