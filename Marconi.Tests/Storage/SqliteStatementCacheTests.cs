using FluentAssertions;
using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Sqlite;
using Marconi.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using System.Runtime.InteropServices;

namespace Marconi.Tests.Storage;

/// <summary>
/// The driver's cached statements stay compiled: SQLite counts every recompilation of a statement
/// (SQLITE_STMTSTATUS_REPREPARE), and on the read and write connections that count stays at zero
/// while the hot operations run with ever-changing values.
/// </summary>
public sealed class SqliteStatementCacheTests : IAsyncLifetime
{
    private const int Reprepared = 5;

    private readonly TempDatabase _database = new();
    private SqliteDataDriver _driver = null!;
    private readonly QueueRef _queue = new("p1", "jobs");
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public Task InitializeAsync()
    {
        _driver = new SqliteDataDriver(Options.Create(new SqliteStorageOptions { Path = _database.Path }), NullLogger<SqliteDataDriver>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _driver.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task HotOperationsNeverRecompileTheirStatements()
    {
        await _driver.Queues.CreateAsync(_queue, _now, default);
        for (var round = 0; round < 20; round++)
        {
            _now = _now.AddMilliseconds(7);
            var ids = await _driver.Messages.PostAsync(_queue, [new NewMessage(300, $"{{\"n\":{round}}}"), new NewMessage(300, "2")], Guid.NewGuid(), _now, default);
            var page = await _driver.Messages.ListAsync(_queue, new MessageListQuery(null, 10, true, round % 2 == 0, Guid.NewGuid()), _now, default);
            page.Should().NotBeEmpty();
            (await _driver.Messages.GetAsync(_queue, ids![0], _now, default)).Should().NotBeNull();
            var claim = await _driver.Claims.CreateAsync(_queue, 60, 60, 2, _now, default);
            foreach (var message in claim!.Messages)
            {
                (await _driver.Messages.DeleteAsync(_queue, message.Id, claim.Id, _now, default)).Should().Be(MessageDeleteOutcome.Done);
            }
        }

        var reads = await _driver.ReadAsync("test", Recompilations);
        var writes = await _driver.WriteAsync("test", (c, _) => Recompilations(c));

        reads.Statements.Should().BeGreaterThan(0, "the reads ran cached statements on this connection");
        reads.Recompiled.Should().Be(0);
        writes.Statements.Should().BeGreaterThan(0, "the writes ran cached statements on this connection");
        writes.Recompiled.Should().Be(0);
    }

    [Fact]
    public void WithoutTheGuaranteeTheBundledSqliteRecompilesOnNewValues()
    {
        // The measure can fail: the same cached statement on a plain connection is recompiled.
        using var connection = new SqliteConnection($"Data Source={_database.Path}");
        connection.Open();
        var plain = RunCachedLookup(connection);

        using var kept = new SqliteConnection($"Data Source={_database.Path}");
        kept.Open();
        Statements.KeepCompiled(kept);
        var compiled = RunCachedLookup(kept);

        plain.Recompiled.Should().BeGreaterThan(0);
        compiled.Recompiled.Should().Be(0);
    }

    private static (int Statements, int Recompiled) RunCachedLookup(SqliteConnection connection)
    {
        for (var after = 0; after < 10; after++)
        {
            connection.Rows<long>(SqliteMessageController.Page, new
            {
                project = "p1", name = "jobs", after, now = 1000 + after, echo = true, client = new byte[16],
                includeClaimed = after % 2 == 0, includeDelayed = false, limit = 10,
            });
        }

        return Recompilations(connection);
    }

    private static (int Statements, int Recompiled) Recompilations(SqliteConnection connection)
    {
        // SQLitePCL's own sqlite3_next_stmt wants tracking switched on at open, which the driver's
        // connections are not; SQLite's functions walk them all the same.
        var db = connection.Handle!.DangerousGetHandle();
        var (statements, recompiled) = (0, 0);
        for (var statement = NextStatement(db, 0); statement != 0; statement = NextStatement(db, statement))
        {
            statements++;
            recompiled += StatementStatus(statement, Reprepared, 0);
        }

        return (statements, recompiled);
    }

    [DllImport("e_sqlite3", EntryPoint = "sqlite3_next_stmt")]
    private static extern nint NextStatement(nint db, nint statement);

    [DllImport("e_sqlite3", EntryPoint = "sqlite3_stmt_status")]
    private static extern int StatementStatus(nint statement, int counter, int reset);
}
