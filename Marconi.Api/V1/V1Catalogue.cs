using System.Text;
using Marconi.Core;
using Marconi.Core.Operations;
using Microsoft.Extensions.Options;

namespace Marconi.Api.V1;

/// <summary>
/// The v1 API (contract v1.md): every operation of its action catalogue (contract 10), with the
/// outcome each one answers. Each action first gathers its parameters, so a transport's own
/// parameter errors come first, then checks them in the contract's order (1.7) and calls the core.
/// </summary>
public sealed class V1Catalogue : ApiCatalogue
{
    private static readonly Hrefs Hrefs = V1Representation.Hrefs;

    private readonly QueueOperations _queues;
    private readonly MessageOperations _messages;
    private readonly ClaimOperations _claims;
    private readonly HealthOperations _health;
    private readonly LimitsOptions _limits;

    public V1Catalogue(
        QueueOperations queues, MessageOperations messages, ClaimOperations claims, HealthOperations health,
        IOptions<LimitsOptions> limits)
    {
        _queues = queues;
        _messages = messages;
        _claims = claims;
        _health = health;
        _limits = limits.Value;

        Add("get_home_doc", GetHomeDoc);
        Add("check_node_health", CheckNodeHealth);
        Add("ping_node", PingNode);
        Add("queue_list", QueueList);
        Add("queue_create", QueueCreate);
        Add("queue_exists", QueueExists);
        Add("queue_delete", QueueDelete);
        Add("queue_get", QueueGet);
        Add("queue_set_metadata", QueueSetMetadata);
        Add("queue_get_stats", QueueGetStats);
        Add("message_post", MessagePost);
        Add("message_list", MessageList);
        Add("message_get_many", MessageGetMany);
        Add("message_get", MessageGet);
        Add("message_delete", MessageDelete);
        Add("message_delete_many", MessageDeleteMany);
        Add("claim_create", ClaimCreate);
        Add("claim_get", ClaimGet);
        Add("claim_update", ClaimUpdate);
        Add("claim_delete", ClaimDelete);
    }

    public override string Version => "v1";

    public override RequestContext Caller(string action, string? project, string? clientId) =>
        RequestContext.FromHeaders(project, clientId);

    private static readonly ApiOutcome Home = new(200, V1HomeDocument.Bytes)
    {
        ContentType = V1HomeDocument.ContentType,
        CacheControl = V1HomeDocument.CacheControl,
    };

    private static Task<ApiOutcome> GetHomeDoc(ApiRequest r, CancellationToken t) => Task.FromResult(Home);

    /// <summary>3.2: storage is probed.</summary>
    private async Task<ApiOutcome> CheckNodeHealth(ApiRequest r, CancellationToken t)
    {
        await _health.CheckAsync(t);
        return ApiOutcome.NoContent;
    }

    /// <summary>The process is up; storage is not probed.</summary>
    private static Task<ApiOutcome> PingNode(ApiRequest r, CancellationToken t) => Task.FromResult(ApiOutcome.NoContent);

    /// <summary>3.6: 200 with a page, 204 when the page is empty.</summary>
    private async Task<ApiOutcome> QueueList(ApiRequest r, CancellationToken t)
    {
        var marker = r.Text("marker", ParameterType.String);
        var limitText = r.Text("limit", ParameterType.Integer);
        var detailedText = r.Text("detailed", ParameterType.Boolean);
        var limit = QueryParameters.Integer("limit", limitText);
        var detailed = QueryParameters.Boolean("detailed", detailedText);

        var page = await _queues.ListAsync(r.Caller, marker, limit, detailed ?? false, t);
        if (page.Queues.Count == 0)
        {
            return ApiOutcome.NoContent;
        }

        var next = Hrefs.NextPage(Hrefs.Queues, page.NextMarker, ("limit", limit), ("detailed", detailed));
        return ApiOutcome.Ok(V1Representation.QueueList(page, next)) with { ContentLocation = r.PathAndQuery };
    }

    /// <summary>3.3: 201 when created, 204 when it existed; any body is ignored.</summary>
    private async Task<ApiOutcome> QueueCreate(ApiRequest r, CancellationToken t)
    {
        var queue = QueueNames.Validate(r.Caller, r.Name("queue_name"));
        var created = await _queues.CreateAsync(queue, t);
        return new ApiOutcome(created ? 201 : 204) { Location = Hrefs.Queue(queue.Name) };
    }

