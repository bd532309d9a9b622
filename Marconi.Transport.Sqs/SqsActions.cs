using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Validation;
using Microsoft.Extensions.Options;

namespace Marconi.Transport.Sqs;

/// <summary>One request as an action sees it: its parameters, the project it acts for, and its endpoint's base URL.</summary>
/// <param name="QueueName">The queue the request's QueueUrl names, as the endpoint parsed it (for admission); null when it names none.</param>
public sealed record SqsCall(SqsRequest Request, string Project, Guid ClientId, string BaseUrl, string? QueueName = null);

/// <summary>What an action answers: a writer of its result, or null for an empty one.</summary>
public delegate Task<Action<SqsWriter>?> SqsAction(SqsCall call, CancellationToken cancellationToken);

/// <summary>
/// The SQS actions over the core's queue, message and claim operations (the same ones the v2
/// catalogue calls, with the same limits, access rules and store). Each action is admitted as the
/// catalogue action whose access it needs (<see cref="AccessOf"/>). Why not through the v2 catalogue
/// itself: SQS reads differently what the catalogue's JSON documents fix (a visibility per message, not
/// per claim; 0-second visibilities; a 4-day default retention), so it calls the operations directly.
/// </summary>
public sealed class SqsActions
{
    private const int MaxBatchEntries = 10;
    private const int MaxListedQueues = 1000;
    private const int MaxReceive = 10;

    private readonly ClaimWaiters _waiters;
    private readonly QueueOperations _queues;
    private readonly MessageOperations _messages;
    private readonly ClaimOperations _claims;
    private readonly LimitsOptions _limits;
    private readonly SqsTransportOptions _options;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, (string Access, SqsAction Run)> _actions;

    public SqsActions(
        QueueOperations queues, MessageOperations messages, ClaimOperations claims, IOptions<LimitsOptions> limits,
        IOptions<SqsTransportOptions> options, TimeProvider clock, ClaimWaiters waiters)
    {
        _waiters = waiters;
        _queues = queues;
        _messages = messages;
        _claims = claims;
        _limits = limits.Value;
        _options = options.Value;
        _clock = clock;
        _actions = new(StringComparer.Ordinal)
        {
            ["CreateQueue"] = ("queue_create", CreateQueue),
            ["GetQueueUrl"] = ("queue_exists", GetQueueUrl),
            ["ListQueues"] = ("queue_list", ListQueues),
            ["DeleteQueue"] = ("queue_delete", DeleteQueue),
            ["GetQueueAttributes"] = ("queue_get_stats", GetQueueAttributes),
            ["SetQueueAttributes"] = ("queue_update", SetQueueAttributes),
            ["PurgeQueue"] = ("queue_purge", PurgeQueue),
            ["SendMessage"] = ("message_post", SendMessage),
            ["SendMessageBatch"] = ("message_post", SendMessageBatch),
            ["ReceiveMessage"] = ("claim_create", ReceiveMessage),
            ["DeleteMessage"] = ("message_delete", One(DeleteOneAsync)),
            ["DeleteMessageBatch"] = ("message_delete", DeleteMessageBatch),
            ["ChangeMessageVisibility"] = ("claim_update", One(ChangeOneAsync)),
            ["ChangeMessageVisibilityBatch"] = ("claim_update", Batch("ChangeMessageVisibilityBatchResultEntry", ChangeOneAsync)),
            ["TagQueue"] = ("queue_update", TagQueue),
            ["UntagQueue"] = ("queue_update", UntagQueue),
            ["ListQueueTags"] = ("queue_get", ListQueueTags),
        };
    }

    /// <summary>The SQS actions this endpoint answers.</summary>
    public IEnumerable<string> Names => _actions.Keys;

    /// <summary>SQS actions this endpoint knows but does not offer, answered with UnsupportedOperation.</summary>
    public static readonly HashSet<string> Unsupported =
    [
        "AddPermission", "RemovePermission", "ListDeadLetterSourceQueues", "StartMessageMoveTask",
        "CancelMessageMoveTask", "ListMessageMoveTasks",
    ];

    public bool TryGet(string name, out string access, out SqsAction action)
    {
        if (_actions.TryGetValue(name, out var found))
        {
            (access, action) = found;
            return true;
        }

        (access, action) = ("", null!);
        return false;
    }

