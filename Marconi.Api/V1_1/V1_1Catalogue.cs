using System.Text;
using Marconi.Api.V2;
using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Api.V1_1;

/// <summary>
/// The v1.1 API (v2 contract, Part II), and the base of v2, which adds to it: the operations both
/// versions share, keyed by action name. Where v2 behaves differently (reserved metadata defaults,
/// post defaults, delayed messages, queue filters) the difference is a flag of this class, so one
/// reading of the contract serves both.
/// </summary>
public class V1_1Catalogue : ApiCatalogue
{
    private readonly ApiOutcome _home;

    public V1_1Catalogue(
        QueueOperations queues, MessageOperations messages, ClaimOperations claims, HealthOperations health,
        IOptions<LimitsOptions> limits)
        : this("v1.1", queues, messages, claims, health, limits)
    {
    }

    protected V1_1Catalogue(
        string version, QueueOperations queues, MessageOperations messages, ClaimOperations claims, HealthOperations health,
        IOptions<LimitsOptions> limits)
    {
        Version = version;
        IsV2 = version == "v2";
        Queues = queues;
        Messages = messages;
        Claims = claims;
        Health = health;
        Limits = limits.Value;
        Representation = new V1_1Representation(new Hrefs("/" + version));
        _home = new ApiOutcome(200, ZaqarHomeDocument.Build("/" + version, IsV2))
        {
            ContentType = "application/json-home",
            CacheControl = "max-age=86400",
        };

        Add("get_home_doc", (_, _) => Task.FromResult(_home));
        Add("ping_node", (_, _) => Task.FromResult(ApiOutcome.NoContent));
        Add("check_node_health", CheckNodeHealth);
        Add("get_node_health", GetNodeHealth);
        Add("queue_list", QueueList);
        Add("queue_create", QueueCreate);
        Add("queue_get", QueueGet);
        Add("queue_delete", QueueDelete);
        Add("queue_get_stats", QueueGetStats);
        Add("message_post", MessagePost);
        Add("message_list", MessageList);
        Add("message_get_many", MessageGetMany);
        Add("message_get", MessageGet);
        Add("message_delete", MessageDelete);
        Add("message_delete_many", MessageDeleteMany);
        Add("message_pop", MessagePop);
        Add("claim_create", ClaimCreate);
        Add("claim_get", ClaimGet);
        Add("claim_update", ClaimUpdate);
        Add("claim_delete", ClaimDelete);
    }

    public override string Version { get; }

    /// <summary>
    /// The operations that need neither Client-ID nor X-Project-ID (v2 contract 2.2), and v2's key
    /// management and project listing, which act on no project.
    /// </summary>
    public static readonly IReadOnlySet<string> OpenActions = new HashSet<string>
    {
        "get_home_doc", "ping_node", "check_node_health", "get_node_health",
        "key_create", "key_list", "key_get", "key_revoke", "key_rotate",
        "project_list",
    };

    public override RequestContext Caller(string action, string? project, string? clientId) =>
        ZaqarCallers.FromHeaders(project, clientId, OpenActions.Contains(action), Limits);

    protected bool IsV2 { get; }

    protected QueueOperations Queues { get; }

    protected MessageOperations Messages { get; }

    protected ClaimOperations Claims { get; }

    protected HealthOperations Health { get; }

    protected LimitsOptions Limits { get; }

    protected V1_1Representation Representation { get; }

    protected Hrefs Hrefs => Representation.Hrefs;

    /// <summary>5.3 GET: 204 when storage answers a liveness probe.</summary>
    private async Task<ApiOutcome> CheckNodeHealth(ApiRequest r, CancellationToken t)
    {
        await Health.CheckAsync(t);
        return ApiOutcome.NoContent;
    }

    /// <summary>5.4: the health report.</summary>
    private async Task<ApiOutcome> GetNodeHealth(ApiRequest r, CancellationToken t) =>
        ApiOutcome.Ok(HealthReportRepresentation.Render(await Health.ReportAsync(t)));

    private static readonly HashSet<string> QueueListParameters = ["marker", "limit", "detailed", "name", "with_count"];

