using Marconi.Storage.Sqlite;
using Marconi.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Marconi.Tests.Storage;

/// <summary>The writer's order: request writes before background chunks, but background work is never starved.</summary>
public sealed class SqliteWriterTests : IAsyncLifetime
{
    private readonly TempDatabase _database = new();
    private readonly List<string> _order = [];
    private SqliteWriter _writer = null!;

    public Task InitializeAsync()
    {
        var connection = new SqliteConnection($"Data Source={_database.Path};Pooling=False");
        connection.Open();
        _writer = new SqliteWriter(connection, maxBatch: 256, maxPending: 256, space: null, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _writer.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task ARequestWriteQueuedBehindABackgroundChunkRunsFirst()
    {
        using var running = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var first = _writer.WriteAsync("first", (_, _) =>
        {
            running.Set();
            release.Wait();
            return Record("first");
        });
        running.Wait();

        // Both wait while the first write holds the writer; the background chunk was queued first.
        var chunk = _writer.WriteInBackgroundAsync("chunk", (_, _) => Record("chunk"));
        var post = _writer.WriteAsync("post", (_, _) => Record("post"));
        release.Set();
        await Task.WhenAll(first, chunk, post);

        _order.Should().Equal("first", "post", "chunk");
    }

    [Fact]
    public async Task BackgroundWorkGetsATurnWhenRequestWritesNeverLetUp()
    {
        const int Turns = 64;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task chunk = Task.CompletedTask;

        // Each request write queues the next from inside the writer, so the queue is never empty.
        int Turn(int n)
        {
            Record($"request {n}");
            if (n == 0)
            {
                chunk = _writer.WriteInBackgroundAsync("chunk", (_, _) => Record("chunk"));
            }

            if (n < Turns)
            {
                _writer.WriteAsync("request", (_, _) => Turn(n + 1));
            }
            else
            {
                done.SetResult();
            }

            return n;
        }

        await _writer.WriteAsync("request", (_, _) => Turn(0));
        await done.Task;
        await chunk;

        _order.IndexOf("chunk").Should().BeInRange(2, Turns / 2);
    }

    private int Record(string name)
    {
        lock (_order)
        {
            _order.Add(name);
            return _order.Count;
        }
    }
}
