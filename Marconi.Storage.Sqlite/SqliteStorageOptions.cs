namespace Marconi.Storage.Sqlite;

/// <summary>Section <c>Marconi:Storage:Sqlite</c>.</summary>
public sealed class SqliteStorageOptions
{
    public const string SectionName = "Marconi:Storage:Sqlite";

    /// <summary>The database file; relative paths are relative to the working directory.</summary>
    public string Path { get; set; } = "marconi.db";

    /// <summary>
    /// SQLite's <c>synchronous</c> setting: <c>Full</c> (default) makes every acknowledged write
    /// survive power loss; <c>Normal</c> or <c>Off</c> trade that for speed.
    /// </summary>
    public string Synchronous { get; set; } = "Full";

    /// <summary>Most writes grouped into one transaction (one fsync).</summary>
    public int MaxWriteBatch { get; set; } = 256;

    /// <summary>
    /// Most writes waiting for the writer; past it a write is refused at once with 503 and Retry-After
    /// (nothing stored). Zero means <see cref="MaxWriteBatch"/>: everything waiting then fits the next
    /// transaction, so an admitted write is committed at most one transaction after the current one.
    /// </summary>
    public int MaxPendingWrites { get; set; }

    internal int PendingWriteLimit => MaxPendingWrites > 0 ? MaxPendingWrites : MaxWriteBatch;

    /// <summary>
    /// Rows removed per writer transaction by the expiry collector and by the sweeper of deleted and
    /// purged queues, so other writes never wait long behind a big removal.
    /// </summary>
    public int CollectorChunk { get; set; } = 2000;

    /// <summary>
    /// Posts, new queues, metadata and subscriptions are refused (503) while the database's file
    /// system has less than this free (counting the database's own free pages); deletes still run.
    /// 0 turns the check off.
    /// </summary>
    public long MinFreeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Size of the reserve file (<c>{Path}-reserve</c>) given up when a write meets a full disk, so
    /// deletes and purges can always finish. 0: no reserve.
    /// </summary>
    public long ReserveBytes { get; set; } = 32L * 1024 * 1024;

    internal static readonly string[] SynchronousModes = ["Off", "Normal", "Full", "Extra"];
}