    /// <summary>3.4: 204 or 404, never a body.</summary>
    private async Task<ApiOutcome> QueueExists(ApiRequest r, CancellationToken t)
    {
        var queue = QueueNames.Validate(r.Caller, r.Name("queue_name"));
        var exists = await _queues.ExistsAsync(queue, t);
        return new ApiOutcome(exists ? 204 : 404) { ContentLocation = r.Path };
    }

    /// <summary>3.5: 204 whether or not the queue existed.</summary>
    private async Task<ApiOutcome> QueueDelete(ApiRequest r, CancellationToken t)
    {
        await _queues.DeleteAsync(QueueNames.Validate(r.Caller, r.Name("queue_name")), t);
        return ApiOutcome.NoContent;
    }

    /// <summary>3.7: the metadata document exactly as stored.</summary>
    private async Task<ApiOutcome> QueueGet(ApiRequest r, CancellationToken t)
    {
        var metadata = await _queues.GetMetadataAsync(QueueNames.Validate(r.Caller, r.Name("queue_name")), t);
        return ApiOutcome.Ok(Encoding.UTF8.GetBytes(metadata)) with { ContentLocation = r.Path };
    }

    /// <summary>3.8: replaces the metadata; 204 with Location.</summary>
    private async Task<ApiOutcome> QueueSetMetadata(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var body = r.Document(DocumentSource.Value("metadata"));
        var queue = QueueNames.Validate(r.Caller, name);
        var metadata = await V1Documents.ReadMetadataAsync(body, _limits, t);
        await _queues.SetMetadataAsync(queue, metadata, t);
        return new ApiOutcome(204) { Location = Hrefs.Metadata(queue.Name) };
    }

    /// <summary>3.9: message counts, with oldest/newest when there are messages.</summary>
    private async Task<ApiOutcome> QueueGetStats(ApiRequest r, CancellationToken t)
    {
        var stats = await _queues.GetStatsAsync(QueueNames.Validate(r.Caller, r.Name("queue_name")), t);
        return ApiOutcome.Ok(V1Representation.Stats(stats)) with { ContentLocation = r.Path };
    }

    /// <summary>3.10: 201 with one href per message and a Location listing their ids.</summary>
    private async Task<ApiOutcome> MessagePost(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var body = r.Document(DocumentSource.Value("messages"));
        var queue = QueueNames.Validate(r.Caller, name);
        var clientId = r.Caller.RequireClientId();
        var messages = await V1Documents.ReadMessagesAsync(body, _limits, t);
        var posted = await _messages.PostAsync(queue, clientId, messages, settings: null, createQueue: false, t);
        return new ApiOutcome(201, V1Representation.PostResult(posted))
        {
            Location = Hrefs.MessagesByIds(queue.Name, posted.MessageIds),
        };
    }

    /// <summary>3.11: 200 with a page, 204 when empty; both with Content-Location.</summary>
    private async Task<ApiOutcome> MessageList(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var marker = r.Text("marker", ParameterType.String);
        var limitText = r.Text("limit", ParameterType.Integer);
        var echoText = r.Text("echo", ParameterType.Boolean);
        var includeClaimedText = r.Text("include_claimed", ParameterType.Boolean);
        var queue = QueueNames.Validate(r.Caller, name);
        var clientId = r.Caller.RequireClientId();
        var limit = QueryParameters.Integer("limit", limitText);
        var echo = QueryParameters.Boolean("echo", echoText);
        var includeClaimed = QueryParameters.Boolean("include_claimed", includeClaimedText);

        var page = await _messages.ListAsync(
            queue, clientId, new MessageListRequest(marker, limit, echo ?? false, includeClaimed ?? false), t);
        if (page.Messages.Count == 0)
        {
            return ApiOutcome.NoContent with { ContentLocation = r.PathAndQuery };
        }

        var next = Hrefs.NextPage(
            Hrefs.Messages(queue.Name), page.NextMarker,
            ("limit", limit), ("echo", echo), ("include_claimed", includeClaimed));
        return ApiOutcome.Ok(V1Representation.MessagePage(page, next)) with { ContentLocation = r.PathAndQuery };
    }

