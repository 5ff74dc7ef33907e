/**
 * {@link Db} over PGlite (Postgres compiled to WebAssembly), the embedded default: in memory or in a data directory.
 * Imports: @electric-sql/pglite, node:fs. Never opens a network port.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, DbTx, QueryResult } from './types';

/**
 * Opens PGlite at `dataDir` (created when missing), or in memory for `'memory://'`.
 *
 * @param dataDir - a directory path, or `'memory://'`
 * @example
 * ```ts
 * const db = createPgliteDb('memory://');
 * await db.ready;
 * ```
 */
export function createPgliteDb(dataDir: string): Db {
  const opened = (async () => {
    if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
    return PGlite.create(dataDir);
  })();
  const ready = opened.then(() => undefined);
  ready.catch(() => {}); // surfaced through `ready` and every call, never as an unhandled rejection
  let closed = false;

  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): DbTx => ({
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const r = await q.query<R>(sql, params as unknown[]);
      return { rows: r.rows, rowCount: r.affectedRows || r.rows.length };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });

  const pg = async (): Promise<PGlite> => {
    if (closed) throw new Error('database is closed');
    return opened;
  };

  return {
    kind: 'pglite',
    ready,
    async query(sql, params) {
      return wrap(await pg()).query(sql, params);
    },
    async exec(sql) {
      return wrap(await pg()).exec(sql);
    },
    async transaction(fn) {
      // PGlite is one connection; its transaction() holds an exclusive lock, so concurrent batches queue here
      return (await pg()).transaction((tx) => fn(wrap(tx)));
    },
    async close() {
      if (closed) return;
      closed = true;
      const db = await opened.catch(() => undefined);
      await db?.close();
    },
  };
}
