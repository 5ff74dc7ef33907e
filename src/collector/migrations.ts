/**
 * The collector's Postgres schema as ordered, append-only migrations, and the runner that applies the pending ones.
 * Imports: the Db seam. Never edits a shipped migration: change the schema by appending one.
 */
import type { Db } from './db/types';

/**
 * Migrations in order; migration `i` is schema version `i + 1`. Plain SQL that runs unchanged on PGlite and Postgres.
 * Version numbers 2–9 are left for the identity graph and profile tables (identities, profiles, profile_merges).
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: events and consent proof records */ `
  CREATE TABLE events (
    message_id    text PRIMARY KEY,
    type          text NOT NULL,
    event         text,
    anonymous_id  text,
    user_id       text,
    timestamp     timestamptz NOT NULL,
    sent_at       timestamptz,
    received_at   timestamptz NOT NULL DEFAULT now(),
    channel       text,
    write_key     text NOT NULL,
    body          jsonb NOT NULL
  );
  CREATE INDEX events_anonymous_id_idx ON events (anonymous_id) WHERE anonymous_id IS NOT NULL;
  CREATE INDEX events_user_id_idx ON events (user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX events_received_at_idx ON events (received_at);

  CREATE TABLE consent_records (
    consent_id      text PRIMARY KEY,
    timestamp       timestamptz NOT NULL,
    policy_version  text NOT NULL,
    method          text NOT NULL,
    locale          text NOT NULL,
    granted         text[] NOT NULL,
    denied          text[] NOT NULL,
    text_hash       text NOT NULL,
    sdk_version     text,
    expires_at      timestamptz,
    write_key       text NOT NULL,
    body            jsonb NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX consent_records_received_at_idx ON consent_records (received_at);
  `,
];

const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version     integer PRIMARY KEY,
  applied_at  timestamptz NOT NULL DEFAULT now()
)`;

/** Any constant works; it only has to be the same in every collector sharing one database. */
const MIGRATION_LOCK_ID = 7_270_301;

/**
 * Brings `db` to the newest schema version, one transaction per migration; safe when several collectors start at once.
 *
 * @returns the versions it applied (empty when the schema was current)
 * @example
 * ```ts
 * await migrate(db); // [1] on a fresh database, [] afterwards
 * ```
 */
export async function migrate(db: Db, migrations: readonly string[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  for (let i = 0; i < migrations.length; i++) {
    const version = i + 1;
    const done = await db.transaction(async (tx) => {
      // serialises concurrent starters; released at commit
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
      await tx.exec(SCHEMA_MIGRATIONS_TABLE);
      const { rows } = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
      if (rows.length) return false;
      await tx.exec(migrations[i]!);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      return true;
    });
    if (done) applied.push(version);
  }
  return applied;
}
