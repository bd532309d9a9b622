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
    ];

    public static void Migrate(SqliteConnection connection)
    {
        var version = connection.ExecuteScalar<long>("PRAGMA user_version");
        for (var i = (int)version; i < Migrations.Length; i++)
        {
            using var transaction = connection.BeginTransaction();
            connection.Execute(Migrations[i], transaction: transaction);
            // PRAGMA takes no parameters; the value is our own loop counter.
            connection.Execute($"PRAGMA user_version = {i + 1}", transaction: transaction);
            transaction.Commit();
        }
    }
}
