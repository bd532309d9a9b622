using Marconi.Api;
using Marconi.Api.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Transport.Http;

/// <summary>
/// The v1 route table: each method and path names an action of the v1 catalogue, whose outcome is
/// written as it is. The checks of contract 1.7 steps 2–5 run first, as a filter on the group.
/// </summary>
internal static class V1Routes
{
    public static IEndpointRouteBuilder MapV1(this IEndpointRouteBuilder app)
    {
        var api = app.ServiceProvider.GetRequiredService<V1Catalogue>();
        var v1 = app.MapGroup("/v1").AddEndpointFilter<V1RequestChecks>();

        // Served for both /v1 and /v1/ (PathRules).
        v1.MapAction(HttpMethods.Get, "", api, "get_home_doc").WithMetadata(AcceptsJsonHome.Instance);
        v1.MapAction(HttpMethods.Get, "/health", api, "check_node_health");
        v1.MapAction(HttpMethods.Head, "/health", api, "ping_node");

        v1.MapAction(HttpMethods.Get, "/queues", api, "queue_list");
        v1.MapAction(HttpMethods.Put, "/queues/{queue_name}", api, "queue_create");
        v1.MapAction([HttpMethods.Get, HttpMethods.Head], "/queues/{queue_name}", api, "queue_exists");
        v1.MapAction(HttpMethods.Delete, "/queues/{queue_name}", api, "queue_delete");
        v1.MapAction(HttpMethods.Get, "/queues/{queue_name}/metadata", api, "queue_get");
        v1.MapAction(HttpMethods.Put, "/queues/{queue_name}/metadata", api, "queue_set_metadata");
        v1.MapAction(HttpMethods.Get, "/queues/{queue_name}/stats", api, "queue_get_stats");

        v1.MapAction(HttpMethods.Post, "/queues/{queue_name}/messages", api, "message_post");
        // 3.11 when ids is absent or empty-valued, else 3.12.
        v1.MapAction(HttpMethods.Get, "/queues/{queue_name}/messages",
            api, "message_list",
            request => new HttpApiRequest(request).List("message_ids") is null ? "message_list" : "message_get_many");
        v1.MapAction(HttpMethods.Delete, "/queues/{queue_name}/messages", api, "message_delete_many");
        v1.MapAction(HttpMethods.Get, "/queues/{queue_name}/messages/{message_id}", api, "message_get");
        v1.MapAction(HttpMethods.Delete, "/queues/{queue_name}/messages/{message_id}", api, "message_delete");

        v1.MapAction(HttpMethods.Post, "/queues/{queue_name}/claims", api, "claim_create");
        v1.MapAction(HttpMethods.Get, "/queues/{queue_name}/claims/{claim_id}", api, "claim_get");
        v1.MapAction(HttpMethods.Patch, "/queues/{queue_name}/claims/{claim_id}", api, "claim_update");
        v1.MapAction(HttpMethods.Delete, "/queues/{queue_name}/claims/{claim_id}", api, "claim_delete");
        return app;
    }
}
