namespace Marconi.Core;

/// <summary>Queue identification rules (contract 1.8), checked before any endpoint step.</summary>
public static class QueueNames
{
    public const int MaxLength = 64;

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks the project id length, then the queue name, and returns the storage key.</summary>
    public static QueueRef Validate(RequestContext context, string? name)
    {
        if (context.Project.Length > RequestContext.MaxProjectIdLength)
        {
            throw Errors.InvalidQueueId(
                $"Project ids may not be longer than {RequestContext.MaxProjectIdLength} characters.");
        }

        if (!IsValid(name))
        {
            throw Errors.InvalidQueueId(
                "Queue names may not be more than 64 characters long, and may only contain letters, digits, underscores, hyphens and dots.");
        }

        return new QueueRef(context.Project, name!);
    }
}

/// <summary>A queue's identity in storage: its namespace and its name.</summary>
public readonly record struct QueueRef(string Project, string Name);
