using System.Text.Json;
using Marconi.Api.V1;
using Marconi.Api.V1_1;
using Marconi.Api.V2;
using Marconi.Tests.Zmq;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Auth;

/// <summary>One action of a version's catalogue as a ZeroMQ envelope names it, with what it needs.</summary>
public sealed record ZmqAction(string Version, string Action, Needs Needs)
{
    public override string ToString() => $"{Version} {Action}";

    /// <summary>The envelope's <c>api</c>: left out for v1, as v1 clients send it.</summary>
    public string? Api => Version == "v1" ? null : Version;

    /// <summary>The envelope body against the victim's resources (or the ghost's), one that would succeed.</summary>
    public Dictionary<string, object> Body(Victim victim)
    {
        var body = new Dictionary<string, object>();
        if (Action.StartsWith("queue_", StringComparison.Ordinal) && Action != "queue_list"
            || Action.StartsWith("message_", StringComparison.Ordinal) || Action.StartsWith("claim_", StringComparison.Ordinal)
            || Action.StartsWith("subscription_", StringComparison.Ordinal))
        {
            body["queue_name"] = Action == "queue_create" ? victim.Queue + "-new" : victim.Queue;
        }

        var ids = victim.MessageIds[2..];
        switch (Action)
        {
            case "queue_create" when Version != "v1":
            case "queue_set_metadata":
                body["metadata"] = new { color = "blue" };
                break;
            case "queue_update":
                body["patch"] = new[] { new { op = "replace", path = "/metadata/color", value = "blue" } };
                break;
            case "queue_purge":
                body["resource_types"] = new[] { "messages" };
                break;
            case "queue_redrive":
                body["limit"] = 10;
                break;
            case "queue_share":
                body["methods"] = new[] { "GET", "POST" };
                break;
            case "message_post":
                body["messages"] = new[] { new { ttl = 60, body = "intruder" } };
                break;
            case "message_list":
                body["include_claimed"] = true;
                break;
            case "message_get_many" or "message_delete_many":
                body["message_ids"] = ids;
                break;
            case "message_get" or "message_delete":
                body["message_id"] = ids[^1];
                break;
            case "message_pop":
                body["pop"] = 1;
                break;
            case "claim_create":
                body["ttl"] = 60;
                body["grace"] = 60;
                break;
            case "claim_get" or "claim_delete":
                body["claim_id"] = victim.ClaimId;
                break;
            case "claim_update":
                body["claim_id"] = victim.ClaimId;
                body["ttl"] = 120;
                break;
            case "subscription_create":
                body["subscriber"] = "http://127.0.0.1:9/intruder";
                body["ttl"] = 3600;
                break;
            case "subscription_get" or "subscription_delete":
                body["subscription_id"] = victim.SubscriptionId;
                break;
            case "subscription_update":
                body["subscription_id"] = victim.SubscriptionId;
                body["ttl"] = 7200;
                break;
            case "subscription_confirm":
                body["subscription_id"] = victim.SubscriptionId;
                body["confirmed"] = true;
                break;
            case "key_create":
                body["name"] = "intruder";
                body["project"] = victim.Project;
                body["role"] = "full";
                break;
            case "key_get" or "key_revoke" or "key_rotate":
                body["key_id"] = victim.Full.Key.Id;
                break;
        }

        return body;
    }

    /// <summary>
    /// Every action of the three catalogues; <see cref="ZmqAccessMatrixTests.TheListNamesEveryCatalogueAction"/>
    /// holds it to the host's catalogues.
    /// </summary>
    public static readonly ZmqAction[] All =
    [
        .. Common("v1"),
        new("v1", "queue_exists", Needs.Read),
        new("v1", "queue_set_metadata", Needs.Manage),
        .. Common("v1.1"),
        new("v1.1", "get_node_health", Needs.Open),
        new("v1.1", "message_pop", Needs.Consume),
        .. Common("v2"),
        new("v2", "get_node_health", Needs.Open),
        new("v2", "message_pop", Needs.Consume),
        new("v2", "queue_update", Needs.Manage),
        new("v2", "queue_purge", Needs.Manage),
        new("v2", "queue_redrive", Needs.Manage),
        new("v2", "queue_share", Needs.Manage),
        new("v2", "subscription_create", Needs.Manage),
        new("v2", "subscription_list", Needs.Manage),
        new("v2", "subscription_get", Needs.Manage),
        new("v2", "subscription_update", Needs.Manage),
        new("v2", "subscription_delete", Needs.Manage),
        new("v2", "subscription_confirm", Needs.Manage),
        new("v2", "key_create", Needs.Admin),
        new("v2", "key_list", Needs.Admin),
        new("v2", "key_get", Needs.Admin),
        new("v2", "key_revoke", Needs.Admin),
        new("v2", "key_rotate", Needs.Admin),
        new("v2", "project_list", Needs.Admin),
    ];

