using Marconi.Core;
using Marconi.Storage.Sqlite;
using Marconi.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marconi.Tests.Storage;

/// <summary>
/// The writer's bound: with one write running and the queue full, a request's write is refused at
/// once (Overloaded, never run), while background work waits for room and then runs.
/// </summary>
public sealed class SqliteWriterBoundTests : IAsyncLifetime
{
    private readonly TempDatabase _database = new();
    private SqliteWriter _writer = null!;

    public Task InitializeAsync()
    {
        var connection = new SqliteConnection($"Data Source={_database.Path};Pooling=False");
        connection.Open();
        _writer = new SqliteWriter(connection, maxBatch: 1, maxPending: 1, space: null, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _writer.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task PastTheBoundARequestWriteIsRefusedUnrunAndBackgroundWorkWaits()
    {
        using var running = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var ran = new List<string>();
        var first = _writer.WriteAsync("first", (_, _) =>
        {
            running.Set();
            release.Wait();
            return Ran("first");
        });
        running.Wait();
        var waiting = _writer.WriteAsync("waiting", (_, _) => Ran("waiting"));

        Action refused = () => _writer.WriteAsync("refused", (_, _) => Ran("refused"));
        // Refused as the call is made, before anything is queued.
        refused.Should().Throw<MarconiException>().Which.Kind.Should().Be(MarconiErrorKind.Overloaded);
        var background = _writer.WriteInBackgroundAsync("background", (_, _) => Ran("background"));
        background.IsCompleted.Should().BeFalse("background work waits for room instead of being refused");

        release.Set();
        await Task.WhenAll(first, waiting, background);
        ran.Should().Equal("first", "waiting", "background");

        int Ran(string name)
        {
            lock (ran)
            {
                ran.Add(name);
                return ran.Count;
            }
        }
    }
}
