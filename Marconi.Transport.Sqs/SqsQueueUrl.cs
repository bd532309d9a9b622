namespace Marconi.Transport.Sqs;

/// <summary>
/// Queue URLs as SQS shapes them, <c>{endpoint}/{account}/{queue}</c>, where the account is the
/// Marconi project. The host part is the one the client reached the endpoint by.
/// </summary>
public static class SqsQueueUrl
{
    public static string Format(string baseUrl, string project, string queue) =>
        $"{baseUrl}/{Uri.EscapeDataString(project)}/{queue}";

    /// <summary>The project and queue a queue URL (absolute, or its path) names; null when it is not one.</summary>
    public static (string Project, string Queue)? Parse(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return null;
        }

        var path = Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https"
            ? absolute.AbsolutePath
            : url;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length != 2)
        {
            return null;
        }

        var project = Uri.UnescapeDataString(segments[0]);
        return project.Length is 0 or > Core.RequestContext.MaxProjectIdLength ? null : (project, segments[1]);
    }

    /// <summary>The queue an ARN of this endpoint names in <paramref name="project"/>; null when it names another account.</summary>
    public static string? QueueOfArn(string arn, string project)
    {
        var parts = arn.Split(':');
        return parts.Length == 6 && parts[0] == "arn" && parts[2] == "sqs" && parts[4] == project ? parts[5] : null;
    }
}
