using Marconi.Core;
using Marconi.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Marconi.Storage.Postgres;

/// <summary>
/// Wakes this host's long-polling waiters for messages that other hosts posted or freed: while
/// requests wait here, one query per interval asks which of their queues have claimable messages.
/// A host hears its own posts at once (<see cref="ClaimWaiters.Posted"/>); this is the bounded path
/// for everyone else's. Not LISTEN/NOTIFY: a NOTIFY in the post takes a database-wide lock at commit,
/// serialising every post, and LISTEN needs a session of its own, which PgBouncer's transaction mode
/// does not give.
/// </summary>
internal sealed class PostgresWakeUps(
    ClaimWaiters waiters, PostgresDataDriver driver, TimeProvider clock, IOptions<PostgresStorageOptions> options,
    ILogger<PostgresWakeUps> logger) : BackgroundService
{
    /// <summary>Most waiters one look wakes per queue; those woken in vain go back to sleep.</summary>
    private const int MostWoken = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.WakeUpIntervalMilliseconds == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.WakeUpIntervalMilliseconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (waiters.Count == 0 || waiters.SleepingQueues() is not { Count: > 0 } queues)
            {
                continue;
            }

            try
            {
                foreach (var (queue, claimable) in await ClaimableAsync(queues, stoppingToken))
                {
                    waiters.Posted(queue, claimable, firstDelay: null);
                }
            }
            catch (MarconiException exception)
            {
                // The waiters still end by their own clock; the next look may find the store again.
                logger.LogWarning(exception, "Looking for messages other hosts posted failed");
            }
        }
    }

    /// <summary>The queues among <paramref name="queues"/> with claimable messages now, and how many (up to <see cref="MostWoken"/>).</summary>
    internal Task<List<(QueueRef Queue, int Claimable)>> ClaimableAsync(IReadOnlyList<QueueRef> queues, CancellationToken cancellationToken) =>
        driver.RunAsync("Wake-up look", async connection =>
        {
            // Claimable as a claim takes it: unexpired, visible and free, so waiters on held groups are not
            // woken for nothing. A queue with grouped messages (found on messages_group, one probe) asks
            // the group scan, which applies the group rule at a bounded cost; any other queue is counted
            // here. Counting a grouped queue here would read its whole backlog.
            await using var command = connection.Command(
                $"""
                SELECT w.project, w.name, g.grouped,
                       CASE WHEN g.grouped THEN 0 ELSE (SELECT count(*)::int FROM (
                            SELECT 1 FROM {driver.S}.messages m
                            WHERE m.queue_id = q.id AND m.expires > @now AND {PostgresRows.Visible} AND {PostgresRows.Free}
                            LIMIT {MostWoken}) free) END
                FROM unnest(@projects::text[], @names::text[]) AS w(project, name)
                JOIN {driver.S}.queues q ON q.project = w.project AND q.name = w.name
                CROSS JOIN LATERAL (
                    SELECT (SELECT m.group_id FROM {driver.S}.messages m
                            WHERE m.queue_id = q.id AND m.group_id IS NOT NULL ORDER BY m.group_id LIMIT 1) IS NOT NULL AS grouped) g
                """)
                .With("projects", queues.Select(q => q.Project).ToArray())
                .With("names", queues.Select(q => q.Name).ToArray())
                .With("now", clock.GetUtcNow().ToUnixTimeMilliseconds());
            var looked = new List<(QueueRef Queue, bool Grouped, int Claimable)>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    looked.Add((new QueueRef(reader.GetString(0), reader.GetString(1)), reader.GetBoolean(2), reader.GetInt32(3)));
                }
            }

            var found = new List<(QueueRef, int)>();
            foreach (var (queue, grouped, counted) in looked)
            {
                var claimable = grouped
                    ? (await _scan.SelectAsync(
                        connection, null, queue, clock.GetUtcNow().ToUnixTimeMilliseconds(), MostWoken, null, cancellationToken)).Markers.Count
                    : counted;
                if (claimable > 0)
                {
                    found.Add((queue, claimable));
                }
            }

            return found;
        }, cancellationToken);

    private readonly PostgresGroupScan _scan = new(driver.S);
}