    /// <summary>The catalogue action whose access an SQS action needs.</summary>
    public string AccessOf(string name) => _actions[name].Access;

    private string Url(SqsCall call, string queue) => SqsQueueUrl.Format(call.BaseUrl, call.Project, queue);

    private static QueueRef QueueOf(SqsCall call)
    {
        var url = call.Request.Required("QueueUrl");
        var name = call.QueueName ?? throw SqsError.InvalidParameterValue($"{url} is not a queue URL of this endpoint.");
        return QueueNames.IsValid(name) ? new QueueRef(call.Project, name) : throw SqsError.NonExistentQueue();
    }

    /// <summary>The queue's metadata; NonExistentQueue when it does not exist.</summary>
    private async Task<string> MetadataOf(QueueRef queue, CancellationToken t) =>
        await _queues.GetMetadataOrNullAsync(queue, t) ?? throw SqsError.NonExistentQueue();

    private static void CheckQueueName(string name)
    {
        var stem = SqsQueueAttributes.IsFifo(name) ? name[..^SqsQueueAttributes.FifoSuffix.Length] : name;
        if (stem.Length == 0 || name.Length > QueueNames.MaxLength || !stem.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw SqsError.InvalidParameterValue(
                $"Value {name} for parameter QueueName is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to {QueueNames.MaxLength} in length.");
        }
    }

    private async Task<Action<SqsWriter>?> CreateQueue(SqsCall call, CancellationToken t)
    {
        var name = call.Request.Required("QueueName");
        CheckQueueName(name);
        var queue = new QueueRef(call.Project, name);
        var attributes = call.Request.StringMap("Attributes");
        var fifo = SqsQueueAttributes.IsFifo(name);
        if (fifo && !attributes.Any(a => a.Key == "FifoQueue"))
        {
            // As SQS: a FIFO queue is asked for by its attribute, and its name says so too.
            throw SqsQueueAttributes.FifoNameRequired();
        }

        var tags = call.Request.Has("tags") ? call.Request.StringMap("tags") : call.Request.StringMap("Tags");
        var metadata = new JsonObject();
        SqsQueueAttributes.Apply(metadata, attributes, _limits, arn => DeadLetterQueueOf(call, arn, fifo), _clock.GetUtcNow(), fifo);
        if (tags.Count > 0)
        {
            ((JsonObject)metadata[SqsQueueAttributes.Member]!)["Tags"] = TagObject(tags);
        }

        await CheckDeadLetterQueueAsync(call, metadata, t);
        if (!await _queues.CreateAsync(queue, metadata.ToJsonString(), t))
        {
            // SQS: creating an existing queue answers its URL, unless the attributes asked for differ.
            var stored = await MetadataOf(queue, t);
            var current = SqsQueueAttributes.Read(stored, _limits, _options.Region, call.Project, fifo);
            var asked = SqsQueueAttributes.Read(metadata.ToJsonString(), _limits, _options.Region, call.Project, fifo);
            if (attributes.Any(a => current.GetValueOrDefault(a.Key) != asked.GetValueOrDefault(a.Key)))
            {
                throw SqsError.QueueNameExists(name);
            }
        }

        return w => w.String("QueueUrl", Url(call, name));
    }

    private static string DeadLetterQueueOf(SqsCall call, string arn, bool fifo) =>
        SqsQueueUrl.QueueOfArn(arn, call.Project) is not { } name || !QueueNames.IsValid(name)
            ? throw SqsError.InvalidAttributeValue($"Value {arn} for parameter RedrivePolicy is invalid. Reason: the dead-letter target must be a queue of the same account.")
            : SqsQueueAttributes.IsFifo(name) != fifo
                ? throw SqsError.InvalidAttributeValue($"Value {arn} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.")
                : name;

    /// <summary>SQS refuses a redrive policy whose dead-letter queue does not exist.</summary>
    private async Task CheckDeadLetterQueueAsync(SqsCall call, JsonObject metadata, CancellationToken t)
    {
        if (metadata[ReservedMetadata.DeadLetterQueue] is JsonValue v && v.TryGetValue<string>(out var name)
            && !await _queues.ExistsAsync(new QueueRef(call.Project, name), t))
        {
            throw SqsError.InvalidAttributeValue("Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.");
        }
    }

