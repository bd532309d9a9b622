using System.Text;
using System.Text.Json;
using Marconi.Api.V1_1;
using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Storage;
using Microsoft.Extensions.Options;

namespace Marconi.Api.V2;

/// <summary>
/// The v2 API (v2 contract): v1.1's operations with v2's readings of them (reserved metadata
/// defaults, post defaults and delays, queue filters), plus v2's own resources: metadata patch,
/// purge, pre-signed URLs and subscriptions; and Marconi's own: redrive, key management.
/// </summary>
public sealed class V2Catalogue : V1_1Catalogue
{
    private static readonly string[] SharablePaths = ["messages", "subscriptions", "claims"];
    private static readonly HashSet<string> ShareMembers = ["paths", "methods", "expires"];
    private static readonly HashSet<string> RedriveMembers = ["limit"];

    private static readonly HashSet<string> SubscriptionMembers = ["subscriber", "ttl", "options"];

    private readonly SubscriptionOperations _subscriptions;
    private readonly WebhookNotifier _notifier;
    private readonly SignedUrls _signedUrls;
    private readonly SubscriptionOptions _subscriptionOptions;
    private readonly TimeProvider _clock;

    public V2Catalogue(
        QueueOperations queues, MessageOperations messages, ClaimOperations claims, HealthOperations health,
        SubscriptionOperations subscriptions, WebhookNotifier notifier, SignedUrls signedUrls, KeyActions keys,
        IOptions<LimitsOptions> limits, IOptions<SubscriptionOptions> subscriptionOptions, TimeProvider clock)
        : base("v2", queues, messages, claims, health, limits)
    {
        _subscriptions = subscriptions;
        _notifier = notifier;
        _signedUrls = signedUrls;
        _subscriptionOptions = subscriptionOptions.Value;
        _clock = clock;
        Add("queue_update", QueueUpdate);
        Add("queue_purge", QueuePurge);
        Add("queue_redrive", QueueRedrive);
        Add("queue_share", QueueShare);
        Add("subscription_create", SubscriptionCreate);
        Add("subscription_list", SubscriptionList);
        Add("subscription_get", SubscriptionGet);
        Add("subscription_update", SubscriptionUpdate);
        Add("subscription_delete", SubscriptionDelete);
        Add("subscription_confirm", SubscriptionConfirm);
        Add("key_create", keys.Create);
        Add("key_list", keys.List);
        Add("key_get", keys.Get);
        Add("key_revoke", keys.Revoke);
        Add("key_rotate", keys.Rotate);
        Add("project_list", ProjectList);
    }

    /// <summary>The project listing's path; like key management it is v2's only and acts on no project.</summary>
    public const string ProjectsPath = "/v2/admin/projects";

    /// <summary>
    /// Every project that has queues, by name (ordinal), with its number of queues; paged as queues
    /// are (<c>marker</c>, <c>limit</c> with the queue listing's default and maximum, links per 3.7).
    /// Only an admin key reaches it (<see cref="Access.AccessGate"/>).
    /// </summary>
    private async Task<ApiOutcome> ProjectList(ApiRequest r, CancellationToken t)
    {
        var marker = r.Text("marker", ParameterType.String);
        var limitText = r.Text("limit", ParameterType.Integer);
        var limit = QueryParameters.Integer("limit", limitText);
        var page = await Queues.ListProjectsAsync(marker, limit, t);
        var next = page.Projects.Count > 0 ? Hrefs.NextPage(ProjectsPath, page.NextMarker, ("limit", limit)) : null;
        return ApiOutcome.Ok(Rendering.Render(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("projects"u8);
            foreach (var project in page.Projects)
            {
                w.WriteStartObject();
                w.WriteString("name"u8, project.Name);
                w.WriteNumber("queues"u8, project.Queues);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            Rendering.WriteLinks(w, next);
            w.WriteEndObject();
        }));
    }

