/**
 * Collector pieces without a full backend matrix: the rate limiter, failure answers that must not leak internals,
 * framework mounting (pre-parsed bodies, next()), database selection, persistence and concurrent migrations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector, createPostgresDb, MIGRATIONS, openDb, type Db } from '../../src/collector/index';
import { createRateLimiter } from '../../src/collector/rate-limit';
import { post, serve, trackEvent, WRITE_KEYS } from './helpers';
import { findPostgresBinDir, POSTGRES_REQUIRED, startPostgres, type PostgresInstance } from './postgres';

describe('createRateLimiter', () => {
  it('allows a burst, then refills at the sustained rate and says how long to wait', () => {
    let now = 0;
    const limiter = createRateLimiter({ requestsPerSecond: 2, burst: 3 }, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBe(0);
    now += 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
    now += 60_000;
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0, 1]);
  });

  it('rounds Retry-After up to whole seconds for slow rates', () => {
    const limiter = createRateLimiter({ requestsPerSecond: 0.1, burst: 1 }, () => 0);
    limiter.take('a');
    expect(limiter.take('a')).toBe(10);
  });

  it('forgets the least recently seen client beyond maxClients', () => {
    const limiter = createRateLimiter({ requestsPerSecond: 1, burst: 1, maxClients: 2 }, () => 0);
    limiter.take('a');
    limiter.take('b');
    limiter.take('c'); // evicts a
    expect(limiter.take('a')).toBe(0); // a fresh bucket again
    expect(limiter.take('c')).toBe(1);
  });
});

describe('collector failures', () => {
  it('throws at creation without write keys', () => {
    expect(() => createCollector({ writeKeys: {} })).toThrow(/writeKeys/);
  });

  it('answers 500 with a generic message when storing fails, never the SQL or stack', async () => {
    const errors: unknown[] = [];
    const tx = {
      // migrations see an up-to-date schema; the event insert fails like a broken database would
      query: async (sql: string) => {
        if (sql.includes('INSERT INTO events')) throw new Error('relation "events" violates "events_pkey" INSERT INTO events (message_id) SELECT secret');
        return { rows: [{ ok: 1 }] as never[], rowCount: 1 };
      },
      exec: async () => {},
    };
    const failing: Db = { kind: 'postgres', ready: Promise.resolve(), ...tx, transaction: (fn) => fn(tx), close: async () => {} };
    const served = await serve({ db: failing, onError: (e) => errors.push(e) });
    try {
      const res = await post(`${served.url}/v1/batch`, { batch: [trackEvent()] });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
      expect(JSON.stringify(res.body)).not.toMatch(/INSERT|events_pkey|secret|at .*\.ts/);
      expect(errors).toHaveLength(1);
    } finally {
      await served.close();
    }
  });

  it('answers 503 on /healthz and ingest when the database cannot be reached', async () => {
    const collector = createCollector({ writeKeys: WRITE_KEYS, databaseUrl: 'postgres://nobody:secret@127.0.0.1:1/none', onError: () => {} });
    await expect(collector.ready).rejects.toBeTruthy();
    const server = createServer(collector);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(503);
      const res = await post(`${url}/v1/batch`, { batch: [trackEvent()] });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(JSON.stringify(res.body)).not.toContain('secret');
    } finally {
      server.close();
      await collector.close();
    }
  });

  it('refuses unsupported database URL schemes without echoing credentials', () => {
    expect(() => openDb('mysql://root:hunter2@db/x')).toThrow(/mysql:\/\//);
    expect(() => openDb('mysql://root:hunter2@db/x')).not.toThrow(/hunter2/);
  });
});

describe('mounting in frameworks', () => {
  it('uses a body a framework already parsed, and hands unknown paths to next()', async () => {
    const collector = createCollector({ writeKeys: WRITE_KEYS, databaseUrl: 'memory://', rateLimit: false });
    await collector.ready;
    let nextCalls = 0;
    // an Express-like stack: a JSON body parser, then the collector, then a fallback route
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (chunks.length) (req as IncomingMessage & { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString());
        collector(req, res, () => {
          nextCalls++;
          res.writeHead(200, { 'content-type': 'text/plain' }).end('app route');
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const res = await post(`${url}/v1/batch`, { batch: [trackEvent()] });
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(1);
      const other = await fetch(`${url}/shop/cart`);
      expect(await other.text()).toBe('app route');
      expect(nextCalls).toBe(1);
    } finally {
      server.close();
      await collector.close();
    }
  });
});

describe('embedded PGlite on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'touchpoint-pglite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps events across a restart in dataDir', async () => {
    const e = trackEvent();
    const first = await serve({ dataDir: dir, databaseUrl: '' });
    expect(first.collector.db.kind).toBe('pglite');
    expect((await post(`${first.url}/v1/batch`, { batch: [e] })).body.accepted).toBe(1);
    await first.close();
    const second = await serve({ dataDir: dir, databaseUrl: '' });
    try {
      expect((await post(`${second.url}/v1/batch`, { batch: [e] })).body).toEqual({ accepted: 0, duplicates: 1, rejected: [], repaired: [] });
      const { rows } = await second.collector.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
      expect(rows[0]!.n).toBe(1);
    } finally {
      await second.close();
    }
  });
});

describe.skipIf(!findPostgresBinDir() && !POSTGRES_REQUIRED)('real Postgres', () => {
  let pg: PostgresInstance;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(() => pg?.stop());

  it('migrates once when several collectors start on one database at the same time', async () => {
    const collectors = Array.from({ length: 4 }, () => createCollector({ writeKeys: WRITE_KEYS, databaseUrl: pg.url }));
    await Promise.all(collectors.map((c) => c.ready));
    const db = createPostgresDb(pg.url);
    try {
      const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    } finally {
      await db.close();
      await Promise.all(collectors.map((c) => c.close()));
    }
  });
});
