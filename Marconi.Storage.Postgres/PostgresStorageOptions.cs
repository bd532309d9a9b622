using System.Text.RegularExpressions;

namespace Marconi.Storage.Postgres;

/// <summary>Section <c>Marconi:Storage:Postgres</c>.</summary>
public sealed partial class PostgresStorageOptions
{
    public const string SectionName = "Marconi:Storage:Postgres";

    /// <summary>
    /// Npgsql connection string (required). Several hosts and <c>Target Session Attributes=primary</c>
    /// are allowed, so a host follows a failover to the new primary.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The schema holding Marconi's tables, created at start when missing; a plain lower-case identifier.</summary>
    public string Schema { get; set; } = "marconi";

    /// <summary>Seconds a statement may run before it is abandoned and the request answered 503.</summary>
    public int CommandTimeoutSeconds { get; set; } = 15;

    /// <summary>Rows removed per transaction by the expiry collector and by the removal of deleted queues' rows.</summary>
    public int CollectorChunk { get; set; } = 2000;

    /// <summary>
    /// Most posts waiting on this host for their queue's next statement (a queue's posts share one
    /// statement at a time); past it a post answers 503 with Retry-After at once and nothing is stored.
    /// </summary>
    public int MaxPendingPosts { get; set; } = 1024;

    /// <summary>
    /// How far the offset between this host's clock and the database's may move between two
    /// measurements before a warning is logged.
    /// </summary>
    public int MaxClockSkewMilliseconds { get; set; } = 500;

    /// <summary>
    /// Start even when the server's <c>synchronous_commit</c> is <c>off</c>, where a 201 no longer
    /// means the post is on disk. False by default: the driver refuses to start.
    /// </summary>
    public bool AllowAsyncCommit { get; set; }

    /// <summary>
    /// How often, while requests wait on this host (long-polling claims and pops), it asks the database
    /// whether their queues have claimable messages, so a post through another host answers them within
    /// this time (a post through this host answers them at once). 0: only the per-waiter
    /// <c>Marconi:Limits:ClaimWaitRecheckSeconds</c>.
    /// </summary>
    public int WakeUpIntervalMilliseconds { get; set; } = 250;

    /// <summary>Whether <paramref name="schema"/> is a name <see cref="Schema"/> takes (the command line checks <c>--schema</c> with it).</summary>
    public static bool IsPlainIdentifier(string? schema) => schema is not null && Identifier().IsMatch(schema);

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
