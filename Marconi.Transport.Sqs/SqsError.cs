namespace Marconi.Transport.Sqs;

/// <summary>
/// An SQS error: the query protocol's <c>Code</c> (also the JSON protocol's <c>x-amzn-query-error</c>),
/// the JSON protocol's <c>__type</c> (the Smithy shape name where SQS models one), the status and
/// whose fault it is.
/// </summary>
public sealed class SqsError(int status, string code, string type, string message, bool sender = true) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public string Type { get; } = type;

    public bool Sender { get; } = sender;

    private static SqsError Plain(int status, string code, string message) => new(status, code, code, message);

    public static SqsError NonExistentQueue() =>
        new(400, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "The specified queue does not exist.");

    public static SqsError QueueNameExists(string name) =>
        new(400, "QueueAlreadyExists", "QueueNameExists", $"A queue named {name} already exists with different attributes.");

    public static SqsError InvalidParameterValue(string message) => Plain(400, "InvalidParameterValue", message);

    public static SqsError MissingParameter(string name) =>
        Plain(400, "MissingParameter", $"The request must contain the parameter {name}.");

    public static SqsError InvalidAction(string? action) =>
        Plain(400, "InvalidAction", $"The action {action} is not valid for this endpoint.");

    public static SqsError InvalidAttributeName(string name) =>
        new(400, "InvalidAttributeName", "InvalidAttributeName", $"Unknown attribute {name}.");

    public static SqsError InvalidAttributeValue(string message) =>
        new(400, "InvalidAttributeValue", "InvalidAttributeValue", message);

    public static SqsError InvalidMessageContents(string message) =>
        new(400, "InvalidMessageContents", "InvalidMessageContents", message);

    public static SqsError ReceiptHandleIsInvalid(string message) =>
        new(400, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", message);

    public static SqsError MessageNotInflight() =>
        new(400, "AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight", "The message referred to isn't in flight.");

    public static SqsError UnsupportedOperation(string message) =>
        new(400, "AWS.SimpleQueueService.UnsupportedOperation", "UnsupportedOperation", message);

    public static SqsError EmptyBatchRequest() =>
        new(400, "AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest", "The batch request doesn't contain any entries.");

    public static SqsError TooManyEntriesInBatchRequest(int max) =>
        new(400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest",
            $"A batch request may contain at most {max} entries.");

    public static SqsError BatchEntryIdsNotDistinct() =>
        new(400, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct", "Two or more batch entries have the same Id.");

    public static SqsError InvalidBatchEntryId() =>
        new(400, "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId",
            "A batch entry id may only contain alphanumeric characters, hyphens and underscores, and be at most 80 characters long.");

    public static SqsError BatchRequestTooLong(int max) =>
        new(400, "AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong",
            $"The messages of a batch may not be longer than {max} bytes together.");

    public static SqsError MissingAuthenticationToken() =>
        Plain(403, "MissingAuthenticationToken", "Request is missing Authentication Token.");

    public static SqsError IncompleteSignature(string message) => Plain(403, "IncompleteSignature", message);

    public static SqsError InvalidClientTokenId() =>
        Plain(403, "InvalidClientTokenId", "The security token included in the request is invalid.");

    public static SqsError SignatureDoesNotMatch() =>
        Plain(403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");

    public static SqsError RequestExpired() =>
        Plain(403, "RequestExpired", "Request has expired: its signing time is too far from the server's clock.");

    public static SqsError AccessDenied(string message) => Plain(403, "AccessDenied", message);

    public static SqsError RequestTooLarge(int max) =>
        Plain(413, "RequestEntityTooLarge", $"The request body may not be longer than {max} bytes.");

    public static SqsError Throttled(string message) => new(400, "RequestThrottled", "RequestThrottled", message);

    public static SqsError ServiceUnavailable(string message) => new(503, "ServiceUnavailable", "ServiceUnavailable", message, sender: false);

    public static SqsError InternalFailure() =>
        new(500, "InternalFailure", "InternalFailure", "The request processing has failed because of an unknown error.", sender: false);
}
