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
    public async Task MessageCountChangesOfABatchLandAtCommitAndAFailedItemTakesItsOwnAlong()
    {
        await _writer.WriteAsync("schema", (c, t) => c.Exec(
            "CREATE TABLE queues (id INTEGER PRIMARY KEY, message_count INTEGER NOT NULL); INSERT INTO queues VALUES (1, 10), (2, 20)",
            null, t));
        using var running = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var hold = _writer.WriteAsync("hold", (_, _) =>
        {
            running.Set();
            release.Wait();
            return 0;
        });
        running.Wait();

        // Queued behind the held write, so the three share one transaction.
        var up = _writer.WriteAsync("up", (_, _) =>
        {
            _writer.CountMessages(1, 3);
            _writer.CountMessages(2, -1);
            return 0;
        });
        var failing = _writer.WriteAsync<int>("failing", (_, _) =>
        {
            _writer.CountMessages(1, 100);
            throw new InvalidOperationException("undone");
        });
        var down = _writer.WriteAsync("down", (_, _) =>
        {
            _writer.CountMessages(1, -1);
            return 0;
        });
        release.Set();
        await Task.WhenAll(hold, up, down);
        await failing.Invoking(f => f).Should().ThrowAsync<Exception>();

        var counts = await _writer.WriteAsync("read", (c, t) => c.Rows<(long Id, long Count)>("SELECT id, message_count FROM queues ORDER BY id", null, t));
        counts.Should().Equal((1L, 12L), (2L, 19L));
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
