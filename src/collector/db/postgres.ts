/**
 * {@link Db} over a real Postgres through a `pg` connection pool, for production.
 * Imports: pg. Never logs connection strings (they hold passwords).
 */
import pg from 'pg';
import type { Db, DbTx, QueryResult } from './types';

/** Pool tuning for {@link createPostgresDb}. */
export interface PostgresDbOptions {
  /** Most connections the pool opens. @defaultValue 10 */
  maxConnections?: number;
  /** Called with errors of idle pooled connections (a restarted server, a dropped network). */
  onError?: (error: Error) => void;
}

/**
 * Opens a `pg` pool to `databaseUrl` (`postgres://user:pass@host:5432/db`).
 *
 * @example
 * ```ts
 * const db = createPostgresDb(process.env.DATABASE_URL!);
 * await db.ready;
 * ```
 */
export function createPostgresDb(databaseUrl: string, options: PostgresDbOptions = {}): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  // without a listener an idle client's error would crash the process
  pool.on('error', (error) => options.onError?.(error));
  let closed = false;

  const wrap = (q: pg.Pool | pg.PoolClient): DbTx => ({
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const r = await q.query(sql, params as unknown[]);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(sql: string) {
      await q.query(sql);
    },
  });
  const direct = wrap(pool);
  const ready = pool.query('select 1').then(() => undefined);
  ready.catch(() => {}); // surfaced through `ready` and every call

  return {
    kind: 'postgres',
    ready,
    query: (sql, params) => direct.query(sql, params),
    exec: (sql) => direct.exec(sql),
    async transaction(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection is gone; drop it from the pool
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
