using Microsoft.Data.Sqlite;

namespace Marconi.Host.Cli;

/// <summary>
/// <c>marconi backup</c>: SQLite's online backup of a store file. The copy is one read transaction on the source,
/// so it is the store as of one commit, and a server on the same file keeps reading and writing meanwhile (WAL).
/// </summary>
internal static class StoreBackup
{
    public sealed record Copied(string Source, string Target, long Pages);

    /// <summary>A backup refused or failed for a reason one line can give.</summary>
    public sealed class RefusedException(string message) : Exception(message);

    public static async Task<Copied> RunAsync(string database, string target, bool force, CancellationToken cancellationToken)
    {
        var source = Path.GetFullPath(database);
        var destination = Path.GetFullPath(target);
        if (!File.Exists(source))
        {
            throw new RefusedException($"--db {database}: no such store file");
        }

        if (string.Equals(source, destination, StringComparison.Ordinal))
        {
            throw new RefusedException("--to is the store itself");
        }

        if (File.Exists(destination) && !force)
        {
            throw new RefusedException($"--to {target} exists; give --force to replace it");
        }

        if (Path.GetDirectoryName(destination) is { } folder && !Directory.Exists(folder))
        {
            throw new RefusedException($"--to {target}: folder {folder} does not exist");
        }

        // Written beside the target and moved into place, so a failed copy never leaves half a backup under its name.
        var partial = destination + ".partial";
        try
        {
            long pages;
            await using (var from = new SqliteConnection(new SqliteConnectionStringBuilder
                         {
                             DataSource = source, Mode = SqliteOpenMode.ReadWrite, Pooling = false,
                         }.ToString()))
            await using (var to = new SqliteConnection(new SqliteConnectionStringBuilder
                         {
                             DataSource = partial, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false,
                         }.ToString()))
            {
                await from.OpenAsync(cancellationToken);
                // A server's writer may hold the write lock for a moment; wait for it rather than fail.
                await using (var timeout = from.CreateCommand())
                {
                    timeout.CommandText = "PRAGMA busy_timeout = 10000";
                    await timeout.ExecuteNonQueryAsync(cancellationToken);
                }

                await to.OpenAsync(cancellationToken);
                from.BackupDatabase(to);
                await using var count = to.CreateCommand();
                count.CommandText = "PRAGMA page_count";
                pages = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            }

            File.Move(partial, destination, overwrite: force);
            return new Copied(source, destination, pages);
        }
        catch (SqliteException exception)
        {
            throw new RefusedException($"backup of {database} failed: {exception.Message}");
        }
        finally
        {
            if (File.Exists(partial))
            {
                File.Delete(partial);
            }
        }
    }
}
