using Dapper;
using Microsoft.Data.Sqlite;

namespace Marconi.Storage.Sqlite;

/// <summary>The schema and its migrations, applied in order by <c>PRAGMA user_version</c>.</summary>
internal static class Schema
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE queues (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            project       TEXT NOT NULL,
            name          TEXT NOT NULL,
            metadata      TEXT NOT NULL DEFAULT '{}',
            created       INTEGER NOT NULL,
            -- rows in messages for this queue, expired or not; stats subtract the expired ones
            message_count INTEGER NOT NULL DEFAULT 0,
            UNIQUE (project, name)
        );

        -- marker: AUTOINCREMENT never reuses a value, so markers and ids stay monotonic and unique
        -- across queue deletion; the single writer assigns them in commit order.
        CREATE TABLE messages (
            marker        INTEGER PRIMARY KEY AUTOINCREMENT,
            queue_id      INTEGER NOT NULL,
            client_id     BLOB NOT NULL,
            ttl           INTEGER NOT NULL,
            created       INTEGER NOT NULL,
            expires       INTEGER NOT NULL,
            claim_id      INTEGER,
            -- expiry of claim_id, copied here so the free-message scan needs no join
            claim_expires INTEGER,
            body          TEXT NOT NULL
        );

        -- (queue_id, marker): FIFO pages, claims, oldest/newest
        CREATE INDEX messages_queue ON messages (queue_id);
        -- expiry collection and the expired count in stats
        CREATE INDEX messages_expires ON messages (expires);
        CREATE INDEX messages_claim ON messages (claim_id) WHERE claim_id IS NOT NULL;

        CREATE TABLE claims (
            id        INTEGER PRIMARY KEY AUTOINCREMENT,
            salt      INTEGER NOT NULL,
            queue_id  INTEGER NOT NULL,
            ttl       INTEGER NOT NULL,
            updated   INTEGER NOT NULL,
            expires   INTEGER NOT NULL
        );

        CREATE INDEX claims_queue ON claims (queue_id, expires);
        CREATE INDEX claims_expires ON claims (expires);
        """,
        // v1.1/v2: delayed messages, claim counts, encrypted bodies, subscriptions, server settings.
        """
        -- created + delay; 0 for rows older than delays, which are all visible
        ALTER TABLE messages ADD COLUMN visible_at INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN claim_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0;

        -- seq orders listings and, with salt, makes the public id; keyed by queue name, not queue
        -- row, because subscriptions outlive the queue.
        CREATE TABLE subscriptions (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            salt       INTEGER NOT NULL,
            project    TEXT NOT NULL,
            queue      TEXT NOT NULL,
            subscriber TEXT NOT NULL,
            ttl        INTEGER NOT NULL,
            created    INTEGER NOT NULL,
            expires    INTEGER NOT NULL,
            options    TEXT NOT NULL,
            confirmed  INTEGER NOT NULL DEFAULT 0
        );

        -- one row per subscriber of a queue (an expired row is removed before its subscriber is reused);
        -- (project, queue, seq) through the rowid: listings in creation order
        CREATE UNIQUE INDEX subscriptions_subscriber ON subscriptions (project, queue, subscriber);
        CREATE INDEX subscriptions_queue ON subscriptions (project, queue);
        CREATE INDEX subscriptions_expires ON subscriptions (expires);

        CREATE TABLE settings (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        // API keys: the secret is never stored, only its SHA-256; project NULL is the admin scope.
        """
        CREATE TABLE api_keys (
            id          TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            project     TEXT,
            role        TEXT NOT NULL,
            secret_hash BLOB NOT NULL,
            created     INTEGER NOT NULL,
            expires     INTEGER,
            last_used   INTEGER,
            revoked     INTEGER
        ) WITHOUT ROWID;

        CREATE INDEX api_keys_project ON api_keys (project, created);
        """,
        // Deleted and purged queues: their queue row goes (or is replaced) at once, and their ids wait
        // here while the sweeper removes their messages and claims in chunks. Queue ids come from
        // AUTOINCREMENT, so a queue created under the same name never takes one of these ids.
        """
        CREATE TABLE dead_queues (queue_id INTEGER PRIMARY KEY);
        """,
        // The delayed count in v2 stats (include_delayed). Partial: undelayed messages (visible_at 0)
        // never enter it, so posts and deletes on queues without delays pay nothing, and claims never
        // touch its columns. Stats read it as a range (queue_id, visible_at > now), whose cost is the
        // messages still delayed, not the queue's depth.
        """
        CREATE INDEX messages_delayed ON messages (queue_id, visible_at) WHERE visible_at > 0;
        """,
        // Message groups and deduplication (SQS FIFO queues). Partial index: messages without a group
        // (every message but an SQS FIFO queue's) never enter it. Its key ends in the rowid (the
        // marker), so it walks the groups of a queue and each group in order.
        """
        ALTER TABLE messages ADD COLUMN group_id TEXT;
        ALTER TABLE messages ADD COLUMN dedup_id TEXT;
        CREATE INDEX messages_group_order ON messages (queue_id, group_id) WHERE group_id IS NOT NULL;

        -- deduplication ids seen within the window; scope is '' (the queue) or the message's group.
        -- They outlive their message (a duplicate of a deleted message is still a duplicate).
        CREATE TABLE message_dedup (
            queue_id INTEGER NOT NULL,
            scope    TEXT NOT NULL,
            dedup_id TEXT NOT NULL,
            marker   INTEGER NOT NULL,
            expires  INTEGER NOT NULL,
            PRIMARY KEY (queue_id, scope, dedup_id)
        ) WITHOUT ROWID;
        CREATE INDEX message_dedup_expires ON message_dedup (expires);
        """,
    ];

    public static void Migrate(SqliteConnection connection) => Migrate(connection, Migrations.Length);

    /// <summary>Applies migrations up to <paramref name="version"/> only; tests build older databases with it.</summary>
    internal static void Migrate(SqliteConnection connection, int version)
    {
        var current = connection.ExecuteScalar<long>("PRAGMA user_version");
        for (var i = (int)current; i < version; i++)
        {
            using var transaction = connection.BeginTransaction();
            connection.Execute(Migrations[i], transaction: transaction);
            // PRAGMA takes no parameters; the value is our own loop counter.
            connection.Execute($"PRAGMA user_version = {i + 1}", transaction: transaction);
            transaction.Commit();
        }
    }
}