    /// <summary>10.1: 201 with the new id, or the id of the unconfirmed one of the same subscriber; 409 if it is confirmed.</summary>
    private async Task<ApiOutcome> SubscriptionCreate(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var body = r.Document(DocumentSource.OptionalObjectOf("subscriber", "ttl", "options"));
        var queue = QueueNames.Validate(r.Caller, name);
        var location = Hrefs.Queue(queue.Name) + "/subscriptions";
        string? subscriber = null;
        long? ttl = null;
        var options = "{}";
        if (!V1_1Documents.IsEmpty(body))
        {
            using var document = await JsonBody.ReadAsync(
                body, Limits.MaxQueueMetadata, $"A subscription may not exceed {Limits.MaxQueueMetadata} bytes.", t);
            var root = JsonBody.RequireObject(document);
            subscriber = JsonBody.TryGetMember(root, "subscriber", out var s) ? Subscriber(s) : null;
            ttl = JsonBody.TryGetMember(root, "ttl", out var l) ? Ttl(l) : null;
            options = JsonBody.TryGetMember(root, "options", out var o) ? Options(o) : "{}";
        }

        var created = await _subscriptions.CreateAsync(
            queue, subscriber ?? throw Errors.InvalidApiRequest("Missing parameter subscriber in body."), ttl, options, t);
        _notifier.Forget(queue);
        if (created.Confirmed)
        {
            return ApiErrors.Outcome(Errors.Conflict("A confirmed subscription of this subscriber already exists.")) with
            {
                Location = location,
            };
        }

        _notifier.RequestConfirmation(queue, created.Id, subscribe: true);
        return new ApiOutcome(201, Rendering.Render(w =>
        {
            w.WriteStartObject();
            w.WriteString("subscription_id"u8, created.Id);
            w.WriteEndObject();
        }))
        {
            Location = location,
        };
    }

