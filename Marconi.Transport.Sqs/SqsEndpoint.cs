using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml;
using Marconi.Api;
using Marconi.Api.Access;
using Marconi.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Transport.Sqs;

/// <summary>
/// The SQS endpoint's one request handler: reads the request in either protocol (JSON: <c>X-Amz-Target:
/// AmazonSQS.{Action}</c>; query: <c>Action=…</c> in a form or the query string), checks its SigV4
/// signature through the access gate, runs the action and answers in the request's protocol, errors
/// in SQS's shape and codes.
/// </summary>
public sealed partial class SqsEndpoint(
    SqsActions actions, AccessGate gate, ProjectQuotas quotas, LoadShedding shedding, MarconiMetrics metrics,
    IOptions<SqsTransportOptions> options, IOptions<RequestLogOptions> requestLog, TimeProvider clock, ILogger<SqsEndpoint> logger)
{
    public const string JsonContentType = "application/x-amz-json-1.0";
    private const string TargetPrefix = "AmazonSQS.";
    private const string XmlNamespace = "http://queue.amazonaws.com/doc/2012-11-05/";
    private const string Transport = "sqs";

    private readonly SqsTransportOptions _options = options.Value;
    private readonly LogLevel _requestLevel = requestLog.Value.Level;

    /// <summary>Bytes of request bodies being read or handled right now, over all connections.</summary>
    private long _bytesInFlight;

    internal long BytesInFlight => Interlocked.Read(ref _bytesInFlight);

    public async Task HandleAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var request = context.Request;
        var requestId = Guid.NewGuid().ToString();
        var json = request.Headers.ContainsKey("X-Amz-Target");
        string? action = null;
        string? project = null;
        string? queue = null;
        int status;
        var body = Array.Empty<byte>();
        try
        {
            body = await ReadBodyAsync(request, context.RequestAborted);
            SqsRequest parameters;
            if (json)
            {
                var target = request.Headers["X-Amz-Target"].ToString();
                action = target.StartsWith(TargetPrefix, StringComparison.Ordinal) ? target[TargetPrefix.Length..] : target;
                if (!HttpMethods.IsPost(request.Method))
                {
                    throw SqsError.InvalidParameterValue("The JSON protocol takes POST requests.");
                }

                parameters = SqsRequest.FromJson(body);
            }
            else
            {
                var fields = QueryFields(request, body);
                action = fields.LastOrDefault(f => f.Key == "Action").Value;
                parameters = SqsRequest.FromQuery(fields.Where(f => f.Key is not ("Action" or "Version")));
            }

            if (string.IsNullOrEmpty(action) || !actions.TryGet(action, out var access, out var run))
            {
                throw SqsActions.Unsupported.Contains(action ?? "")
                    ? SqsError.UnsupportedOperation($"The action {action} is not supported by this endpoint.")
                    : SqsError.InvalidAction(action);
            }

            var url = parameters.Has("QueueUrl") ? SqsQueueUrl.Parse(parameters.String("QueueUrl")) : null;
            queue = url?.Queue;
            var signature = SigV4.Parse(request);
            project = await AdmitAsync(access, url?.Project, signature, request, body, context);
            if (!quotas.TryAcquire(project, out _))
            {
                throw SqsError.Throttled("The project's request rate is over its quota; retry later.");
            }

            var clientId = new Guid(MD5.HashData(Encoding.UTF8.GetBytes("sqs\n" + (signature?.AccessKeyId ?? project))));
            var result = await run(new SqsCall(parameters, project, clientId, $"{request.Scheme}://{request.Host}", queue), context.RequestAborted);
            status = 200;
            await WriteResultAsync(context.Response, json, action, requestId, result);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            status = 499;
        }
        catch (Exception exception)
        {
            var error = ToSqsError(exception, action);
            status = error.Status;
            await WriteErrorAsync(context.Response, json, requestId, error);
        }
        finally
        {
            Interlocked.Add(ref _bytesInFlight, -body.Length);
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        metrics.Request(Transport, "sqs", action is not null && actions.TryGet(action, out _, out _) ? action : MarconiMetrics.UnknownOperation, status, elapsed);
        var level = status >= 500 ? LogLevel.Warning : _requestLevel;
        if (logger.IsEnabled(level))
        {
            LogRequest(level, Transport, action, queue, status, elapsed.TotalMilliseconds, project ?? RequestLogOptions.DefaultProject);
        }
    }

    /// <summary>
    /// The project the request acts for. With keys required, the signature must be a project key's
    /// (or an admin key's, for a queue URL's project) and match; without, the queue URL's project, else
    /// the access key id, names the project (projects are namespaces then, not a boundary).
    /// </summary>
    private async Task<string> AdmitAsync(
        string access, string? urlProject, SigV4? signature, HttpRequest request, byte[] body, HttpContext context)
    {
        var origin = context.Connection.RemoteIpAddress?.ToString();
        if (!gate.KeysRequired)
        {
            await gate.AdmitAsync(access, urlProject, default, Transport, origin, context.RequestAborted);
            var project = urlProject ?? signature?.AccessKeyId ?? throw SqsError.MissingAuthenticationToken();
            return project.Length <= RequestContext.MaxProjectIdLength
                ? project
                : throw SqsError.InvalidClientTokenId();
        }

        if (signature is null)
        {
            throw SqsError.MissingAuthenticationToken();
        }

        if (Math.Abs((clock.GetUtcNow() - signature.SignedAt).TotalSeconds) > _options.MaxClockSkewSeconds)
        {
            throw SqsError.RequestExpired();
        }

        bool? matched = null;
        try
        {
            var project = await gate.AdmitSignedAsync(
                access, urlProject, signature.AccessKeyId,
                secret => (matched = signature.Service == "sqs" && signature.Matches(request, body, secret)).Value,
                Transport, origin, context.RequestAborted);
            return project ?? throw SqsError.AccessDenied("An admin key acts on no project of its own: use a project's key, or a queue URL naming the project.");
        }
        catch (MarconiException exception) when (exception.Kind == MarconiErrorKind.Unauthorized)
        {
            throw matched == false ? SqsError.SignatureDoesNotMatch() : SqsError.InvalidClientTokenId();
        }
    }

    /// <summary>
    /// A declared body up to this size is read into one array of its length at once; a larger one into
    /// arrays that double up to its length, so memory not yet counted in flight stays this small per connection.
    /// </summary>
    private const int WholeBodyBytes = 64 << 10;

    /// <summary>The first buffer of a body of unknown length (chunked).</summary>
    private const int FirstChunkBytes = 16 << 10;

    private async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var max = _options.MaxRequestBytes;
        var declared = request.ContentLength;
        if (declared > max)
        {
            throw SqsError.RequestTooLarge(max);
        }

        if (declared == 0)
        {
            return [];
        }

        // Kestrel gives no more than the declared length; without one, a byte past the limit shows the body is too large.
        var limit = (int)Math.Min(declared ?? max + 1L, Array.MaxLength);
        var buffer = new byte[Math.Min(limit, declared is null ? FirstChunkBytes : WholeBodyBytes)];
        var count = 0;
        long held = 0;
        try
        {
            while (count < limit)
            {
                if (count == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(limit, buffer.Length * 2L));
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(count), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                if (count + read > max)
                {
                    throw SqsError.RequestTooLarge(max);
                }

                // Counted as read, so a body declared large but sent slowly holds only what has arrived.
                count += read;
                held += read;
                if (Interlocked.Add(ref _bytesInFlight, read) > _options.MaxRequestBytesInFlight)
                {
                    shedding.Record(Transport, "request bodies in flight");
                    throw SqsError.ServiceUnavailable("The server is holding as many request bodies as it may; retry later.");
                }
            }

            // Held until the request is answered (HandleAsync gives it back).
            held = 0;
            return count == buffer.Length ? buffer : buffer[..count];
        }
        finally
        {
            Interlocked.Add(ref _bytesInFlight, -held);
        }
    }

    /// <summary>The query protocol's fields: the query string's, then a form body's.</summary>
    private static List<KeyValuePair<string, string>> QueryFields(HttpRequest request, byte[] body)
    {
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var (key, values) in QueryHelpers.ParseQuery(request.QueryString.Value))
        {
            fields.AddRange(values.Select(v => new KeyValuePair<string, string>(key, v ?? "")));
        }

        if (body.Length > 0)
        {
            var reader = new FormReader(Encoding.UTF8.GetString(body));
            foreach (var (key, values) in reader.ReadForm())
            {
                fields.AddRange(values.Select(v => new KeyValuePair<string, string>(key, v ?? "")));
            }
        }

        return fields;
    }

    private SqsError ToSqsError(Exception exception, string? action)
    {
        switch (exception)
        {
            case SqsError error:
                return error;
            case BadHttpRequestException bad:
                return FromKestrel(bad);
            case MarconiException marconi:
                switch (marconi.Kind)
                {
                    case MarconiErrorKind.NotFound:
                        return SqsError.NonExistentQueue();
                    case MarconiErrorKind.Unauthorized:
                        return SqsError.InvalidClientTokenId();
                    case MarconiErrorKind.Forbidden:
                        return SqsError.AccessDenied(marconi.Description);
                    case MarconiErrorKind.TooManyRequests:
                        return SqsError.Throttled(marconi.Description);
                    case MarconiErrorKind.Overloaded:
                        shedding.Record(Transport, marconi.Description);
                        return SqsError.ServiceUnavailable(marconi.Description);
                    case MarconiErrorKind.ServiceUnavailable:
                        LogStorageFailure(exception, action);
                        return SqsError.ServiceUnavailable("The store is unavailable; retry later.");
                    default:
                        return SqsError.InvalidParameterValue(marconi.Description);
                }

            default:
                LogUnexpected(exception, action);
                return SqsError.InternalFailure();
        }
    }

    /// <summary>Kestrel's verdict on the request itself (a truncated, malformed, oversized or too slow body): the client's fault.</summary>
    private SqsError FromKestrel(BadHttpRequestException exception) => exception.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => SqsError.RequestTooLarge(_options.MaxRequestBytes),
        StatusCodes.Status408RequestTimeout => new SqsError(408, "RequestTimeout", "RequestTimeout", "The request body was not sent in time."),
        >= 400 and < 500 => new SqsError(exception.StatusCode, "InvalidParameterValue", "InvalidParameterValue", exception.Message),
        _ => new SqsError(400, "InvalidParameterValue", "InvalidParameterValue", exception.Message),
    };

    private static async Task WriteResultAsync(HttpResponse response, bool json, string action, string requestId, Action<SqsWriter>? result)
    {
        response.StatusCode = 200;
        response.Headers["x-amzn-RequestId"] = requestId;
        using var buffer = new MemoryStream();
        if (json)
        {
            response.ContentType = JsonContentType;
            using var writer = new Utf8JsonWriter(buffer);
            writer.WriteStartObject();
            result?.Invoke(new SqsWriter.Json(writer));
            writer.WriteEndObject();
        }
        else
        {
            response.ContentType = "text/xml";
            using var writer = XmlWriter.Create(buffer, XmlSettings);
            writer.WriteStartElement(action + "Response", XmlNamespace);
            writer.WriteStartElement(action + "Result");
            result?.Invoke(new SqsWriter.Xml(writer));
            writer.WriteEndElement();
            writer.WriteStartElement("ResponseMetadata");
            writer.WriteElementString("RequestId", requestId);
            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    private static readonly XmlWriterSettings XmlSettings = new()
    {
        Encoding = new UTF8Encoding(false),
        // A message's carriage returns reach the client as they were sent.
        NewLineHandling = NewLineHandling.Entitize,
    };

    private static async Task WriteErrorAsync(HttpResponse response, bool json, string requestId, SqsError error)
    {
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = error.Status;
        response.Headers["x-amzn-RequestId"] = requestId;
        using var buffer = new MemoryStream();
        if (json)
        {
            response.ContentType = JsonContentType;
            response.Headers["x-amzn-query-error"] = $"{error.Code};{(error.Sender ? "Sender" : "Receiver")}";
            using var writer = new Utf8JsonWriter(buffer);
            writer.WriteStartObject();
            writer.WriteString("__type", "com.amazonaws.sqs#" + error.Type);
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
        }
        else
        {
            response.ContentType = "text/xml";
            using var writer = XmlWriter.Create(buffer, XmlSettings);
            writer.WriteStartElement("ErrorResponse", XmlNamespace);
            writer.WriteStartElement("Error");
            writer.WriteElementString("Type", error.Sender ? "Sender" : "Receiver");
            writer.WriteElementString("Code", error.Code);
            // Messages may quote the client's own text, which XML may not be able to carry.
            writer.WriteElementString("Message", SqsWriter.Xml.Clean(error.Message));
            writer.WriteElementString("Detail", "");
            writer.WriteEndElement();
            writer.WriteElementString("RequestId", requestId);
            writer.WriteEndElement();
        }

        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    [LoggerMessage(EventId = 3,
        Message = "SQS {Operation} responded {StatusCode} in {Elapsed:0.00} ms (queue {Queue}, project {Project}, transport {Transport})")]
    private partial void LogRequest(LogLevel level, string transport, string? operation, string? queue, int statusCode, double elapsed, string project);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage failure on SQS action {Action}")]
    private partial void LogStorageFailure(Exception exception, string? action);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure on SQS action {Action}")]
    private partial void LogUnexpected(Exception exception, string? action);
}
