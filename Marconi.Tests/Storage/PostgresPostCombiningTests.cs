using System.Text;
using Dapper;
using Marconi.Core;
using Marconi.Core.Storage;
using Marconi.Storage.Postgres;
using Marconi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marconi.Tests.Storage;

/// <summary>
/// A host's concurrent posts to one queue go in one statement (<see cref="PostgresPostCombiner"/>).
/// Each test holds the queue row the way a post on another host would, starts one post (which then
/// waits for the row in its own statement) and more posts behind it (which wait on this host for
/// the next statement), and lets the row go. Rows written by one statement share one transaction, so
/// their <c>xmin</c> counts the statements.
/// </summary>
public sealed class PostgresPostCombiningTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly QueueRef Queue = new("p1", "jobs");

    private PostgresServer _server = null!;
    private string _schema = null!;
    private PostgresDataDriver _driver = null!;

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.GetAsync();
        if (_server.Unavailable is null)
        {
            _schema = await _server.CreateSchemaAsync();
            _driver = new PostgresDataDriver(
                Options.Create(new PostgresStorageOptions { ConnectionString = _server.ConnectionString!, Schema = _schema }),
                NullLogger<PostgresDataDriver>.Instance);
            await _driver.Queues.CreateAsync(Queue, Now, default);
        }
    }

    public async Task DisposeAsync()
    {
        if (_schema is not null)
        {
            await _driver.DisposeAsync();
            await _server.DropSchemaAsync(_schema);
        }
    }

    private sealed record Sent(string[] Bodies, Guid Client, DateTimeOffset Now, Task<IReadOnlyList<string>?> Ids);

    [SkippableFact]
    public async Task PostsWaitingForTheQueueGoInOneStatementEachWithItsOwnContiguousAscendingMarkers()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var posts = await PostBehindAHeldQueueRowAsync(31, i => Bodies(i, 1 + i % 3));

        foreach (var post in posts)
        {
            (await post.Ids).Should().HaveCount(post.Bodies.Length);
        }

        var rows = await RowsAsync();
        rows.Select(r => r.Tx).Distinct().Should().HaveCount(2, "the first post ran alone, the 31 that waited for it in one statement");
        rows.Where(r => r.Tx != rows[0].Tx).Should().HaveCount(posts.Skip(1).Sum(p => p.Bodies.Length));

        // In arrival order each post's markers follow the previous post's, contiguous and ascending,
        // and each row carries its own post's body, client and creation time.
        var markers = posts.SelectMany(p => p.Ids.Result!.Select(Marker)).ToList();
        markers.Should().Equal(rows.Select(r => r.Marker));
        var expected = posts.SelectMany(p => p.Bodies.Select(b => (b, p.Client, p.Now.ToUnixTimeMilliseconds())));
        rows.Select(r => (r.Body, r.Client, r.Created)).Should().Equal(expected);
    }

    [SkippableFact]
    public async Task APostWaitingWhoseCallerCancelsIsLeftOut()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        using var cancel = new CancellationTokenSource();
        var posts = await PostBehindAHeldQueueRowAsync(3, i => Bodies(i, 1), cancelled: (2, cancel));

        await posts[2].Awaiting(p => p.Ids).Should().ThrowAsync<OperationCanceledException>();
        foreach (var post in posts.Where((_, i) => i != 2))
        {
            (await post.Ids).Should().HaveCount(1);
        }

        var rows = await RowsAsync();
        rows.Select(r => r.Body).Should().Equal(posts[0].Bodies[0], posts[1].Bodies[0], posts[3].Bodies[0]);
    }

    [SkippableFact]
    public async Task EveryPostOfAStatementForAQueueDeletedMeanwhileGetsNull()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var posts = await PostBehindAHeldQueueRowAsync(31, i => Bodies(i, 2), holder: "DELETE FROM {s}.queues WHERE project = 'p1' AND name = 'jobs'");

        foreach (var post in posts)
        {
            (await post.Ids).Should().BeNull();
        }

        (await RowsAsync()).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task AFailingStatementFailsEveryPostOfItWithA503AndStoresNoneOfThem()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        // One post of the batch makes the insert fail, as a full disk or a lost connection would.
        await _server.ExecuteAsync(Sql("""
            CREATE FUNCTION {s}.refuse() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN IF convert_from(NEW.body, 'UTF8') LIKE '%refused%' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON {s}.messages FOR EACH ROW EXECUTE FUNCTION {s}.refuse();
            """));
        var posts = await PostBehindAHeldQueueRowAsync(31, i => i == 17 ? ["\"refused\""] : Bodies(i, 2));

        (await posts[0].Ids).Should().HaveCount(2);
        foreach (var post in posts.Skip(1))
        {
            (await post.Awaiting(p => p.Ids).Should().ThrowAsync<MarconiException>())
                .Which.Kind.Should().Be(MarconiErrorKind.ServiceUnavailable);
        }

        (await RowsAsync()).Select(r => r.Body).Should().Equal(posts[0].Bodies);
    }

    [SkippableFact]
    public async Task AStatementTakesNoMoreThanItsBoundOfMessages()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        var size = PostgresPostCombiner.MaxMessages * 2 / 5;
        var posts = await PostBehindAHeldQueueRowAsync(3, i => Bodies(i, i == 0 ? 1 : size));

        foreach (var post in posts)
        {
            (await post.Ids).Should().HaveCount(post.Bodies.Length);
        }

        var rows = await RowsAsync();
        rows.GroupBy(r => r.Tx).Select(g => g.Count()).Should().Equal(new[] { 1, 2 * size, size }, "two posts fit in a statement, three do not");
        rows.Select(r => r.Marker).Should().Equal(posts.SelectMany(p => p.Ids.Result!.Select(Marker)));
    }

    [SkippableFact]
    public async Task PostsBeyondTheBoundOfWaitingOnesAreRefusedAtOnceAndNothingOfThemIsStored()
    {
        Skip.If(_server.Unavailable is not null, _server.Unavailable);
        await using var bounded = new PostgresDataDriver(
            Options.Create(new PostgresStorageOptions { ConnectionString = _server.ConnectionString!, Schema = _schema, MaxPendingPosts = 3 }),
            NullLogger<PostgresDataDriver>.Instance);
        await using var connection = await _server.ConnectAsync();
        await using var hold = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(Sql("SELECT id FROM {s}.queues WHERE project = 'p1' AND name = 'jobs' FOR NO KEY UPDATE"), transaction: hold);

        Task<IReadOnlyList<string>?> Post(int n) =>
            bounded.Messages.PostAsync(Queue, [new NewMessage(300, $"{{\"n\":{n}}}")], Guid.NewGuid(), Now, default);
        var running = Post(0);
        await _server.WaitForLockWaitersAsync(_schema, 1);
        var waiting = new[] { Post(1), Post(2), Post(3) };

        var refused = () => Post(4);
        (await refused.Should().ThrowAsync<MarconiException>()).Which.Kind.Should().Be(MarconiErrorKind.Overloaded);
        await hold.CommitAsync();

        (await Task.WhenAll([running, .. waiting])).Should().OnlyContain(ids => ids!.Count == 1);
        (await Post(5)).Should().ContainSingle("the waiting posts have gone, so the bound has room again");
        (await RowsAsync()).Select(r => r.Body).Should().Equal("{\"n\":0}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":5}");
    }

    /// <summary>
    /// Holds the queue row with <paramref name="holder"/> (by default as a post would), starts one post
    /// and waits until it waits for the row, starts <paramref name="behind"/> more, which wait on this
    /// host, and lets the row go by committing.
    /// </summary>
    private async Task<List<Sent>> PostBehindAHeldQueueRowAsync(
        int behind, Func<int, string[]> bodies, string holder = "SELECT id FROM {s}.queues WHERE project = 'p1' AND name = 'jobs' FOR NO KEY UPDATE",
        (int Index, CancellationTokenSource Source)? cancelled = null)
    {
        await using var connection = await _server.ConnectAsync();
        await using var hold = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(Sql(holder), transaction: hold);

        var posts = new List<Sent>();
        for (var i = 0; i <= behind; i++)
        {
            var sent = bodies(i);
            var client = Guid.NewGuid();
            var now = Now.AddMilliseconds(i);
            var token = cancelled?.Index == i ? cancelled.Value.Source.Token : default;
            var ids = _driver.Messages.PostAsync(
                Queue, sent.Select(b => new NewMessage(300, Encoding.UTF8.GetBytes(b))).ToList(), client, now, token);
            posts.Add(new Sent(sent, client, now, ids));
            if (i == 0)
            {
                await _server.WaitForLockWaitersAsync(_schema, 1);
            }
        }

        ((PostgresMessageController)_driver.Messages).Combiner.Waiting(Queue, createQueue: false).Should().Be(behind);
        if (cancelled is { } c)
        {
            await c.Source.CancelAsync();
        }

        await hold.CommitAsync();
        return posts;
    }

    private static string[] Bodies(int post, int count) =>
        Enumerable.Range(0, count).Select(k => $"{{\"post\":{post},\"k\":{k}}}").ToArray();

    private static long Marker(string id) => Ids.TryParseMessageId(id, out var marker) ? marker : throw new FormatException(id);

    private sealed record Row(long Marker, string Tx, string Body, Guid Client, long Created);

    private async Task<List<Row>> RowsAsync()
    {
        await using var connection = await _server.ConnectAsync();
        var rows = await connection.QueryAsync<(long Marker, string Tx, byte[] Body, Guid Client, long Created)>(
            Sql("SELECT marker, xmin::text, body, client_id, created FROM {s}.messages ORDER BY marker"));
        return rows.Select(r => new Row(r.Marker, r.Tx, Encoding.UTF8.GetString(r.Body), r.Client, r.Created)).ToList();
    }

    private string Sql(string sql) => sql.Replace("{s}", _schema, StringComparison.Ordinal);
}
