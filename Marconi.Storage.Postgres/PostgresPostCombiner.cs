using Marconi.Core;
using Marconi.Core.Storage;

namespace Marconi.Storage.Postgres;

/// <summary>
/// Coalesces this host's concurrent posts to one queue into one post statement: one hold of the
/// queue row lock and one commit flush for many posts, the way SqliteWriter groups
/// writes. A post arriving while no statement for its queue runs on this host starts one at once, so
/// an idle queue adds no latency; posts arriving meanwhile wait and go together in the next
/// statement, in arrival order, which the statement keeps: each post's markers are contiguous and
/// ascending, and a producer's later post gets later markers. There is no background thread: the
/// first post's call starts the statement, and whichever statement finishes starts the next for the
/// posts then waiting, until none wait. The statement runs uncancelled, because it carries other
/// callers' posts: a caller who cancels stops waiting, and its post is left out if no statement has
/// taken it yet, else it may still commit (as a cancelled single post could before).
/// </summary>
/// <param name="maxPending">Most posts waiting on this host for their queue's next statement; past it a post
/// is refused at once with 503 and Retry-After (nothing stored), so a flood on one queue cannot pile up
/// requests and their bodies without end.</param>
internal sealed class PostgresPostCombiner(
    Func<QueueRef, bool, IReadOnlyList<PostgresPostCombiner.Post>, Task<List<long>?>> run, int maxPending)
{
    /// <summary>
    /// Most messages one statement takes (a single larger post goes alone). The queue row is locked
    /// for the whole statement, so its size bounds how long other hosts' posts to the queue wait; at
    /// these sizes a statement still takes a few milliseconds, while 16 concurrent posts of 10 fit in one.
    /// </summary>
    internal const int MaxMessages = 1000;

    /// <summary>Most bytes of bodies one statement takes (four posts of the default 256 KiB limit), for the same reason.</summary>
    internal const int MaxBodyBytes = 1 << 20;

    private readonly Lock _gate = new();

    /// <summary>A queue (and whether its posts create it) is a key here while a statement for it runs; the list holds the posts waiting for the next.</summary>
    private readonly Dictionary<(QueueRef Queue, bool CreateQueue), List<Post>> _waiting = [];

    /// <summary>Posts in <see cref="_waiting"/>, over every queue.</summary>
    private int _pending;

    /// <summary>One post: its messages and their client and creation time, which every row of it carries.</summary>
    internal sealed class Post(IReadOnlyList<NewMessage> messages, Guid clientId, long created, CancellationToken cancellationToken)
    {
        public IReadOnlyList<NewMessage> Messages { get; } = messages;

        public Guid ClientId { get; } = clientId;

        public long Created { get; } = created;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public long BodyBytes { get; } = messages.Sum(m => (long)m.Body.Length);

        /// <summary>Completed off the statement's thread, so callers' continuations never delay the next statement.</summary>
        public TaskCompletionSource<IReadOnlyList<string>?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>How many posts to the queue wait for the next statement, for tests.</summary>
    internal int Waiting(QueueRef queue, bool createQueue)
    {
        lock (_gate)
        {
            return _waiting.TryGetValue((queue, createQueue), out var waiting) ? waiting.Count : 0;
        }
    }

    /// <summary>The post's message ids in its messages' order, or null when the queue does not exist.</summary>
    public Task<IReadOnlyList<string>?> PostAsync(QueueRef queue, bool createQueue, Post post)
    {
        // A caller who has already given up starts nothing, as before a statement of its own.
        post.CancellationToken.ThrowIfCancellationRequested();
        var key = (queue, createQueue);
        bool lead;
        lock (_gate)
        {
            lead = !_waiting.TryGetValue(key, out var waiting);
            if (lead)
            {
                _waiting[key] = [];
            }
            else if (_pending >= maxPending)
            {
                throw Errors.Overloaded($"{maxPending} posts already waiting for their queues");
            }
            else
            {
                waiting!.Add(post);
                _pending++;
            }
        }

        if (lead)
        {
            _ = RunAsync(key, [post]);
        }

        return post.Outcome.Task.WaitAsync(post.CancellationToken);
    }

    /// <summary>Runs <paramref name="batch"/>, then batches of the posts that waited meanwhile, until none wait. Never throws.</summary>
    private async Task RunAsync((QueueRef Queue, bool CreateQueue) key, List<Post> batch)
    {
        while (true)
        {
            await RunOneAsync(key, batch);
            lock (_gate)
            {
                var waiting = _waiting[key];
                var before = waiting.Count;
                batch = Take(waiting);
                _pending -= before - waiting.Count;
                if (batch.Count == 0)
                {
                    _waiting.Remove(key);
                    return;
                }
            }
        }
    }

    /// <summary>One statement for <paramref name="batch"/>; every post gets its share of the markers, or the same failure.</summary>
    private async Task RunOneAsync((QueueRef Queue, bool CreateQueue) key, List<Post> batch)
    {
        try
        {
            // Sorted: the k-th smallest marker is the k-th row's, and rows are the posts' messages in batch order.
            var markers = await run(key.Queue, key.CreateQueue, batch);
            var offset = 0;
            foreach (var post in batch)
            {
                post.Outcome.TrySetResult(markers is null ? null : markers.GetRange(offset, post.Messages.Count).ConvertAll(Ids.MessageId));
                offset += post.Messages.Count;
            }
        }
        catch (Exception exception)
        {
            foreach (var post in batch)
            {
                post.Outcome.TrySetException(exception);
            }
        }
    }

    /// <summary>Removes from the front of <paramref name="waiting"/> the posts of the next statement, in arrival order, dropping cancelled ones.</summary>
    private static List<Post> Take(List<Post> waiting)
    {
        var batch = new List<Post>();
        int messages = 0, taken = 0;
        long bytes = 0;
        foreach (var post in waiting)
        {
            if (post.CancellationToken.IsCancellationRequested)
            {
                // Its caller has stopped waiting already; it is left out.
                post.Outcome.TrySetCanceled(post.CancellationToken);
                taken++;
                continue;
            }

            if (batch.Count > 0 && (messages + post.Messages.Count > MaxMessages || bytes + post.BodyBytes > MaxBodyBytes))
            {
                break;
            }

            batch.Add(post);
            messages += post.Messages.Count;
            bytes += post.BodyBytes;
            taken++;
        }

        waiting.RemoveRange(0, taken);
        return batch;
    }
}
