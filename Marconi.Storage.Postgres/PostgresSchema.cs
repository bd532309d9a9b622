using Npgsql;

namespace Marconi.Storage.Postgres;

/// <summary>
/// The schema and its migrations, applied in order at start inside one transaction under an advisory
/// lock, so hosts starting together serialise and the later ones find nothing to do. Times are Unix
/// milliseconds, as in the SQLite driver. <c>{s}</c> stands for the configured schema.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>First key of the advisory locks Marconi takes; the second is the schema's hash.</summary>
    internal const int LockSpace = 0x4d52434e; // "MRCN"

    internal const int MigrateLock = 1;
    internal const int CollectorLock = 2;

    private static readonly string[] Migrations =
    [
        """
        -- Markers and message ids come from one sequence, never reused. CACHE 1: with per-backend
        -- caches two backends would hand out interleaved ranges and a queue's markers could go down.
        CREATE SEQUENCE {s}.markers CACHE 1;
        CREATE SEQUENCE {s}.claim_ids CACHE 1;

        -- Queue ids are never reused either, so a queue created again never sees a deleted one's rows.
        -- COLLATE "C": listings are in ordinal order whatever the database's locale.
        CREATE TABLE {s}.queues (
            id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            project  text COLLATE "C" NOT NULL,
            name     text COLLATE "C" NOT NULL,
            metadata text NOT NULL DEFAULT '{}',
            created  bigint NOT NULL,
            UNIQUE (project, name)
        );

        -- No foreign keys: they would take KEY SHARE locks (and multixacts) on the hot queue rows.
        -- claim_id and claim_expires are not indexed, so claim updates can stay HOT; fillfactor leaves
        -- them room on the page, and autovacuum runs early because every message leaves dead tuples.
        CREATE TABLE {s}.messages (
            queue_id      bigint NOT NULL,
            marker        bigint NOT NULL,
            client_id     uuid NOT NULL,
            ttl           integer NOT NULL,
            created       bigint NOT NULL,
            expires       bigint NOT NULL,
            -- created + delay; 0 without a delay: such a message is visible to every host at once, even
            -- to one whose clock reads a little earlier than the poster's (a pager there would skip it)
            visible_at    bigint NOT NULL,
            claim_id      bigint,
            claim_expires bigint,
            claim_count   integer NOT NULL DEFAULT 0,
            encrypted     boolean NOT NULL DEFAULT false,
            -- the posted JSON's UTF-8 bytes, untouched whatever the database's encoding
            body          bytea NOT NULL,
            PRIMARY KEY (queue_id, marker)
        ) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01,
                autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_cost_delay = 1);

        CREATE INDEX messages_expires ON {s}.messages (expires);

        -- markers: the claim's messages in FIFO order, so no index on messages.claim_id is needed.
        CREATE TABLE {s}.claims (
            id       bigint PRIMARY KEY,
            salt     bigint NOT NULL,
            queue_id bigint NOT NULL,
            ttl      integer NOT NULL,
            updated  bigint NOT NULL,
            expires  bigint NOT NULL,
            markers  bigint[] NOT NULL
        );

        CREATE INDEX claims_queue ON {s}.claims (queue_id);
        CREATE INDEX claims_expires ON {s}.claims (expires);

        -- Deleted and purged queues whose rows the collector still has to remove, in chunks.
        CREATE TABLE {s}.purges (queue_id bigint PRIMARY KEY);

        -- Keyed by queue name, not queue row: subscriptions outlive the queue.
        CREATE TABLE {s}.subscriptions (
            seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            salt       bigint NOT NULL,
            project    text COLLATE "C" NOT NULL,
            queue      text COLLATE "C" NOT NULL,
            subscriber text NOT NULL,
            ttl        bigint NOT NULL,
            created    bigint NOT NULL,
            expires    bigint NOT NULL,
            options    text NOT NULL,
            confirmed  boolean NOT NULL DEFAULT false,
            UNIQUE (project, queue, subscriber)
        );

        CREATE INDEX subscriptions_queue ON {s}.subscriptions (project, queue, seq);
        CREATE INDEX subscriptions_expires ON {s}.subscriptions (expires);

        CREATE TABLE {s}.settings (
            name  text PRIMARY KEY,
            value text NOT NULL
        );

        -- Only the SHA-256 of each secret; project NULL is the admin scope.
        CREATE TABLE {s}.api_keys (
            id          text COLLATE "C" PRIMARY KEY,
            name        text NOT NULL,
            project     text COLLATE "C",
            role        text NOT NULL,
            secret_hash bytea NOT NULL,
            created     bigint NOT NULL,
            expires     bigint,
            last_used   bigint,
            revoked     bigint
        );

        CREATE INDEX api_keys_project ON {s}.api_keys (project, created);
        """,
        """
        -- Message groups and deduplication ids (SQS FIFO queues).
        ALTER TABLE {s}.messages ADD COLUMN group_id text, ADD COLUMN dedup_id text;

        -- A group's rows, for the group rule (no two live claims hold one group). Only columns no
        -- update changes: an index on claim_expires, even a partial one, would make every claim update
        -- of every message non-HOT. Messages without a group never enter it.
        CREATE INDEX messages_group ON {s}.messages (queue_id, group_id, marker) WHERE group_id IS NOT NULL;

        -- Deduplication ids seen within the window; scope is '' (the queue) or the message's group.
        -- They outlive their message (a duplicate of a deleted message is still a duplicate).
        CREATE TABLE {s}.message_dedup (
            queue_id bigint NOT NULL,
            scope    text COLLATE "C" NOT NULL,
            dedup_id text COLLATE "C" NOT NULL,
            marker   bigint NOT NULL,
            expires  bigint NOT NULL,
            PRIMARY KEY (queue_id, scope, dedup_id)
        );

        CREATE INDEX message_dedup_expires ON {s}.message_dedup (expires);
        """,
        """
        -- Delayed messages by the end of their delay, for the earliest time one becomes claimable
        -- without reading the queue. visible_at never changes, so claim updates stay HOT.
        CREATE INDEX messages_delayed ON {s}.messages (queue_id, visible_at) WHERE visible_at > 0;
        """,
    ];

    internal static int Latest => Migrations.Length;

    /// <summary>Creates the schema when missing and applies the migrations it lacks, up to <paramref name="version"/>.</summary>
    internal static async Task MigrateAsync(NpgsqlConnection connection, string schema, int version, CancellationToken cancellationToken)
    {
        var s = Quote(schema);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({LockSpace}, hashtext('{schema}') # {MigrateLock})", cancellationToken);
        await ExecAsync(connection, transaction,
            $"CREATE SCHEMA IF NOT EXISTS {s}; CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer NOT NULL)",
            cancellationToken);

        await using (var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {s}.schema_version", connection, transaction))
        {
            var current = (int)(await read.ExecuteScalarAsync(cancellationToken))!;
            for (var i = current; i < version; i++)
            {
                await ExecAsync(connection, transaction, Migrations[i].Replace("{s}", s, StringComparison.Ordinal), cancellationToken);
            }

            if (current < version)
            {
                await ExecAsync(connection, transaction,
                    $"DELETE FROM {s}.schema_version; INSERT INTO {s}.schema_version VALUES ({version})", cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The schema as a quoted identifier; options validation has made it a plain one.</summary>
    internal static string Quote(string schema) => "\"" + schema + "\"";

    private static async Task ExecAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
