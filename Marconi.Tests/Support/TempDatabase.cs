namespace Marconi.Tests.Support;

/// <summary>A SQLite file in a fresh temporary folder, removed with its WAL files on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marconi-test-").FullName;

    public string Path => System.IO.Path.Combine(_folder, "marconi.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A host still shutting down may hold the file a moment longer; the OS cleans temp.
        }
    }
}