    private async Task<Action<SqsWriter>?> GetQueueUrl(SqsCall call, CancellationToken t)
    {
        var name = call.Request.Required("QueueName");
        if (!QueueNames.IsValid(name) || !await _queues.ExistsAsync(new QueueRef(call.Project, name), t))
        {
            throw SqsError.NonExistentQueue();
        }

        return w => w.String("QueueUrl", Url(call, name));
    }

    private async Task<Action<SqsWriter>?> ListQueues(SqsCall call, CancellationToken t)
    {
        var prefix = call.Request.String("QueueNamePrefix") ?? "";
        var max = call.Request.Integer("MaxResults", 1, MaxListedQueues);
        var token = call.Request.String("NextToken");
        var wanted = max ?? MaxListedQueues;
        var names = new List<string>();
        var context = new RequestContext(call.Project, null);
        // Names sort ordinally, so those with the prefix are one run: from the prefix itself on.
        var marker = string.IsNullOrEmpty(token) ? null : token;
        if (marker is null && prefix.Length > 0 && QueueNames.IsValid(prefix) && await _queues.ExistsAsync(new QueueRef(call.Project, prefix), t))
        {
            names.Add(prefix);
            marker = prefix;
        }
        else if (marker is null && prefix.Length > 0)
        {
            marker = prefix;
        }

        var more = false;
        var done = false;
        while (!done)
        {
            var page = await _queues.ListAsync(context, marker, _limits.MaxQueuesPerPage, detailed: false, t);
            foreach (var queue in page.Queues)
            {
                if (!queue.Name.StartsWith(prefix, StringComparison.Ordinal) || names.Count == wanted)
                {
                    // Past the prefix's run, or one more than was asked for: a next page exists.
                    more = names.Count == wanted && queue.Name.StartsWith(prefix, StringComparison.Ordinal);
                    done = true;
                    break;
                }

                names.Add(queue.Name);
            }

            done |= page.Queues.Count < _limits.MaxQueuesPerPage;
            marker = page.NextMarker;
        }

        var next = max is not null && more ? names[^1] : null;
        return w =>
        {
            w.StringList("QueueUrls", "QueueUrl", names.Select(n => Url(call, n)));
            if (next is not null)
            {
                w.String("NextToken", next);
            }
        };
    }

    private async Task<Action<SqsWriter>?> DeleteQueue(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        await MetadataOf(queue, t);
        await _queues.DeleteAsync(queue, t);
        return null;
    }

    private async Task<Action<SqsWriter>?> PurgeQueue(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        await MetadataOf(queue, t);
        await _queues.PurgeAsync(queue, messages: true, subscriptions: false, t);
        return null;
    }

