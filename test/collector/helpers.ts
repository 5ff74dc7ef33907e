/**
 * Test helpers for the collector: the two database backends, a collector behind a real node:http server on
 * 127.0.0.1, and event/consent fixtures. Imports: src/collector, node built-ins, the Postgres helper. Never mocks the database.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCollector, createPgliteDb, createPostgresDb, type Collector, type CollectorOptions, type Db } from '../../src/collector/index';
import { findPostgresBinDir, POSTGRES_REQUIRED, startPostgres, type PostgresInstance } from './postgres';

export const WRITE_KEY = 'wk_test_1';
export const OTHER_KEY = 'wk_test_2';
export const SHOP_ORIGIN = 'https://shop.example';
export const OTHER_ORIGIN = 'https://other.example';
export const WRITE_KEYS = { [WRITE_KEY]: { allowedOrigins: [SHOP_ORIGIN] }, [OTHER_KEY]: { allowedOrigins: [OTHER_ORIGIN] } };

/** One database backend the suites run against. */
export interface Backend {
  name: 'pglite' | 'postgres';
  /** Whether it can run here; a missing Postgres skips locally and fails under CI. */
  available: boolean;
  /** Opens a fresh, empty database. */
  open(): Promise<{ db: Db; url?: string; stop(): Promise<void> }>;
}

const pgAvailable = !!findPostgresBinDir() || POSTGRES_REQUIRED;

/** PGlite in memory and a throwaway real Postgres. */
export const BACKENDS: Backend[] = [
  {
    name: 'pglite',
    available: true,
    async open() {
      const db = createPgliteDb('memory://');
      await db.ready;
      return { db, stop: () => db.close() };
    },
  },
  {
    name: 'postgres',
    available: pgAvailable,
    async open() {
      const pg: PostgresInstance = await startPostgres();
      const db = createPostgresDb(pg.url);
      await db.ready;
      return {
        db,
        url: pg.url,
        async stop() {
          await db.close();
          await pg.stop();
        },
      };
    },
  },
];

/** A collector served on 127.0.0.1 at `url`. */
export interface Served {
  collector: Collector;
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves a collector (on the given `db`, so several collectors may share one database) on a free loopback port. */
export async function serve(options: Partial<CollectorOptions> & { db?: Db } = {}): Promise<Served> {
  const collector = createCollector({ writeKeys: WRITE_KEYS, rateLimit: false, onError: () => {}, ...options });
  await collector.ready;
  const server = createServer(collector);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    collector,
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await collector.close();
    },
  };
}

/** A valid track event with a fresh messageId. */
export function trackEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'track',
    event: 'product_viewed',
    messageId: randomUUID(),
    anonymousId: 'anon-1',
    timestamp: '2024-05-01T10:00:00.000Z',
    properties: { sku: 'A-1', price: 9.5 },
    context: { channel: 'Organic Search', page: { path: '/p/a-1' } },
    ...overrides,
  };
}

/** A valid consent proof record with a fresh consentId. */
export function consentRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    consentId: `c-${randomUUID()}`,
    timestamp: '2024-05-01T10:00:00.000Z',
    policyVersion: '2024-05',
    textHash: 'a'.repeat(64),
    locale: 'de-DE',
    granted: ['necessary', 'analytics'],
    denied: ['marketing'],
    method: 'custom',
    layer: 'preferences',
    sdkVersion: '0.1.0',
    ...overrides,
  };
}

/** `Authorization: Basic` for a write key, as Segment sends it. */
export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** POSTs JSON with the write key and returns status, headers and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}, raw?: BodyInit) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY), ...headers },
    body: raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, body: json };
}

/** A collector served on `backend` for the tests of one describe block, and every error it reported. */
export interface ServedBackend {
  db: Db;
  served: Served;
  errors: unknown[];
}

/**
 * Opens `backend` and serves a collector on it before the block's tests, closing both after them.
 *
 * @example
 * ```ts
 * const ctx = servedOn(backend);
 * it('…', async () => expect((await post(`${ctx.served.url}/v1/batch`, body)).status).toBe(200));
 * ```
 */
export function servedOn(backend: Backend): ServedBackend {
  const ctx = { errors: [] } as unknown as ServedBackend;
  let stopDb: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const opened = await backend.open();
    ctx.db = opened.db;
    stopDb = opened.stop;
    ctx.served = await serve({ db: ctx.db, onError: (error) => void ctx.errors.push(error) });
  });
  afterAll(async () => {
    await ctx.served?.close();
    await stopDb?.();
  });
  return ctx;
}