    /// <summary>6.1: 200 always; v2 adds the <c>name</c> and metadata filters and <c>with_count</c>.</summary>
    private async Task<ApiOutcome> QueueList(ApiRequest r, CancellationToken t)
    {
        var marker = r.Text("marker", ParameterType.String);
        var limitText = r.Text("limit", ParameterType.Integer);
        var detailedText = r.Text("detailed", ParameterType.Boolean);
        var name = IsV2 ? r.Text("name", ParameterType.String) : null;
        var withCountText = IsV2 ? r.Text("with_count", ParameterType.Boolean) : null;
        var filters = IsV2 ? r.Others(QueueListParameters) : [];
        var limit = QueryParameters.Integer("limit", limitText);
        var detailed = QueryParameters.Boolean("detailed", detailedText);
        var withCount = QueryParameters.Boolean("with_count", withCountText);

        var page = await Queues.ListAsync(r.Caller, marker, limit, detailed ?? false, new QueueFilter(name, filters), t);
        long? count = withCount == true ? await Queues.CountAsync(r.Caller, t) : null;

        string? next = null;
        if (page.Queues.Count > 0)
        {
            var carried = new List<(string, object?)> { ("limit", limit), ("detailed", detailed) };
            if (IsV2)
            {
                carried.Add(("name", name));
                carried.Add(("with_count", withCount));
                carried.AddRange(filters.Select(f => (f.Key, (object?)f.Value)));
            }

            next = Hrefs.NextPage(Hrefs.Queues, page.NextMarker, [.. carried]);
        }

        Func<QueueListItem, string>? metadata = detailed == true ? q => MetadataView(q.Metadata ?? "{}") : null;
        return ApiOutcome.Ok(Representation.QueueList(page.Queues, next, count, metadata));
    }

    /// <summary>6.2: 201 when created with the body's metadata, 204 (nothing changes) when it existed.</summary>
    private async Task<ApiOutcome> QueueCreate(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var body = r.Document(DocumentSource.Value("metadata", optional: true));
        var queue = QueueNames.Validate(r.Caller, name);
        var metadata = await V1_1Documents.ReadQueueMetadataAsync(body, queue.Name, Limits, t);
        var created = await Queues.CreateAsync(queue, metadata, t);
        return new ApiOutcome(created ? 201 : 204) { Location = Hrefs.Queue(queue.Name) };
    }

    /// <summary>6.3: queues are lazy; a missing one has empty metadata.</summary>
    private async Task<ApiOutcome> QueueGet(ApiRequest r, CancellationToken t)
    {
        var queue = QueueNames.Validate(r.Caller, r.Name("queue_name"));
        var stored = await Queues.GetMetadataOrNullAsync(queue, t) ?? "{}";
        return ApiOutcome.Ok(Encoding.UTF8.GetBytes(MetadataView(stored)));
    }

    /// <summary>What a client reads as a queue's metadata: v1.1 the stored object; v2 adds the reserved defaults (3.4).</summary>
    protected string MetadataView(string stored) => IsV2 ? ReservedDefaults.Add(stored, Limits) : stored;

    /// <summary>6.5: 204 always.</summary>
    private async Task<ApiOutcome> QueueDelete(ApiRequest r, CancellationToken t)
    {
        await Queues.DeleteAsync(QueueNames.Validate(r.Caller, r.Name("queue_name")), t);
        return ApiOutcome.NoContent;
    }

    /// <summary>
    /// 6.6: a missing queue has zeros. Marconi's v2 extension: <c>include_delayed=true</c> adds
    /// <c>delayed</c> (a part of <c>free</c>) for the dashboard; without it the document is the contract's.
    /// </summary>
    private async Task<ApiOutcome> QueueGetStats(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var includeDelayedText = IsV2 ? r.Text("include_delayed", ParameterType.Boolean) : null;
        var queue = QueueNames.Validate(r.Caller, name);
        var includeDelayed = QueryParameters.Boolean("include_delayed", includeDelayedText) ?? false;
        var stats = await Queues.GetStatsOrEmptyAsync(queue, t, countDelayed: includeDelayed);
        return ApiOutcome.Ok(Representation.Stats(stats.Queue, stats.Stats, stats.Now));
    }