    private async Task<Action<SqsWriter>?> GetQueueAttributes(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        var names = call.Request.Strings("AttributeNames");
        var metadata = await MetadataOf(queue, t);
        var all = names.Contains("All");
        foreach (var name in names)
        {
            if (name != "All" && !SqsQueueAttributes.Settable.Contains(name) && !SqsQueueAttributes.ReadOnly.Contains(name)
                && !SqsQueueAttributes.Fifo.Contains(name))
            {
                throw SqsError.InvalidAttributeName(name);
            }
        }

        var values = SqsQueueAttributes.Read(metadata, _limits, _options.Region, call.Project, SqsQueueAttributes.IsFifo(queue.Name));
        values["QueueArn"] = SqsQueueAttributes.Arn(_options.Region, call.Project, queue.Name);
        if (all || names.Any(n => n.StartsWith("ApproximateNumberOfMessages", StringComparison.Ordinal)))
        {
            var stats = (await _queues.GetStatsOrEmptyAsync(queue, t, countDelayed: true)).Stats;
            var delayed = stats.Delayed ?? 0;
            values["ApproximateNumberOfMessages"] = Number(stats.Total - stats.Claimed - delayed);
            values["ApproximateNumberOfMessagesNotVisible"] = Number(stats.Claimed);
            values["ApproximateNumberOfMessagesDelayed"] = Number(delayed);
        }

        var answered = values.Where(v => all || names.Contains(v.Key)).ToList();
        return w => w.StringMap("Attributes", "Attribute", "Name", "Value", answered);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<Action<SqsWriter>?> SetQueueAttributes(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        var attributes = call.Request.StringMap("Attributes");
        var fifo = SqsQueueAttributes.IsFifo(queue.Name);
        // Checked on their own first, the dead-letter queue's existence included, so a refused
        // change writes nothing.
        var asked = new JsonObject();
        SqsQueueAttributes.Apply(asked, attributes, _limits, arn => DeadLetterQueueOf(call, arn, fifo), _clock.GetUtcNow(), fifo);
        await CheckDeadLetterQueueAsync(call, asked, t);
        await UpdateAsync(queue, metadata =>
        {
            SqsQueueAttributes.Apply(metadata, attributes, _limits, arn => DeadLetterQueueOf(call, arn, fifo), _clock.GetUtcNow(), fifo);
        }, t);
        return null;
    }

    /// <summary>A read-modify-write of the queue's metadata that never loses a concurrent change.</summary>
    private async Task UpdateAsync(QueueRef queue, Action<JsonObject> change, CancellationToken t)
    {
        try
        {
            await _queues.UpdateMetadataAsync(queue, stored =>
            {
                JsonObject metadata;
                try
                {
                    metadata = JsonNode.Parse(stored) as JsonObject ?? new JsonObject();
                    SqsRequest.Materialise(metadata);
                }
                catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
                {
                    // Stored as a v1 client sent it: v1 keeps repeated member names.
                    throw SqsError.InvalidParameterValue("The queue's metadata repeats a member name; set it again through the v2 API first.");
                }

                change(metadata);
                return metadata.ToJsonString();
            }, t);
        }
        catch (MarconiException exception) when (exception.Kind == MarconiErrorKind.NotFound)
        {
            throw SqsError.NonExistentQueue();
        }
    }

    private static JsonObject TagObject(IEnumerable<KeyValuePair<string, string>> tags)
    {
        var tagObject = new JsonObject();
        foreach (var (key, value) in tags)
        {
            CheckTag(key, value);
            tagObject[key] = value;
        }

        return tagObject;
    }

    private static void CheckTag(string key, string value)
    {
        if (key.Length is 0 or > 128 || value.Length > 256)
        {
            throw SqsError.InvalidParameterValue("Tag keys must be 1 to 128 characters and tag values at most 256.");
        }
    }

    private async Task<Action<SqsWriter>?> TagQueue(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        var tags = call.Request.StringMap("Tags");
        await UpdateAsync(queue, metadata =>
        {
            var sqs = metadata[SqsQueueAttributes.Member] as JsonObject ?? new JsonObject();
            var existing = sqs["Tags"] as JsonObject ?? new JsonObject();
            foreach (var (key, value) in tags)
            {
                CheckTag(key, value);
                existing[key] = value;
            }

            if (existing.Count > 50)
            {
                throw SqsError.InvalidParameterValue("A queue may have at most 50 tags.");
            }

            sqs["Tags"] = existing;
            metadata[SqsQueueAttributes.Member] = sqs;
        }, t);
        return null;
    }

    private async Task<Action<SqsWriter>?> UntagQueue(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        var keys = call.Request.Strings("TagKeys");
        await UpdateAsync(queue, metadata =>
        {
            if (metadata[SqsQueueAttributes.Member] is JsonObject sqs && sqs["Tags"] is JsonObject tags)
            {
                foreach (var key in keys)
                {
                    tags.Remove(key);
                }
            }
        }, t);
        return null;
    }

    private async Task<Action<SqsWriter>?> ListQueueTags(SqsCall call, CancellationToken t)
    {
        var tags = SqsQueueAttributes.Tags(await MetadataOf(QueueOf(call), t));
        return w => w.StringMap("Tags", "Tag", "Key", "Value", tags);
    }

    /// <summary>
    /// What a send needs of the queue: its delay, retention and largest message, from the settings
    /// cache (a missing queue has none; its post is then refused as NonExistentQueue).
    /// </summary>
    private sealed record SendTerms(QueueSettings Settings, int MaxSize, int Retention, FifoTerms? Fifo);

    /// <summary>
    /// What a send needs of the queue: its delay, retention and largest message, from the settings
    /// cache (a missing queue has none; its post is then refused as NonExistentQueue), and for a FIFO
    /// queue its deduplication settings, read from its metadata.
    /// </summary>
    private async Task<SendTerms> SendTermsAsync(QueueRef queue, CancellationToken t)
    {
        var settings = await _queues.GetSettingsAsync(queue, t);
        var fifo = SqsQueueAttributes.IsFifo(queue.Name) ? SqsQueueAttributes.FifoTerms(await MetadataOf(queue, t)) : null;
        return new SendTerms(settings, (int)(settings.MaxMessagesPostSize ?? SqsQueueAttributes.MaximumMessageSizeDefault(_limits)),
            (int)(settings.DefaultMessageTtl ?? SqsQueueAttributes.RetentionDefault(_limits)), fifo);
    }

    /// <summary>SQS's rule for MessageGroupId and MessageDeduplicationId: 1 to 128 printable ASCII characters.</summary>
    private static string FifoId(string name, string value) =>
        value.Length is >= 1 and <= 128 && value.All(c => c is >= '!' and <= '~')
            ? value
            : throw SqsError.InvalidParameterValue(
                $"Value for parameter {name} is invalid. Reason: it must be 1 to 128 alphanumeric or punctuation characters.");

    private MessageDocument Document(SqsRequest entry, SqsMessage message, SendTerms terms)
    {
        if (terms.Fifo is not { } fifo)
        {
            if (entry.Has("MessageDeduplicationId"))
            {
                throw SqsError.InvalidParameterValue(
                    "The request include parameter MessageDeduplicationId that is not valid for this queue type.");
            }

            // A MessageGroupId on a standard queue asks SQS for fairness between groups, not order:
            // taken, and not kept, as every message here is served in the order it came.
            var delay = entry.Integer("DelaySeconds", 0, _limits.MaxMessageDelay) ?? terms.Settings.DefaultMessageDelay ?? _limits.DefaultMessageDelay;
            return new MessageDocument(terms.Retention, SqsMessages.Encode(message), delay);
        }

        var group = FifoId("MessageGroupId", entry.String("MessageGroupId") ?? throw SqsError.MissingParameter("MessageGroupId"));
        if (entry.Integer("DelaySeconds", 0, _limits.MaxMessageDelay) is > 0)
        {
            throw SqsError.InvalidParameterValue(
                "Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.");
        }

        var deduplicationId = entry.String("MessageDeduplicationId") is { } given
            ? FifoId("MessageDeduplicationId", given)
            : fifo.ContentBasedDeduplication
                ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(message.Body)))
                : throw SqsError.InvalidParameterValue(
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
        return new MessageDocument(
            terms.Retention, SqsMessages.Encode(message), terms.Settings.DefaultMessageDelay ?? _limits.DefaultMessageDelay)
        {
            Group = group,
            DeduplicationId = deduplicationId,
            DeduplicateByGroup = fifo.DeduplicateByGroup,
        };
    }

