using Marconi.Core.Storage;
using Marconi.Storage.Postgres;
using Marconi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marconi.Tests.Storage;

/// <summary>The storage contract run against the PostgreSQL driver, each test in a schema of its own.</summary>
public sealed class PostgresDriverTests : DataDriverContract
{
    private PostgresServer _server = null!;
    private string _schema = null!;

    protected override async Task<IDataDriver> OpenAsync()
    {
        _server = await PostgresServer.GetAsync();
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        _schema = await _server.CreateSchemaAsync();
        return Open();
    }

    /// <summary>A driver on the test's schema; each has a pool of its own, as a separate host would.</summary>
    private PostgresDataDriver Open() => new(
        Options.Create(new PostgresStorageOptions { ConnectionString = _server.ConnectionString!, Schema = _schema }),
        NullLogger<PostgresDataDriver>.Instance);

    protected override Task<IDataDriver?> OpenPeerAsync() => Task.FromResult<IDataDriver?>(Open());

    protected override async Task<IDataDriver> ReopenAsync(IDataDriver driver)
    {
        await ((PostgresDataDriver)driver).DisposeAsync();
        return Open();
    }

    protected override async Task CloseAsync(IDataDriver driver)
    {
        await ((PostgresDataDriver)driver).DisposeAsync();
        await _server.DropSchemaAsync(_schema);
    }
}