    /// <summary>10.2: live subscriptions in creation order, paged by id.</summary>
    private async Task<ApiOutcome> SubscriptionList(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var marker = r.Text("marker", ParameterType.String);
        var limitText = r.Text("limit", ParameterType.Integer);
        var queue = QueueNames.Validate(r.Caller, name);
        var limit = QueryParameters.Integer("limit", limitText);
        var page = await _subscriptions.ListAsync(queue, marker, limit, t);
        var next = page.NextMarker is null
            ? null
            : Hrefs.NextPage(Hrefs.Queue(queue.Name) + "/subscriptions", page.NextMarker, ("limit", limit));
        return ApiOutcome.Ok(Rendering.Render(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("subscriptions"u8);
            foreach (var subscription in page.Subscriptions)
            {
                WriteSubscription(w, subscription, page.Now);
            }

            w.WriteEndArray();
            Rendering.WriteLinks(w, next);
            w.WriteEndObject();
        }));
    }

    private async Task<ApiOutcome> SubscriptionGet(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("subscription_id");
        var (subscription, now) = await _subscriptions.GetAsync(QueueNames.Validate(r.Caller, name), id, t);
        return ApiOutcome.Ok(Rendering.Render(w => WriteSubscription(w, subscription, now)));
    }

    /// <summary>10.2: replaces the given members; 204 with Location.</summary>
    private async Task<ApiOutcome> SubscriptionUpdate(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("subscription_id");
        var body = r.Document(DocumentSource.OptionalObjectOf("subscriber", "ttl", "options"));
        var queue = QueueNames.Validate(r.Caller, name);
        var update = new SubscriptionUpdate();
        if (!V1_1Documents.IsEmpty(body))
        {
            using var document = await JsonBody.ReadAsync(
                body, Limits.MaxQueueMetadata, $"A subscription may not exceed {Limits.MaxQueueMetadata} bytes.", t);
            var root = JsonBody.RequireObject(document);
            foreach (var member in root.EnumerateObject())
            {
                if (!SubscriptionMembers.Contains(member.Name))
                {
                    throw Errors.UnableToUpdateSubscription($"\"{member.Name}\" cannot be updated; only subscriber, ttl and options.");
                }
            }

            update = new SubscriptionUpdate(
                JsonBody.TryGetMember(root, "subscriber", out var s) ? Subscriber(s) : null,
                JsonBody.TryGetMember(root, "ttl", out var l) ? Ttl(l) : null,
                JsonBody.TryGetMember(root, "options", out var o) ? Options(o) : null);
        }

        if (update is { Subscriber: null, Ttl: null, Options: null })
        {
            throw Errors.InvalidApiRequest("No subscription to create.");
        }

        await _subscriptions.UpdateAsync(queue, id, update, t);
        _notifier.Forget(queue);
        return new ApiOutcome(204) { Location = r.Path };
    }

    private async Task<ApiOutcome> SubscriptionDelete(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("subscription_id");
        var queue = QueueNames.Validate(r.Caller, name);
        await _subscriptions.DeleteAsync(queue, id, t);
        _notifier.Forget(queue);
        return ApiOutcome.NoContent;
    }

    /// <summary>10.2 and 10.4: <c>{"confirmed": true|false}</c>; unsubscribing tells the subscriber when confirmation is on.</summary>
    private async Task<ApiOutcome> SubscriptionConfirm(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var id = r.Name("subscription_id");
        var body = r.Document(DocumentSource.OptionalObjectOf("confirmed"));
        var queue = QueueNames.Validate(r.Caller, name);
        bool? confirmed = null;
        if (!V1_1Documents.IsEmpty(body))
        {
            using var document = await JsonBody.ReadAsync(
                body, Limits.MaxQueueMetadata, $"A confirmation may not exceed {Limits.MaxQueueMetadata} bytes.", t);
            var root = JsonBody.RequireObject(document);
            if (JsonBody.TryGetMember(root, "confirmed", out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                confirmed = value.GetBoolean();
            }
        }

        await _subscriptions.ConfirmAsync(
            queue, id, confirmed ?? throw Errors.InvalidApiRequest("\"confirmed\" must be true or false."), t);
        _notifier.Forget(queue);
        if (confirmed == false)
        {
            _notifier.RequestConfirmation(queue, id, subscribe: false);
        }

        return new ApiOutcome(204) { Location = r.Path };
    }

    /// <summary>3.6: exactly the members python-zaqarclient reads.</summary>
    private static void WriteSubscription(Utf8JsonWriter w, Subscription subscription, DateTimeOffset now)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, subscription.Id);
        w.WriteString("source"u8, subscription.Queue);
        w.WriteString("subscriber"u8, subscription.Subscriber);
        w.WriteNumber("ttl"u8, subscription.Ttl);
        w.WriteNumber("age"u8, Rendering.AgeSeconds(subscription.Created, now));
        w.WritePropertyName("options"u8);
        w.WriteRawValue(subscription.Options, skipInputValidation: true);
        w.WriteBoolean("confirmed"u8, subscription.Confirmed);
        w.WriteEndObject();
    }

    /// <summary>10.1 step 2: an absolute URI whose scheme is an accepted subscriber type.</summary>
    private string Subscriber(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(value.GetString(), UriKind.Absolute, out var uri)
            || !_subscriptionOptions.Schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            throw Errors.InvalidApiRequest(
                $"The subscriber must be a URI whose scheme is one of {string.Join(", ", _subscriptionOptions.Schemes)}.");
        }

        return value.GetString()!;
    }

    /// <summary>10.1 step 4: an integer; its range is the core's to check.</summary>
    private static long Ttl(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ttl)
            ? ttl
            : throw Errors.InvalidApiRequest($"The TTL of a subscription must be an integer of at least {LimitsOptions.MinSubscriptionTtl}.");

    /// <summary>10.1 step 3: an object; its <c>_retry_policy</c>, <c>post_headers</c> and <c>post_data</c> must be usable.</summary>
    private static string Options(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return "{}";
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Errors.InvalidApiRequest("The options of a subscription must be an object.");
        }

        if (value.TryGetProperty(ReservedMetadata.RetryPolicy, out var policy) && policy.ValueKind != JsonValueKind.Null)
        {
            ReservedMetadata.ReadRetryPolicy(policy, Errors.InvalidApiRequest);
        }

        if (value.TryGetProperty("post_headers", out var headers) && headers.ValueKind != JsonValueKind.Null
            && (headers.ValueKind != JsonValueKind.Object || headers.EnumerateObject().Any(h => h.Value.ValueKind != JsonValueKind.String)))
        {
            throw Errors.InvalidApiRequest("post_headers must be an object of strings.");
        }

        if (value.TryGetProperty("post_data", out var data) && data.ValueKind is not (JsonValueKind.Null or JsonValueKind.String))
        {
            throw Errors.InvalidApiRequest("post_data must be a string.");
        }

        return value.GetRawText();
    }

    /// <summary>6.4: JSON patch of the metadata; 200 with the result as a v2 reader sees it.</summary>
    private async Task<ApiOutcome> QueueUpdate(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var body = r.Document(DocumentSource.Value("patch"));
        var queue = QueueNames.Validate(r.Caller, name);
        var tooLarge = $"Queue metadata may not exceed {Limits.MaxQueueMetadata} bytes.";
        if (body.DeclaredLength > Limits.MaxQueueMetadata)
        {
            throw Errors.InvalidBody(tooLarge);
        }

        if (r.CarriesMediaType && !IsPatchMediaType(r.ContentType))
        {
            return ApiErrors.Outcome(Errors.UnsupportedMediaType($"Queue metadata is patched with {MetadataPatch.MediaType}.")) with
            {
                Headers = [new("Accept-Patch", MetadataPatch.MediaType)],
            };
        }

        if (V1_1Documents.IsEmpty(body))
        {
            throw Errors.InvalidBody("PATCH body could not be empty for update.");
        }

        var bytes = await body.ReadAsync(Limits.MaxQueueMetadata, t) ?? throw Errors.InvalidBody(tooLarge);
        List<MetadataPatch.Operation> operations;
        using (var document = JsonBody.Parse(bytes))
        {
            operations = MetadataPatch.Parse(document.RootElement);
        }

        var updated = await Queues.UpdateMetadataAsync(queue, stored =>
        {
            var result = MetadataPatch.Apply(stored, operations);
            using var patched = JsonDocument.Parse(result);
            ReservedMetadata.Validate(patched.RootElement, queue.Name, Limits, Errors.InvalidBody);
            return result;
        }, t);
        return ApiOutcome.Ok(Encoding.UTF8.GetBytes(MetadataView(updated)));
    }

    /// <summary>The JSON-patch media type, compared without case or parameters.</summary>
    private static bool IsPatchMediaType(string? contentType) =>
        System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && string.Equals(media.MediaType, MetadataPatch.MediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>6.7: deletes the queue's messages, subscriptions or both; 204 also for a missing queue.</summary>
    private async Task<ApiOutcome> QueuePurge(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var body = r.Document(DocumentSource.OptionalObjectOf("resource_types"));
        var queue = QueueNames.Validate(r.Caller, name);
        bool messages = true, subscriptions = true;
        if (!V1_1Documents.IsEmpty(body))
        {
            using var document = await JsonBody.ReadAsync(
                body, Limits.MaxQueueMetadata, $"A purge document may not exceed {Limits.MaxQueueMetadata} bytes.", t);
            var root = JsonBody.RequireObject(document);
            if (!JsonBody.TryGetMember(root, "resource_types", out var types) || types.ValueKind != JsonValueKind.Array
                || types.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.String || i.GetString() is not ("messages" or "subscriptions")))
            {
                throw Errors.InvalidApiRequest("resource_types must be an array of \"messages\" and \"subscriptions\".");
            }

            var named = types.EnumerateArray().Select(i => i.GetString()).ToList();
            messages = named.Contains("messages");
            subscriptions = named.Contains("subscriptions");
        }

        await Queues.PurgeAsync(queue, messages, subscriptions, t);
        _notifier.Forget(queue);
        return ApiOutcome.NoContent;
    }

    /// <summary>
    /// Marconi's own: moves up to <c>limit</c> free messages of the queue's dead-letter queue back to
    /// its tail; 200 with how many moved and how many free ones the dead-letter queue still holds.
    /// </summary>
    private async Task<ApiOutcome> QueueRedrive(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var body = r.Document(DocumentSource.OptionalObjectOf("limit"));
        var queue = QueueNames.Validate(r.Caller, name);
        long? limit = null;
        if (!V1_1Documents.IsEmpty(body))
        {
            using var document = await JsonBody.ReadAsync(
                body, Limits.MaxQueueMetadata, $"A redrive document may not exceed {Limits.MaxQueueMetadata} bytes.", t);
            var root = JsonBody.RequireObject(document);
            JsonBody.RequireKnownMembers(root, RedriveMembers);

            limit = JsonBody.Integer(root, "limit", required: false);
        }

        var result = await Messages.RedriveAsync(queue, limit, t);
        return ApiOutcome.Ok(Rendering.Render(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("moved"u8, result.Moved);
            w.WriteNumber("remaining"u8, result.Remaining);
            w.WriteEndObject();
        }));
    }

    /// <summary>11.1: a pre-signed grant for some sub-resources of the queue.</summary>
    private async Task<ApiOutcome> QueueShare(ApiRequest r, CancellationToken t)
    {
        var name = r.Name("queue_name");
        var body = r.Document(DocumentSource.ObjectOf("paths", "methods", "expires"));
        var queue = QueueNames.Validate(r.Caller, name);
        using var document = await JsonBody.ReadAsync(
            body, Limits.MaxQueueMetadata, $"A share document may not exceed {Limits.MaxQueueMetadata} bytes.", t);
        var root = JsonBody.RequireObject(document);
        JsonBody.RequireKnownMembers(root, ShareMembers);

        var paths = StringList(root, "paths") is { Count: > 0 } given ? given : ["messages"];
        if (paths.FirstOrDefault(p => !SharablePaths.Contains(p)) is { } badPath)
        {
            throw Errors.InvalidApiRequest($"\"{badPath}\" cannot be shared; paths may be {string.Join(", ", SharablePaths)}.");
        }

        var methods = StringList(root, "methods") is { Count: > 0 } m ? m : ["GET"];
        var expires = _clock.GetUtcNow().AddDays(1);
        if (JsonBody.TryGetMember(root, "expires", out var expiresValue) && expiresValue.ValueKind != JsonValueKind.Null)
        {
            if (expiresValue.ValueKind != JsonValueKind.String || !SignedUrls.TryParseExpires(expiresValue.GetString()!, out expires))
            {
                throw Errors.InvalidApiRequest("`expires` must be an ISO 8601 date and time.");
            }

            if (expires <= _clock.GetUtcNow())
            {
                throw Errors.InvalidApiRequest("`expires` is lower than the current time.");
            }
        }

        var grant = await _signedUrls.SignAsync(
            paths.Select(p => $"{Hrefs.Queue(queue.Name)}/{p}"), methods, queue.Project, expires, t);
        return ApiOutcome.Ok(Rendering.Render(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("paths"u8);
            foreach (var path in grant.Paths)
            {
                w.WriteStringValue(path);
            }

            w.WriteEndArray();
            w.WriteStartArray("methods"u8);
            foreach (var method in grant.Methods)
            {
                w.WriteStringValue(method);
            }

            w.WriteEndArray();
            w.WriteString("project"u8, grant.Project);
            w.WriteString("expires"u8, grant.Expires);
            w.WriteString("signature"u8, grant.Signature);
            w.WriteEndObject();
        }));
    }

    /// <summary>An optional array of strings; null when absent or null, 400 when anything else.</summary>
    private static List<string>? StringList(JsonElement root, string member)
    {
        if (!JsonBody.TryGetMember(root, member, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.String))
        {
            throw Errors.InvalidApiRequest($"\"{member}\" must be an array of strings.");
        }

        return value.EnumerateArray().Select(i => i.GetString()!).ToList();
    }
}