    private static SqsMessage MessageOf(SqsRequest entry) =>
        new(entry.String("MessageBody") ?? throw SqsError.MissingParameter("MessageBody"), entry.AttributeValues("MessageAttributes"));

    private async Task<Action<SqsWriter>?> SendMessage(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        var message = MessageOf(call.Request);
        var terms = await SendTermsAsync(queue, t);
        SqsMessages.Check(message, terms.MaxSize);
        var document = Document(call.Request, message, terms);
        var posted = await _messages.PostAsync(queue, call.ClientId, [document], terms.Settings, createQueue: false, t);
        var id = posted.MessageIds[0];
        var fifo = terms.Fifo is not null;
        return w => WriteSent(w, id, message, fifo);
    }

    /// <summary>
    /// A FIFO message's sequence number: its position in the store, which grows with every message
    /// stored, as SQS's does within a group; as SQS writes it, in decimal digits.
    /// </summary>
    private static string SequenceNumber(string messageId) =>
        Core.Storage.Ids.TryParseMessageId(messageId, out var marker)
            ? marker.ToString("D20", CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"The store issued message id {messageId}, which is not one of its own.");

    private static void WriteSent(SqsWriter w, string id, SqsMessage message, bool fifo)
    {
        w.String("MD5OfMessageBody", SqsMessages.Md5OfBody(message.Body));
        if (SqsMessages.Md5OfAttributes(message.Attributes) is { } md5)
        {
            w.String("MD5OfMessageAttributes", md5);
        }

        w.String("MessageId", id);
        if (fifo)
        {
            w.String("SequenceNumber", SequenceNumber(id));
        }
    }

