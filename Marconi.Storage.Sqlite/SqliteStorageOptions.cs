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
    /// Rows removed per writer transaction by the expiry collector and by the sweeper of deleted and
    /// purged queues, so other writes never wait long behind a big removal.
    /// </summary>
    public int CollectorChunk { get; set; } = 2000;

    internal static readonly string[] SynchronousModes = ["Off", "Normal", "Full", "Extra"];
}
