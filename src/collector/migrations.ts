/**
 * The collector's Postgres schema as ordered, append-only migrations, and the runner that applies the pending ones.
 * Imports: the Db seam. Never edits a shipped migration: change the schema by appending one.
 */
import type { Db } from './db/types';

/**
 * Migrations in order; migration `i` is schema version `i + 1`. Plain SQL that runs unchanged on PGlite and Postgres.
 * Version 2 is the identity graph (profiles, identities, profile_merges); 3–9 stay free for it.
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
  /* 2: the identity graph. A merge only points the absorbed profile at the survivor (merged_into) and moves root_id,
     so identities and events keep the profile they were first resolved to and an undo is exact. */ `
  CREATE TABLE profiles (
    profile_id   text PRIMARY KEY,
    root_id      text NOT NULL,
    merged_into  text REFERENCES profiles (profile_id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX profiles_root_id_idx ON profiles (root_id);
  CREATE INDEX profiles_merged_into_idx ON profiles (merged_into) WHERE merged_into IS NOT NULL;
  CREATE INDEX profiles_updated_at_idx ON profiles (updated_at) WHERE merged_into IS NULL;

  CREATE TABLE identities (
    type           text NOT NULL,
    value          text NOT NULL,
    hashed         boolean NOT NULL,
    profile_id     text NOT NULL REFERENCES profiles (profile_id),
    message_id     text,
    first_seen_at  timestamptz NOT NULL,
    PRIMARY KEY (type, value)
  );
  CREATE INDEX identities_profile_id_idx ON identities (profile_id);

  CREATE TABLE profile_merges (
    merge_id              bigserial PRIMARY KEY,
    status                text NOT NULL CHECK (status IN ('merged', 'refused', 'undone')),
    surviving_profile_id  text NOT NULL REFERENCES profiles (profile_id),
    absorbed_profile_id   text NOT NULL REFERENCES profiles (profile_id),
    reason                text NOT NULL,
    message_id            text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    undone_at             timestamptz
  );
  CREATE INDEX profile_merges_surviving_idx ON profile_merges (surviving_profile_id);
  CREATE INDEX profile_merges_absorbed_idx ON profile_merges (absorbed_profile_id);

  ALTER TABLE events ADD COLUMN profile_id text;
  CREATE INDEX events_profile_id_idx ON events (profile_id, timestamp) WHERE profile_id IS NOT NULL;
  `,
  /* 3: an undone merge keeps its two profiles apart: the same link arriving again is refused, not merged again. */ `
  CREATE TABLE merge_blocks (
    profile_a   text NOT NULL REFERENCES profiles (profile_id),
    profile_b   text NOT NULL REFERENCES profiles (profile_id),
    merge_id    bigint REFERENCES profile_merges (merge_id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (profile_a, profile_b),
    CHECK (profile_a < profile_b)
  );
  CREATE INDEX merge_blocks_profile_b_idx ON merge_blocks (profile_b);
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
