using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Marconi.Storage.Sqlite;

/// <summary>
/// Keeps a full disk recoverable through the API. Writes that add data (posts, new queues,
/// metadata, subscriptions) are refused while the free space of the database's file system,
/// plus the database's own free pages, is under <c>MinFreeBytes</c>; deletes and purges still
/// run, and if even they hit a full disk the writer releases a preallocated reserve file and
/// retries, so an operator can always free space without remounting. The reserve is made again
/// once there is room for it.
/// </summary>
internal sealed partial class SqliteDiskSpace
{
    /// <summary>Free space is read at most this often: a statvfs per post would cost more than it tells.</summary>
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(500);

    private readonly string _directory;
    private readonly long _minFreeBytes;
    private readonly long _reserveBytes;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private long? _checkedAt;
    private bool _hasRoom = true;

    public SqliteDiskSpace(string databasePath, long minFreeBytes, long reserveBytes, ILogger logger)
    {
        _directory = Path.GetDirectoryName(databasePath) ?? ".";
        ReservePath = databasePath + "-reserve";
        _minFreeBytes = minFreeBytes;
        _reserveBytes = reserveBytes;
        _logger = logger;
    }

    /// <summary>The preallocated file given up when a write meets a full disk.</summary>
    public string ReservePath { get; }

    /// <summary>Free bytes of the file system that holds the database.</summary>
    public long FileSystemFreeBytes => new DriveInfo(_directory).AvailableFreeSpace;

    /// <summary>
    /// Whether writes that add data may run: file-system free space plus the database's free
    /// pages (which new rows reuse) is at least <c>MinFreeBytes</c>. Cached for a moment.
    /// </summary>
    public bool HasRoomForGrowth(Func<long> databaseFreeBytes)
    {
        if (_minFreeBytes <= 0)
        {
            return true;
        }

        var now = Environment.TickCount64;
        lock (_lock)
        {
            if (now - _checkedAt < RefreshInterval.TotalMilliseconds)
            {
                return _hasRoom;
            }

            _checkedAt = now;
        }

        var free = FileSystemFreeBytes;
        var room = free >= _minFreeBytes || free + databaseFreeBytes() >= _minFreeBytes;
        if (room != _hasRoom)
        {
            if (room)
            {
                LogRoomAgain(free);
            }
            else
            {
                LogNoRoom(free, _minFreeBytes);
            }
        }

        _hasRoom = room;
        if (room)
        {
            EnsureReserve(free);
        }

        return room;
    }

    /// <summary>Makes the reserve file when it is missing and the disk can spare it beside <c>MinFreeBytes</c>.</summary>
    public void EnsureReserve(long? freeBytes = null)
    {
        if (_reserveBytes <= 0 || File.Exists(ReservePath))
        {
            return;
        }

        var free = freeBytes ?? FileSystemFreeBytes;
        if (free < _reserveBytes + Math.Max(_minFreeBytes, _reserveBytes))
        {
            return;
        }

        try
        {
            // Preallocated, not sparse: the blocks are really taken, so releasing them really frees space.
            using var handle = File.OpenHandle(
                ReservePath, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, _reserveBytes);

            // The preallocation keeps the file's length 0; give it its size so `ls` shows what it holds.
            RandomAccess.SetLength(handle, _reserveBytes);
            LogReserveMade(ReservePath, _reserveBytes);
        }
        catch (IOException exception)
        {
            TryDelete();
            LogReserveFailed(exception, ReservePath);
        }
    }

    /// <summary>Gives the reserve's space back to the file system; false when there was none to give.</summary>
    public bool ReleaseReserve()
    {
        if (!File.Exists(ReservePath))
        {
            return false;
        }

        TryDelete();
        lock (_lock)
        {
            _checkedAt = null;
        }

        LogReserveReleased(ReservePath);
        return true;
    }

    /// <summary>SQLITE_FULL: the database or its journal could not grow.</summary>
    public static bool IsDiskFull(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 13 } || exception.InnerException is { } inner && IsDiskFull(inner);

    private void TryDelete()
    {
        try
        {
            File.Delete(ReservePath);
        }
        catch (IOException)
        {
            // Nothing more to free.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Storage is nearly full ({FreeBytes} bytes free, MinFreeBytes {MinFreeBytes}): new messages and queues are refused until space is freed")]
    private partial void LogNoRoom(long freeBytes, long minFreeBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage has room again ({FreeBytes} bytes free): new messages are accepted")]
    private partial void LogRoomAgain(long freeBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disk reserve {Path} of {Bytes} bytes is in place")]
    private partial void LogReserveMade(string path, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disk reserve {Path} could not be made")]
    private partial void LogReserveFailed(Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The disk is full: released the reserve {Path} so that this write can finish")]
    private partial void LogReserveReleased(string path);
}
