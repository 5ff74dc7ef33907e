/**
 * Shared setup of the end-to-end tests: starts the real demo server (shop, dashboard, SDK, collector) in-process on a
 * free loopback port with an in-memory PGlite, and polls its database. Imports: the demo server. Never reaches beyond
 * 127.0.0.1 and never touches the developer's .touchpoint data directory.
 */
import { afterAll, beforeAll } from 'vitest';
import { startDemo, type Demo, type DemoOptions } from '../../demo/server.mjs';

export type { Demo };

/** Starts a test demo before the enclosing suite's tests and closes it after them; `set` hands it to the file. */
export function useTestDemo(set: (demo: Demo) => void, options: Pick<DemoOptions, 'secretKey'> = {}): void {
  let demo: Demo | undefined;
  beforeAll(async () => set((demo = await startTestDemo(options))));
  afterAll(async () => {
    await demo?.close();
  });
}

/** Starts a demo with its own empty in-memory database; only 127.0.0.1 is listened on. */
export function startTestDemo(options: Pick<DemoOptions, 'secretKey'> = {}): Promise<Demo> {
  const lines: string[] = [];
  return startDemo({
    ...options,
    port: 0,
    host: '127.0.0.1',
    ipv6: false,
    databaseUrl: 'memory://',
    log: (line) => void lines.push(line),
  });
}

/** Polls `read` until `done(value)` holds; returns the last value, or throws with `what` after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}

/** Track events stored by the collector, oldest first. */
export async function storedTrackEvents(demo: Demo): Promise<{ event: string; properties: Record<string, any>; anonymousId: string | null }[]> {
  const { rows } = await demo.collector.db.query<{ event: string; body: any }>(`SELECT event, body FROM events WHERE type = 'track' ORDER BY timestamp, message_id`);
  return rows.map((r) => {
    const body = typeof r.body === 'string' ? JSON.parse(r.body) : r.body;
    return { event: r.event, properties: body.properties ?? {}, anonymousId: body.anonymousId ?? null };
  });
}

/** Row count of a collector table. */
export async function countRows(demo: Demo, table: 'events' | 'consent_records'): Promise<number> {
  const { rows } = await demo.collector.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}
