/**
 * The collector's small database seam: parameterised queries, multi-statement scripts and transactions.
 * Two implementations share it (PGlite embedded, `pg` Pool for a real Postgres), so migrations and SQL are written once.
 * Imports: nothing. Never holds SQL of its own.
 */

/** Rows and count of one statement. */
export interface QueryResult<R> {
  rows: R[];
  /** Rows returned or affected. */
  rowCount: number;
}

/** What runs inside a transaction: the same calls as {@link Db}, bound to one connection. */
export interface DbTx {
  /** Runs one parameterised statement (`$1`, `$2`, …). */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of one or more statements without parameters. */
  exec(sql: string): Promise<void>;
}

/**
 * A database the collector stores into.
 *
 * @example
 * ```ts
 * const { rows } = await collector.db.query<{ n: number }>('select count(*)::int as n from events');
 * ```
 */
export interface Db extends DbTx {
  /** Which engine is behind it. */
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: DbTx) => Promise<T>): Promise<T>;
  /** Resolves once the database is open; rejects when it cannot be opened. */
  readonly ready: Promise<void>;
  /** Closes the database; later calls reject. */
  close(): Promise<void>;
}
