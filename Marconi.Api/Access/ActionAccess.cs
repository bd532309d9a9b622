namespace Marconi.Api.Access;

/// <summary>What a catalogue action needs from the caller's key.</summary>
public enum AccessLevel
{
    /// <summary>Health, ping and home documents: no credential at all.</summary>
    Open,

    /// <summary>Reading queues (list, metadata, stats, existence): any role.</summary>
    ReadQueues,

    /// <summary>Creating queues and posting: <c>full</c> or <c>produce</c>.</summary>
    Produce,

    /// <summary>Reading, claiming, deleting and releasing messages: <c>full</c> or <c>consume</c>.</summary>
    Consume,

    /// <summary>Changing or removing a queue, sharing it, its subscriptions: <c>full</c>.</summary>
    Manage,

    /// <summary>Key management and the project listing: an admin-scoped <c>full</c> key.</summary>
    Admin,
}

/// <summary>
/// The access each action name of every catalogue needs. Names are shared across versions (v1's
/// <c>queue_set_metadata</c>, v2's <c>queue_update</c>); a name missing here needs an admin key, so
/// a new action is closed until it is given a level (and a test checks that every action has one).
/// </summary>
public static class ActionAccess
{
    private static readonly Dictionary<string, AccessLevel> Levels = new(StringComparer.Ordinal)
    {
        ["get_home_doc"] = AccessLevel.Open,
        ["check_node_health"] = AccessLevel.Open,
        ["ping_node"] = AccessLevel.Open,
        ["get_node_health"] = AccessLevel.Open,

        ["queue_list"] = AccessLevel.ReadQueues,
        ["queue_get"] = AccessLevel.ReadQueues,
        ["queue_exists"] = AccessLevel.ReadQueues,
        ["queue_get_stats"] = AccessLevel.ReadQueues,

        ["queue_create"] = AccessLevel.Produce,
        ["message_post"] = AccessLevel.Produce,

        ["message_list"] = AccessLevel.Consume,
        ["message_get"] = AccessLevel.Consume,
        ["message_get_many"] = AccessLevel.Consume,
        ["message_delete"] = AccessLevel.Consume,
        ["message_delete_many"] = AccessLevel.Consume,
        ["claim_create"] = AccessLevel.Consume,
        ["claim_get"] = AccessLevel.Consume,
        ["claim_update"] = AccessLevel.Consume,
        ["claim_delete"] = AccessLevel.Consume,
        ["message_pop"] = AccessLevel.Consume,

        ["queue_delete"] = AccessLevel.Manage,
        ["queue_set_metadata"] = AccessLevel.Manage,
        ["queue_update"] = AccessLevel.Manage,
        ["queue_purge"] = AccessLevel.Manage,
        ["queue_redrive"] = AccessLevel.Manage,
        ["queue_share"] = AccessLevel.Manage,
        ["subscription_create"] = AccessLevel.Manage,
        ["subscription_list"] = AccessLevel.Manage,
        ["subscription_get"] = AccessLevel.Manage,
        ["subscription_update"] = AccessLevel.Manage,
        ["subscription_delete"] = AccessLevel.Manage,
        ["subscription_confirm"] = AccessLevel.Manage,

        ["key_create"] = AccessLevel.Admin,
        ["key_list"] = AccessLevel.Admin,
        ["key_get"] = AccessLevel.Admin,
        ["key_revoke"] = AccessLevel.Admin,
        ["key_rotate"] = AccessLevel.Admin,
        ["project_list"] = AccessLevel.Admin,
    };

    public static AccessLevel Of(string action) => Levels.GetValueOrDefault(action, AccessLevel.Admin);

    /// <summary>True when the action has a level of its own rather than the closed default.</summary>
    public static bool IsListed(string action) => Levels.ContainsKey(action);
}
