using System.Text.Json;

namespace Marconi.Api.V1_1;

/// <summary>The JSON-Home documents of v1.1 and v2 (v2 contract 5.2), built from one table.</summary>
public static class ZaqarHomeDocument
{
    /// <param name="Rel">The relation, e.g. <c>rel/queues</c>.</param>
    /// <param name="Template">The path after the version prefix.</param>
    /// <param name="Vars">Template variables and the <c>param/</c> name each one maps to.</param>
    /// <param name="Allow">Methods under v2.</param>
    /// <param name="AllowV1_1">Methods under v1.1; null when v1.1 does not list the relation.</param>
    /// <param name="AcceptsPost">Whether the entry carries <c>accept-post</c>.</param>
    private sealed record Entry(
        string Rel, string Template, (string Var, string Param)[] Vars, string[] Allow, string[]? AllowV1_1,
        bool AcceptsPost = false);

    private static readonly (string, string) Queue = ("queue_name", "queue_name");

    private static readonly Entry[] Entries =
    [
        new("rel/queues", "/queues{?marker,limit,detailed}",
            [("marker", "marker"), ("limit", "queue_limit"), ("detailed", "detailed")], ["GET"], ["GET"]),
        new("rel/queue", "/queues/{queue_name}", [Queue], ["GET", "PUT", "DELETE", "PATCH"], ["PUT", "DELETE"]),
        new("rel/queue_stats", "/queues/{queue_name}/stats", [Queue], ["GET"], ["GET"]),
        new("rel/queue_share", "/queues/{queue_name}/share", [Queue], ["POST"], null, AcceptsPost: true),
        new("rel/queue_purge", "/queues/{queue_name}/purge", [Queue], ["POST"], null, AcceptsPost: true),
        new("rel/messages", "/queues/{queue_name}/messages{?marker,limit,echo,include_claimed}",
            [Queue, ("marker", "marker"), ("limit", "messages_limit"), ("echo", "echo"), ("include_claimed", "include_claimed")],
            ["GET"], ["GET"]),
        new("rel/post_messages", "/queues/{queue_name}/messages", [Queue], ["POST"], ["POST"], AcceptsPost: true),
        new("rel/messages_delete", "/queues/{queue_name}/messages{?ids,pop}",
            [Queue, ("ids", "ids"), ("pop", "pop")], ["DELETE"], ["DELETE"]),
        new("rel/message_delete", "/queues/{queue_name}/messages/{message_id}{?claim}",
            [Queue, ("message_id", "message_id"), ("claim", "claim_id")], ["DELETE"], ["DELETE"]),
        new("rel/message_get", "/queues/{queue_name}/messages/{message_id}",
            [Queue, ("message_id", "message_id")], ["GET"], null),
        new("rel/claim", "/queues/{queue_name}/claims/{claim_id}", [Queue, ("claim_id", "claim_id")], ["GET"], ["GET"]),
        new("rel/post_claim", "/queues/{queue_name}/claims{?limit}", [Queue, ("limit", "claim_limit")], ["POST"], ["POST"],
            AcceptsPost: true),
        new("rel/patch_claim", "/queues/{queue_name}/claims/{claim_id}", [Queue, ("claim_id", "claim_id")], ["PATCH"], ["PATCH"],
            AcceptsPost: true),
        new("rel/delete_claim", "/queues/{queue_name}/claims/{claim_id}", [Queue, ("claim_id", "claim_id")], ["DELETE"], ["DELETE"]),
        new("rel/subscriptions_get", "/queues/{queue_name}/subscriptions{?marker,limit}",
            [Queue, ("marker", "marker"), ("limit", "subscription_limit")], ["GET"], null),
        new("rel/subscriptions_post", "/queues/{queue_name}/subscriptions",
            [Queue, ("limit", "subscription_limit")], ["POST"], null, AcceptsPost: true),
        new("rel/subscription", "/queues/{queue_name}/subscriptions/{subscriptions_id}",
            [Queue, ("subscriptions_id", "subscriptions_id")], ["GET", "DELETE"], null),
        new("rel/subscription_patch", "/queues/{queue_name}/subscriptions/{subscriptions_id}",
            [Queue, ("subscriptions_id", "subscriptions_id")], ["PATCH"], null, AcceptsPost: true),
        new("rel/ping", "/ping", [], ["GET"], ["GET"]),
    ];

    /// <summary>The home document of the version at <paramref name="prefix"/>; v1.1 lists fewer relations.</summary>
    public static byte[] Build(string prefix, bool v2) => Rendering.Render(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("resources"u8);
        foreach (var entry in Entries)
        {
            var allow = v2 ? entry.Allow : entry.AllowV1_1;
            if (allow is null)
            {
                continue;
            }

            w.WriteStartObject(entry.Rel);
            w.WriteString("href-template"u8, prefix + entry.Template);
            if (entry.Vars.Length > 0)
            {
                w.WriteStartObject("href-vars"u8);
                foreach (var (name, param) in entry.Vars)
                {
                    w.WriteString(name, "param/" + param);
                }

                w.WriteEndObject();
            }

            w.WriteStartObject("hints"u8);
            w.WriteStartArray("allow"u8);
            foreach (var method in allow)
            {
                w.WriteStringValue(method);
            }

            w.WriteEndArray();
            w.WriteStartObject("formats"u8);
            w.WriteStartObject("application/json"u8);
            w.WriteEndObject();
            w.WriteEndObject();
            if (entry.AcceptsPost)
            {
                w.WriteStartArray("accept-post"u8);
                w.WriteStringValue("application/json"u8);
                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    });
}