    /// <summary>3.12: a bare array, 204 when none was found.</summary>
    private async Task<ApiOutcome> MessageGetMany(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var ids = r.List("message_ids") ?? [];
        var found = await _messages.GetManyAsync(QueueNames.Validate(r.Caller, name), ids, t);
        return found.Messages.Count == 0
            ? ApiOutcome.NoContent with { ContentLocation = r.PathAndQuery }
            : ApiOutcome.Ok(V1Representation.Messages(found)) with { ContentLocation = r.PathAndQuery };
    }

    /// <summary>3.13: any <c>claim_id</c> is ignored.</summary>
    private async Task<ApiOutcome> MessageGet(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("message_id");
        var message = await _messages.GetAsync(QueueNames.Validate(r.Caller, name), id, t);
        return ApiOutcome.Ok(V1Representation.Message(message)) with { ContentLocation = r.PathAndQuery };
    }

    /// <summary>3.14: the outcome table lives in the core and storage.</summary>
    private async Task<ApiOutcome> MessageDelete(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("message_id");
        var claimId = r.Text("claim_id", ParameterType.String);
        await _messages.DeleteAsync(QueueNames.Validate(r.Caller, name), id, claimId, t);
        return ApiOutcome.NoContent;
    }

    /// <summary>3.15: <c>ids</c> is required.</summary>
    private async Task<ApiOutcome> MessageDeleteMany(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var ids = r.List("message_ids");
        var queue = QueueNames.Validate(r.Caller, name);
        await _messages.DeleteManyAsync(queue, ids ?? throw Errors.MissingParameter("ids"), t);
        return ApiOutcome.NoContent;
    }

    /// <summary>
    /// 3.16: 201 with the claimed messages, or 204 (no Location) when nothing was claimed; with
    /// <c>wait</c> (not in the contract), 204 only once that many seconds passed with nothing to claim.
    /// </summary>
    private async Task<ApiOutcome> ClaimCreate(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var limitText = r.Text("limit", ParameterType.Integer);
        var waitText = r.Text("wait", ParameterType.Integer);
        var body = r.Document(DocumentSource.ObjectOf("ttl", "grace"));
        var queue = QueueNames.Validate(r.Caller, name);
        var limit = QueryParameters.Integer("limit", limitText);
        var wait = QueryParameters.Integer("wait", waitText);
        var (ttl, grace) = await V1Documents.ReadClaimAsync(body, _limits, graceRequired: true, t);
        var claim = await _claims.CreateAsync(queue, ttl, grace, limit, t, wait);
        return claim is null
            ? ApiOutcome.NoContent
            : new ApiOutcome(201, V1Representation.ClaimedMessages(claim)) {
                Location = Hrefs.Claim(queue.Name, claim.Claim.Id),
                Undeliverable = () => _claims.DeleteAsync(queue, claim.Claim.Id, CancellationToken.None),
            };
    }

    /// <summary>3.17.</summary>
    private async Task<ApiOutcome> ClaimGet(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("claim_id");
        var claim = await _claims.GetAsync(QueueNames.Validate(r.Caller, name), id, t);
        return ApiOutcome.Ok(V1Representation.Claim(claim)) with { ContentLocation = r.PathAndQuery };
    }

    /// <summary>3.18: grace defaults to 0.</summary>
    private async Task<ApiOutcome> ClaimUpdate(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("claim_id");
        var body = r.Document(DocumentSource.ObjectOf("ttl", "grace"));
        var queue = QueueNames.Validate(r.Caller, name);
        var (ttl, grace) = await V1Documents.ReadClaimAsync(body, _limits, graceRequired: false, t);
        await _claims.UpdateAsync(queue, id, ttl, grace, t);
        return ApiOutcome.NoContent;
    }

    /// <summary>3.19: 204 always for valid input.</summary>
    private async Task<ApiOutcome> ClaimDelete(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("claim_id");
        await _claims.DeleteAsync(QueueNames.Validate(r.Caller, name), id, t);
        return ApiOutcome.NoContent;
    }
}