    /// <summary>7.1: the queue is created with the first successful post.</summary>
    private async Task<ApiOutcome> MessagePost(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var body = r.Document(DocumentSource.ObjectOf("messages"));
        var queue = QueueNames.Validate(r.Caller, name);
        var clientId = r.Caller.RequireClientId();

        int maxBytes = Limits.MaxMessagesPostSize;
        var tooLarge = $"Message collection size is too large. Max size {maxBytes}.";
        long defaultTtl = Limits.DefaultMessageTtl;
        long delay = 0;
        QueueSettings? settings = null;
        if (IsV2)
        {
            // v2 posts follow the queue's reserved metadata, starting with its size limit.
            settings = await Queues.GetSettingsAsync(queue, t);
            if (settings.MaxMessagesPostSize is { } queueMax && queueMax < maxBytes)
            {
                tooLarge = $"Message collection size is too large. The queue allows {queueMax} bytes (the server {maxBytes}).";
                maxBytes = (int)queueMax;
            }

            defaultTtl = settings.DefaultMessageTtl ?? Limits.DefaultMessageTtl;
            delay = settings.DefaultMessageDelay ?? Limits.DefaultMessageDelay;
        }

        var messages = await V1_1Documents.ReadMessagesAsync(body, maxBytes, tooLarge, defaultTtl, delay, t);
        var posted = await Messages.PostAsync(queue, clientId, messages, settings, createQueue: true, t);
        return new ApiOutcome(201, Representation.PostResult(posted))
        {
            Location = Hrefs.MessagesByIds(queue.Name, posted.MessageIds),
        };
    }

    /// <summary>7.2: 200 always, with <c>"links": []</c> when the page is empty.</summary>
    private async Task<ApiOutcome> MessageList(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var marker = r.Text("marker", ParameterType.String);
        var limitText = r.Text("limit", ParameterType.Integer);
        var echoText = r.Text("echo", ParameterType.Boolean);
        var includeClaimedText = r.Text("include_claimed", ParameterType.Boolean);
        var includeDelayedText = IsV2 ? r.Text("include_delayed", ParameterType.Boolean) : null;
        var queue = QueueNames.Validate(r.Caller, name);
        var clientId = r.Caller.RequireClientId();
        var limit = QueryParameters.Integer("limit", limitText);
        var echo = QueryParameters.Boolean("echo", echoText);
        var includeClaimed = QueryParameters.Boolean("include_claimed", includeClaimedText);
        var includeDelayed = QueryParameters.Boolean("include_delayed", includeDelayedText);

        var page = await Messages.ListAsync(
            queue, clientId,
            new MessageListRequest(marker, limit, echo ?? false, includeClaimed ?? false, includeDelayed ?? false), t);
        var next = page.Messages.Count == 0
            ? null
            : Hrefs.NextPage(
                Hrefs.Messages(queue.Name), page.NextMarker,
                ("limit", limit), ("echo", echo), ("include_claimed", includeClaimed), ("include_delayed", includeDelayed));
        return ApiOutcome.Ok(Representation.MessagePage(page, next));
    }

    /// <summary>7.3: 404 when none of the ids is found.</summary>
    private async Task<ApiOutcome> MessageGetMany(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var ids = r.List("message_ids") ?? [];
        var found = await Messages.GetManyAsync(QueueNames.Validate(r.Caller, name), ids, t);
        return found.Messages.Count == 0
            ? throw Errors.NotFound("None of the messages exists.")
            : ApiOutcome.Ok(Representation.Messages(found.Queue, found.Messages, found.Now));
    }

    /// <summary>7.4.</summary>
    private async Task<ApiOutcome> MessageGet(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("message_id");
        var message = await Messages.GetAsync(QueueNames.Validate(r.Caller, name), id, t);
        return ApiOutcome.Ok(Representation.Message(message));
    }

    /// <summary>7.5: exactly v1 3.14.</summary>
    private async Task<ApiOutcome> MessageDelete(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("message_id");
        var claimId = r.Text("claim_id", ParameterType.String);
        await Messages.DeleteAsync(QueueNames.Validate(r.Caller, name), id, claimId, t);
        return ApiOutcome.NoContent;
    }

