/**
 * Picks the database behind the collector from a URL: `postgres://` → `pg` Pool, `memory://` or a path → PGlite.
 * Imports: node:path, the two Db implementations. Never reads the environment itself; callers pass what they resolved.
 */
import { resolve } from 'node:path';
import { createPgliteDb } from './pglite';
import { createPostgresDb, type PostgresDbOptions } from './postgres';
import type { Db } from './types';

/** Where PGlite keeps its files inside the data directory. */
const PGLITE_SUBDIR = 'pgdata';

/**
 * Opens the database named by `databaseUrl`, or the embedded PGlite under `dataDir` when there is none.
 *
 * @param databaseUrl - `postgres://…`/`postgresql://…`, `memory://`, `file://path` or a directory path
 * @param dataDir - directory for the embedded PGlite when `databaseUrl` is empty @defaultValue `.touchpoint` in the cwd
 * @example
 * ```ts
 * const db = openDb('memory://');
 * ```
 */
export function openDb(databaseUrl: string | undefined, dataDir = '.touchpoint', pgOptions?: PostgresDbOptions): Db {
  const url = databaseUrl?.trim();
  if (!url) return createPgliteDb(resolve(dataDir, PGLITE_SUBDIR));
  if (/^postgres(ql)?:\/\//i.test(url)) return createPostgresDb(url, pgOptions);
  if (url.startsWith('memory://')) return createPgliteDb(url);
  if (url.startsWith('file://')) return createPgliteDb(resolve(new URL(url).pathname));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new Error(`unsupported database URL scheme: ${url.split(':')[0]}:// (use postgres://, memory:// or a directory path)`);
  return createPgliteDb(resolve(url));
}