    /// <summary>A batch's entries: 1 to 10, each with a distinct, well-formed Id.</summary>
    private static IReadOnlyList<(string Id, SqsRequest Entry)> EntriesOf(SqsRequest request)
    {
        var entries = request.BatchEntries();
        if (entries.Count == 0)
        {
            throw SqsError.EmptyBatchRequest();
        }

        if (entries.Count > MaxBatchEntries)
        {
            throw SqsError.TooManyEntriesInBatchRequest(MaxBatchEntries);
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var read = new List<(string, SqsRequest)>(entries.Count);
        foreach (var entry in entries)
        {
            var id = entry.String("Id") ?? throw SqsError.MissingParameter("Id");
            if (id.Length is 0 or > 80 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw SqsError.InvalidBatchEntryId();
            }

            if (!ids.Add(id))
            {
                throw SqsError.BatchEntryIdsNotDistinct();
            }

            read.Add((id, entry));
        }

        return read;
    }

    private sealed record BatchFailure(string Id, SqsError Error);

    private static void WriteFailures(SqsWriter w, List<BatchFailure> failed)
    {
        w.StartList("Failed");
        foreach (var failure in failed)
        {
            w.StartItem("BatchResultErrorEntry");
            w.String("Id", failure.Id);
            w.Boolean("SenderFault", failure.Error.Sender);
            w.String("Code", failure.Error.Code);
            w.String("Message", failure.Error.Message);
            w.EndItem();
        }

        w.EndList();
    }

    private async Task<Action<SqsWriter>?> SendMessageBatch(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        var entries = EntriesOf(call.Request);
        var terms = await SendTermsAsync(queue, t);
        var failed = new List<BatchFailure>();
        var accepted = new List<(string Id, SqsMessage Message, MessageDocument Document)>();
        var total = 0;
        foreach (var (id, entry) in entries)
        {
            try
            {
                var message = MessageOf(entry);
                total += SqsMessages.Check(message, terms.MaxSize);
                accepted.Add((id, message, Document(entry, message, terms)));
            }
            catch (SqsError error)
            {
                failed.Add(new BatchFailure(id, error));
            }
        }

        if (total > SqsMessages.DefaultMaximumMessageSize)
        {
            throw SqsError.BatchRequestTooLong(SqsMessages.DefaultMaximumMessageSize);
        }

        IReadOnlyList<string> ids = [];
        if (accepted.Count > 0)
        {
            // The valid entries are stored together: one durable, atomic post.
            ids = (await _messages.PostAsync(queue, call.ClientId, [.. accepted.Select(a => a.Document)], terms.Settings, createQueue: false, t)).MessageIds;
        }

        return w =>
        {
            w.StartList("Successful");
            for (var i = 0; i < accepted.Count; i++)
            {
                w.StartItem("SendMessageBatchResultEntry");
                w.String("Id", accepted[i].Id);
                WriteSent(w, ids[i], accepted[i].Message, terms.Fifo is not null);
                w.EndItem();
            }

            w.EndList();
            WriteFailures(w, failed);
        };
    }

    private async Task<Action<SqsWriter>?> ReceiveMessage(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        var request = call.Request;
        var count = request.Integer("MaxNumberOfMessages", 1, MaxReceive) ?? 1;
        var visibility = request.Integer("VisibilityTimeout", 0, _limits.MaxClaimTtl);
        var wait = request.Integer("WaitTimeSeconds", 0, _limits.MaxClaimWaitSeconds);
        var systemNames = request.Strings("AttributeNames").Concat(request.Strings("MessageSystemAttributeNames")).ToHashSet(StringComparer.Ordinal);
        var attributeNames = request.Strings("MessageAttributeNames");
        var known = false;
        if (visibility is null || wait is null)
        {
            // The queue's own defaults; a request naming both costs no read of the metadata.
            var values = SqsQueueAttributes.Read(await MetadataOf(queue, t), _limits, _options.Region, call.Project, SqsQueueAttributes.IsFifo(queue.Name));
            visibility ??= int.Parse(values["VisibilityTimeout"], CultureInfo.InvariantCulture);
            wait ??= int.Parse(values["ReceiveMessageWaitTimeSeconds"], CultureInfo.InvariantCulture);
            known = true;
        }

        if (!known && wait > 0 && !await _queues.ExistsAsync(queue, t))
        {
            // Else a receive of a missing queue would wait out its whole wait before saying so.
            throw SqsError.NonExistentQueue();
        }

        var claims = await _claims.ClaimEachAsync(queue, visibility.Value, count, wait, t);
        if (claims.Count == 0 && !known && wait == 0 && !await _queues.ExistsAsync(queue, t))
        {
            throw SqsError.NonExistentQueue();
        }

        return w =>
        {
            w.StartList("Messages");
            foreach (var claim in claims)
            {
                var stored = claim.Claim.Messages[0];
                var message = SqsMessages.Decode(stored.Body);
                var attributes = message.Attributes.Where(a => Wanted(attributeNames, a.Key)).ToList();
                w.StartItem("Message");
                w.String("MessageId", stored.Id);
                w.String("ReceiptHandle", ReceiptHandles.Format(stored.Id, claim.Claim.Id));
                w.String("MD5OfBody", SqsMessages.Md5OfBody(message.Body));
                w.String("Body", message.Body);
                var system = SystemAttributes(stored, systemNames).ToList();
                if (system.Count > 0)
                {
                    w.StringMap("Attributes", "Attribute", "Name", "Value", system);
                }

                if (attributes.Count > 0)
                {
                    w.String("MD5OfMessageAttributes", SqsMessages.Md5OfAttributes(attributes)!);
                    w.AttributeMap("MessageAttributes", "MessageAttribute", attributes);
                }

                w.EndItem();
            }

            w.EndList();
        };
    }

    private static bool Wanted(IReadOnlyList<string> names, string attribute) =>
        names.Any(n => n is "All" or ".*" || n == attribute
                       || (n.EndsWith(".*", StringComparison.Ordinal) && attribute.StartsWith(n[..^1], StringComparison.Ordinal)));

    private static IEnumerable<KeyValuePair<string, string>> SystemAttributes(Core.Storage.StoredMessage stored, HashSet<string> names)
    {
        var all = names.Contains("All");
        if (all || names.Contains("SentTimestamp"))
        {
            yield return new("SentTimestamp", Number(stored.Created.ToUnixTimeMilliseconds()));
        }

        if (all || names.Contains("ApproximateReceiveCount"))
        {
            yield return new("ApproximateReceiveCount", Number(stored.ClaimCount));
        }

        // A FIFO queue's messages sent through SQS have a group; those a v2 client posted there have none.
        if (stored.Group is not null)
        {
            if (all || names.Contains("MessageGroupId"))
            {
                yield return new("MessageGroupId", stored.Group);
            }

            if (stored.DeduplicationId is not null && (all || names.Contains("MessageDeduplicationId")))
            {
                yield return new("MessageDeduplicationId", stored.DeduplicationId);
            }

            if (all || names.Contains("SequenceNumber"))
            {
                yield return new("SequenceNumber", SequenceNumber(stored.Id));
            }
        }
    }

    /// <summary>
    /// A FIFO queue's message group waits for its message in flight: once that is deleted, a receive
    /// waiting on the queue looks again at once rather than at its next timer.
    /// </summary>
    private void GroupMayBeFree(QueueRef queue)
    {
        if (SqsQueueAttributes.IsFifo(queue.Name))
        {
            _waiters.Freed(queue);
        }
    }

    /// <summary>The message and claim a receipt handle names, with SQS's error for one that is not a handle.</summary>
    private static (string MessageId, string ClaimId) HandleOf(SqsRequest request) =>
        ReceiptHandles.Parse(request.String("ReceiptHandle") ?? throw SqsError.MissingParameter("ReceiptHandle"))
        ?? throw SqsError.ReceiptHandleIsInvalid("The input receipt handle is invalid.");

    private async Task DeleteOneAsync(QueueRef queue, SqsRequest request, CancellationToken t)
    {
        var (messageId, claimId) = HandleOf(request);
        try
        {
            await _messages.DeleteAsync(queue, messageId, claimId, t);
            GroupMayBeFree(queue);
        }
        catch (MarconiException exception) when (exception.Kind is MarconiErrorKind.Forbidden or MarconiErrorKind.BadRequest or MarconiErrorKind.NotFound)
        {
            // The message's claim has ended (or another receive holds it now): the handle is stale,
            // unless there is no such queue at all.
            await MetadataOf(queue, t);
            throw StaleHandle();
        }
    }

    private async Task ChangeOneAsync(QueueRef queue, SqsRequest request, CancellationToken t)
    {
        var (_, claimId) = HandleOf(request);
        var visibility = request.Integer("VisibilityTimeout", 0, _limits.MaxClaimTtl) ?? throw SqsError.MissingParameter("VisibilityTimeout");
        try
        {
            await _claims.SetVisibilityAsync(queue, claimId, visibility, t);
        }
        catch (MarconiException exception) when (exception.Kind == MarconiErrorKind.NotFound)
        {
            await MetadataOf(queue, t);
            throw SqsError.MessageNotInflight();
        }
    }

    /// <summary>What is done with one receipt handle: a delete, a visibility change.</summary>
    private delegate Task HandleAction(QueueRef queue, SqsRequest entry, CancellationToken cancellationToken);

    /// <summary>The action on the request's own receipt handle; it reads the queue only when it fails.</summary>
    private static SqsAction One(HandleAction run) => async (call, t) =>
    {
        await run(QueueOf(call), call.Request, t);
        return null;
    };

    /// <summary>The action on each entry's receipt handle, for a queue that must exist.</summary>
    private SqsAction Batch(string resultElement, HandleAction run) => async (call, t) =>
    {
        var queue = QueueOf(call);
        var entries = EntriesOf(call.Request);
        await MetadataOf(queue, t);
        return await EachAsync(entries, resultElement, entry => run(queue, entry, t));
    };

    /// <summary>Runs a batch entry by entry; each that fails is reported in Failed, the others in Successful.</summary>
    private static async Task<Action<SqsWriter>?> EachAsync(
        IReadOnlyList<(string Id, SqsRequest Entry)> entries, string resultElement, Func<SqsRequest, Task> run)
    {
        var succeeded = new List<string>();
        var failed = new List<BatchFailure>();
        foreach (var (id, entry) in entries)
        {
            try
            {
                await run(entry);
                succeeded.Add(id);
            }
            catch (SqsError error)
            {
                failed.Add(new BatchFailure(id, error));
            }
        }

        return w => WriteBatchResult(w, resultElement, succeeded, failed);
    }

    private static void WriteBatchResult(SqsWriter w, string resultElement, List<string> succeeded, List<BatchFailure> failed)
    {
        w.StartList("Successful");
        foreach (var id in succeeded)
        {
            w.StartItem(resultElement);
            w.String("Id", id);
            w.EndItem();
        }

        w.EndList();
        WriteFailures(w, failed);
    }

    /// <summary>The batch's valid handles are deleted together, in one step of the store; each entry has its own outcome.</summary>
    private async Task<Action<SqsWriter>?> DeleteMessageBatch(SqsCall call, CancellationToken t)
    {
        var queue = QueueOf(call);
        var entries = EntriesOf(call.Request);
        await MetadataOf(queue, t);
        var failed = new List<BatchFailure>();
        var handles = new List<(string Id, string MessageId, string ClaimId)>(entries.Count);
        foreach (var (id, entry) in entries)
        {
            try
            {
                var (messageId, claimId) = HandleOf(entry);
                handles.Add((id, messageId, claimId));
            }
            catch (SqsError error)
            {
                failed.Add(new BatchFailure(id, error));
            }
        }

        var succeeded = new List<string>(handles.Count);
        if (handles.Count > 0)
        {
            var deleted = await _messages.DeleteEachAsync(queue, [.. handles.Select(h => (h.MessageId, h.ClaimId))], t);
            GroupMayBeFree(queue);
            for (var i = 0; i < handles.Count; i++)
            {
                if (deleted[i])
                {
                    succeeded.Add(handles[i].Id);
                }
                else
                {
                    failed.Add(new BatchFailure(handles[i].Id, StaleHandle()));
                }
            }
        }

        return w => WriteBatchResult(w, "DeleteMessageBatchResultEntry", succeeded, failed);
    }

    private static SqsError StaleHandle() =>
        SqsError.ReceiptHandleIsInvalid("The receipt handle has expired: the message's visibility timeout ended.");
}

/// <summary>
/// Receipt handles: the message id and the id of the claim the receive made for it (a claim per
/// message), so a handle names exactly one receive of one message. A claim id carries a random
/// salt, so a handle cannot be made up from a message id.
/// </summary>
public static class ReceiptHandles
{
    public static string Format(string messageId, string claimId) => messageId + claimId;

    public static (string MessageId, string ClaimId)? Parse(string handle) =>
        handle.Length == 40 && Core.Storage.Ids.TryParseMessageId(handle[..16], out _) && Core.Storage.Ids.TryParseClaimId(handle[16..], out _, out _)
            ? (handle[..16], handle[16..])
            : null;
}
