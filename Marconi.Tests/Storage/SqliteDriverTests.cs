using Marconi.Core.Storage;
using Marconi.Storage.Sqlite;
using Marconi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marconi.Tests.Storage;

/// <summary>The storage contract run against the SQLite driver on a real file.</summary>
public sealed class SqliteDriverTests : DataDriverContract
{
    private readonly TempDatabase _database = new();

    protected override Task<IDataDriver> OpenAsync() =>
        Task.FromResult<IDataDriver>(new SqliteDataDriver(
            Options.Create(new SqliteStorageOptions { Path = _database.Path }),
            NullLogger<SqliteDataDriver>.Instance));

    /// <summary>Another driver on the same file, with its own writer: SQLite's file lock serialises the two writers.</summary>
    protected override async Task<IDataDriver?> OpenPeerAsync() => await OpenAsync();

    protected override async Task<IDataDriver> ReopenAsync(IDataDriver driver)
    {
        await ((SqliteDataDriver)driver).DisposeAsync();
        return await OpenAsync();
    }

    protected override async Task CloseAsync(IDataDriver driver)
    {
        await ((SqliteDataDriver)driver).DisposeAsync();
        _database.Dispose();
    }
}