    /// <summary>7.6: by <c>ids</c>, or <c>pop</c> (over HTTP both arrive here; exactly one of them must).</summary>
    private async Task<ApiOutcome> MessageDeleteMany(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var ids = r.List("message_ids");
        var popText = r.Text("pop", ParameterType.Integer);
        var waitText = r.Text("wait", ParameterType.Integer);
        var claimIds = Limits.MessageDeleteWithClaimId ? r.List("claim_ids") : null;
        var queue = QueueNames.Validate(r.Caller, name);
        var pop = QueryParameters.Integer("pop", popText);
        var wait = QueryParameters.Integer("wait", waitText);
        if (claimIds is not null && ids is null)
        {
            throw Errors.InvalidApiRequest("\"claim_ids\" go with \"ids\": the claims of the messages to delete.");
        }

        if (ids is not null && pop is not null)
        {
            throw Errors.InvalidApiRequest("pop and id params cannot be present together in the delete request.");
        }

        if (pop is { } count)
        {
            return await PopAsync(queue, count, wait, t);
        }

        if (ids is null)
        {
            throw Errors.InvalidApiRequest(
                "The request should have either \"ids\" or \"pop\" parameter in the request, to be able to delete.");
        }

        await Messages.DeleteManyAsync(queue, ids, Limits.MessageDeleteWithClaimId ? claimIds ?? [] : null, t);
        return ApiOutcome.NoContent;
    }

    /// <summary>7.6 step 5, as its own action for transports that name it.</summary>
    private async Task<ApiOutcome> MessagePop(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var popText = r.Text("pop", ParameterType.Integer);
        var waitText = r.Text("wait", ParameterType.Integer);
        var queue = QueueNames.Validate(r.Caller, name);
        var pop = QueryParameters.Integer("pop", popText) ?? throw Errors.MissingParameter("pop");
        var wait = QueryParameters.Integer("wait", waitText);
        return await PopAsync(queue, pop, wait, t);
    }

    private async Task<ApiOutcome> PopAsync(QueueRef queue, long count, long? wait, CancellationToken t)
    {
        var popped = await Messages.PopAsync(queue, count, t, wait);
        return ApiOutcome.Ok(Representation.Popped(popped.Messages, popped.Now));
    }

    /// <summary>8.1: the body is optional; 201 with the claimed messages or 204 (after <c>wait</c> seconds, when given).</summary>
    private async Task<ApiOutcome> ClaimCreate(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var limitText = r.Text("limit", ParameterType.Integer);
        var waitText = r.Text("wait", ParameterType.Integer);
        var body = r.Document(DocumentSource.OptionalObjectOf("ttl", "grace"));
        var queue = QueueNames.Validate(r.Caller, name);
        var limit = QueryParameters.Integer("limit", limitText);
        var wait = QueryParameters.Integer("wait", waitText);
        var (ttl, grace) = await V1_1Documents.ReadClaimAsync(body, Limits, optional: true, t);
        var claim = await Claims.CreateAsync(queue, ttl, grace, limit, t, wait);
        return claim is null
            ? ApiOutcome.NoContent
            : new ApiOutcome(201, Representation.ClaimedMessages(claim)) {
                Location = Hrefs.Claim(queue.Name, claim.Claim.Id),
                Undeliverable = () => Claims.DeleteAsync(queue, claim.Claim.Id, CancellationToken.None),
            };
    }

    /// <summary>8.2.</summary>
    private async Task<ApiOutcome> ClaimGet(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("claim_id");
        var claim = await Claims.GetAsync(QueueNames.Validate(r.Caller, name), id, t);
        return ApiOutcome.Ok(Representation.Claim(claim));
    }

    /// <summary>8.3: the body is required; <c>{}</c> renews with the defaults.</summary>
    private async Task<ApiOutcome> ClaimUpdate(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("claim_id");
        var body = r.Document(DocumentSource.ObjectOf("ttl", "grace"));
        var queue = QueueNames.Validate(r.Caller, name);
        var (ttl, grace) = await V1_1Documents.ReadClaimAsync(body, Limits, optional: false, t);
        await Claims.UpdateAsync(queue, id, ttl, grace, t);
        return ApiOutcome.NoContent;
    }

    /// <summary>8.4: 204 always.</summary>
    private async Task<ApiOutcome> ClaimDelete(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("claim_id");
        await Claims.DeleteAsync(QueueNames.Validate(r.Caller, name), id, t);
        return ApiOutcome.NoContent;
    }
}