    private static IEnumerable<ZmqAction> Common(string version) =>
    [
        new(version, "get_home_doc", Needs.Open),
        new(version, "check_node_health", Needs.Open),
        new(version, "ping_node", Needs.Open),
        new(version, "queue_list", Needs.Read),
        new(version, "queue_create", Needs.Produce),
        new(version, "queue_get", Needs.Read),
        new(version, "queue_get_stats", Needs.Read),
        new(version, "queue_delete", Needs.Manage),
        new(version, "message_post", Needs.Produce),
        new(version, "message_list", Needs.Consume),
        new(version, "message_get_many", Needs.Consume),
        new(version, "message_get", Needs.Consume),
        new(version, "message_delete", Needs.Consume),
        new(version, "message_delete_many", Needs.Consume),
        new(version, "claim_create", Needs.Consume),
        new(version, "claim_get", Needs.Consume),
        new(version, "claim_update", Needs.Consume),
        new(version, "claim_delete", Needs.Consume),
    ];
}

/// <summary>
/// Every action of every version over ZeroMQ, with every credential that must be refused (issue:
/// authentication, tests 1): the envelope carries the contract's 401 or 403 and error body with
/// nothing of the victim, the same whether the victim's resources exist or not, and every table of
/// the store file is unchanged after.
/// </summary>
public sealed class ZmqAccessMatrixTests(SeededAccessMatrixFactory factory) : IClassFixture<SeededAccessMatrixFactory>, IDisposable
{
    private readonly ZmqClient _zmq = factory.CreateReqClient();

    public void Dispose() => _zmq.Dispose();

    public static TheoryData<string, string, Intruder> Cases()
    {
        var data = new TheoryData<string, string, Intruder>();
        foreach (var action in ZmqAction.All)
        {
            foreach (var intruder in Intruders.Against(action.Needs))
            {
                data.Add(action.Version, action.Action, intruder);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ARefusedActionGets401Or403AndChangesAndRevealsNothing(string version, string action, Intruder intruder)
    {
        var entry = ZmqAction.All.Single(a => a.Version == version && a.Action == action);
        var (token, status) = factory.Credential(intruder);
        var because = $"{intruder} on {entry}";

        var reply = Call(entry, factory.Victim, token);
        reply.ShouldBeError(status, Intruders.Title(status));
        reply.Location().Should().BeNull(because);
        factory.ShouldRevealNothing(reply.Body().GetRawText(), because);

        // What exists in the project does not change the answer.
        var ghost = Call(entry, factory.Victim.Ghost(), token);
        ghost.GetProperty("headers").GetRawText().Should().Be(reply.GetProperty("headers").GetRawText(), because);
        ghost.Body().GetRawText().Should().Be(reply.Body().GetRawText(), because);

        await factory.ShouldBeUnchangedAsync(because);
    }

    [Fact]
    public void TheListNamesEveryCatalogueAction()
    {
        var services = factory.Services;
        var catalogued = new Api.ApiCatalogue[]
            {
                services.GetRequiredService<V1Catalogue>(), services.GetRequiredService<V1_1Catalogue>(), services.GetRequiredService<V2Catalogue>(),
            }
            .SelectMany(c => c.ActionNames.Select(a => $"{c.Version} {a}"));

        ZmqAction.All.Select(a => a.ToString()).Should().BeEquivalentTo(catalogued);
        ZmqAction.All.Should().OnlyHaveUniqueItems();
    }

    private JsonElement Call(ZmqAction action, Victim victim, string? token)
    {
        _zmq.Api = action.Api;
        _zmq.Project = victim.Project;
        _zmq.Token = token;
        return _zmq.Call(action.Action, action.Body(victim));
    }
}
