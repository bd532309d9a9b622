using Marconi.Api;
using Marconi.Api.V1_1;
using Marconi.Api.V2;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Transport.Http;

/// <summary>
/// The route tables of v1.1 and v2 (v2 contract 2.1): each method and path names an action of the
/// version's catalogue. v2 is v1.1 plus its own resources.
/// </summary>
internal static class ZaqarRoutes
{
    public static IEndpointRouteBuilder MapV1_1(this IEndpointRouteBuilder app)
    {
        app.MapZaqar(app.ServiceProvider.GetRequiredService<V1_1Catalogue>());
        return app;
    }

    public static IEndpointRouteBuilder MapV2(this IEndpointRouteBuilder app)
    {
        var api = app.ServiceProvider.GetRequiredService<V2Catalogue>();
        var v2 = app.MapZaqar(api);
        v2.MapAction(HttpMethods.Patch, "/queues/{queue_name}", api, "queue_update");
        v2.MapAction(HttpMethods.Post, "/queues/{queue_name}/purge", api, "queue_purge");
        v2.MapAction(HttpMethods.Post, "/queues/{queue_name}/redrive", api, "queue_redrive");
        v2.MapAction(HttpMethods.Post, "/queues/{queue_name}/share", api, "queue_share");
        v2.MapAction(HttpMethods.Post, "/queues/{queue_name}/subscriptions", api, "subscription_create");
        v2.MapAction(HttpMethods.Get, "/queues/{queue_name}/subscriptions", api, "subscription_list");
        v2.MapAction(HttpMethods.Get, "/queues/{queue_name}/subscriptions/{subscription_id}", api, "subscription_get");
        v2.MapAction(HttpMethods.Patch, "/queues/{queue_name}/subscriptions/{subscription_id}", api, "subscription_update");
        v2.MapAction(HttpMethods.Delete, "/queues/{queue_name}/subscriptions/{subscription_id}", api, "subscription_delete");
        v2.MapAction(HttpMethods.Put, "/queues/{queue_name}/subscriptions/{subscription_id}/confirm", api, "subscription_confirm");

        // Key management acts on no project, so it needs neither X-Project-ID nor Client-ID.
        v2.MapAction(HttpMethods.Post, "/admin/keys", api, "key_create").WithMetadata(NeedsNoCaller.Instance);
        v2.MapAction(HttpMethods.Get, "/admin/keys", api, "key_list").WithMetadata(NeedsNoCaller.Instance);
        v2.MapAction(HttpMethods.Get, "/admin/keys/{key_id}", api, "key_get").WithMetadata(NeedsNoCaller.Instance);
        v2.MapAction(HttpMethods.Delete, "/admin/keys/{key_id}", api, "key_revoke").WithMetadata(NeedsNoCaller.Instance);
        v2.MapAction(HttpMethods.Post, "/admin/keys/{key_id}/rotate", api, "key_rotate").WithMetadata(NeedsNoCaller.Instance);

        // The project listing spans every project, so it needs neither header either.
        v2.MapAction(HttpMethods.Get, "/admin/projects", api, "project_list").WithMetadata(NeedsNoCaller.Instance);
        return app;
    }

    /// <summary>The routes v1.1 and v2 share; credentials and pre-signed URLs were checked by <see cref="ApiAccess"/>.</summary>
    private static RouteGroupBuilder MapZaqar(this IEndpointRouteBuilder app, V1_1Catalogue api)
    {
        var group = app.MapGroup("/" + api.Version);
        group.AddEndpointFilter<ZaqarRequestChecks>();

        // Served for both /v2 and /v2/ (PathRules).
        group.MapAction(HttpMethods.Get, "", api, "get_home_doc").WithMetadata(AcceptsJsonHome.Instance, NeedsNoCaller.Instance);
        group.MapAction(HttpMethods.Get, "/ping", api, "check_node_health").WithMetadata(NeedsNoCaller.Instance);
        group.MapAction(HttpMethods.Head, "/ping", api, "ping_node").WithMetadata(NeedsNoCaller.Instance);
        group.MapAction(HttpMethods.Get, "/health", api, "get_node_health").WithMetadata(NeedsNoCaller.Instance);

        group.MapAction(HttpMethods.Get, "/queues", api, "queue_list");
        group.MapAction(HttpMethods.Put, "/queues/{queue_name}", api, "queue_create");
        group.MapAction(HttpMethods.Get, "/queues/{queue_name}", api, "queue_get");
        group.MapAction(HttpMethods.Delete, "/queues/{queue_name}", api, "queue_delete");
        group.MapAction(HttpMethods.Get, "/queues/{queue_name}/stats", api, "queue_get_stats");

        group.MapAction(HttpMethods.Post, "/queues/{queue_name}/messages", api, "message_post");
        // 7.2 when ids is absent or empty-valued, else 7.3.
        group.MapAction(HttpMethods.Get, "/queues/{queue_name}/messages",
            api, "message_list",
            request => new HttpApiRequest(request).List("message_ids") is null ? "message_list" : "message_get_many");
        group.MapAction(HttpMethods.Delete, "/queues/{queue_name}/messages", api, "message_delete_many");
        group.MapAction(HttpMethods.Get, "/queues/{queue_name}/messages/{message_id}", api, "message_get");
        group.MapAction(HttpMethods.Delete, "/queues/{queue_name}/messages/{message_id}", api, "message_delete");

        group.MapAction(HttpMethods.Post, "/queues/{queue_name}/claims", api, "claim_create");
        group.MapAction(HttpMethods.Get, "/queues/{queue_name}/claims/{claim_id}", api, "claim_get");
        group.MapAction(HttpMethods.Patch, "/queues/{queue_name}/claims/{claim_id}", api, "claim_update");
        group.MapAction(HttpMethods.Delete, "/queues/{queue_name}/claims/{claim_id}", api, "claim_delete");
        return group;
    }
}
