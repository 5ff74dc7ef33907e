/**
 * Collector ingest benchmark: batches of 100 events over real HTTP on 127.0.0.1 into PGlite (memory and disk) and a
 * real Postgres; reports events/s and request latency, writes bench-results/collector.json. Run: npx tsx test/bench/collector-bench.ts
 * Imports: src/collector, the test Postgres helper, node built-ins. Never sends anywhere but loopback; every loop is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WRITE_KEY = 'wk_bench';
const EVENTS_PER_BATCH = 100;
const CONCURRENCY = 8;
const WARMUP_BATCHES = 20;
/** Targets from the issue, in events per second. */
const TARGETS = { postgres: 5_000, pglite: 1_000 } as const;

interface Result {
  backend: string;
  batches: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  target?: number;
  meetsTarget?: boolean;
}

/** Child mode: serve a collector on a free loopback port and print it; the parent drives the load from another process. */
async function serveChild(databaseUrl: string): Promise<void> {
  const { createCollector } = await import('../../src/collector/index');
  const collector = createCollector({ writeKeys: { [WRITE_KEY]: { allowedOrigins: [] } }, databaseUrl, rateLimit: false });
  await collector.ready;
  const server = createServer(collector);
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`));
  process.on('SIGTERM', async () => {
    server.close();
    server.closeAllConnections();
    await collector.close();
    process.exit(0);
  });
}

function startChild(databaseUrl: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', databaseUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('collector did not start within 60 s')), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`collector exited with ${code}`)));
  });
}

function makeBatch(): string {
  const now = new Date().toISOString();
  const batch = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => ({
    type: 'track',
    event: i % 3 ? 'product_viewed' : 'cart_updated',
    messageId: randomUUID(),
    anonymousId: `anon-${i % 17}`,
    timestamp: now,
    properties: { sku: `SKU-${i}`, price: 19.9, currency: 'EUR', quantity: 1 },
    context: {
      page: { url: 'https://shop.example/p/sku', path: '/p/sku', title: 'A product', referrer: 'https://www.google.com/' },
      channel: 'Organic Search',
      locale: 'de-DE',
      library: { name: 'touchpoint', version: '0.1.0' },
      session: { id: 'sess-1' },
      consent: { policyVersion: '2024-05', categories: ['necessary', 'analytics'] },
    },
  }));
  return JSON.stringify({ batch, sentAt: now });
}

function send(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-write-key': WRITE_KEY, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          if (res.statusCode !== 200 || JSON.parse(text).accepted !== EVENTS_PER_BATCH) return reject(new Error(`unexpected answer ${res.statusCode}: ${text.slice(0, 200)}`));
          resolve(performance.now() - started);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(backend: string, databaseUrl: string, batches: number): Promise<Result> {
  const { child, port } = await startChild(databaseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const bodies = Array.from({ length: WARMUP_BATCHES + batches }, makeBatch);
    let next = 0;
    const latencies: number[] = [];
    const worker = async (limit: number, record: boolean) => {
      while (next < limit) {
        const body = bodies[next++]!;
        const ms = await send(agent, port, body);
        if (record) latencies.push(ms);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(WARMUP_BATCHES, false)));
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(WARMUP_BATCHES + batches, true)));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
    const events = batches * EVENTS_PER_BATCH;
    const kind = backend.startsWith('postgres') ? 'postgres' : 'pglite';
    const eventsPerSecond = Math.round(events / seconds);
    return {
      backend, batches, events, seconds: Number(seconds.toFixed(2)), eventsPerSecond,
      p50Ms: Number(pct(50).toFixed(1)), p99Ms: Number(pct(99).toFixed(1)), maxMs: Number(latencies.at(-1)!.toFixed(1)),
      target: TARGETS[kind], meetsTarget: eventsPerSecond >= TARGETS[kind],
    };
  } finally {
    agent.destroy();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const diskDir = mkdtempSync(join(tmpdir(), 'touchpoint-bench-pglite-'));
  try {
    results.push(await run('pglite (memory)', 'memory://', 300));
    results.push(await run('pglite (disk)', diskDir, 300));
  } finally {
    rmSync(diskDir, { recursive: true, force: true });
  }
  const { startPostgres } = await import('../collector/postgres');
  const pg = await startPostgres(true); // fsync on: the figure a durable server gives
  try {
    results.push(await run('postgres 15 (fsync on)', pg.url, 1000));
  } finally {
    await pg.stop();
  }

  const meta = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, eventsPerBatch: EVENTS_PER_BATCH, concurrency: CONCURRENCY };
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/collector.json', `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
  const rows = results.map((r) => `| ${r.backend} | ${r.events} | ${r.eventsPerSecond.toLocaleString('en')} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ≥ ${r.target!.toLocaleString('en')} ${r.meetsTarget ? '✅' : '❌'} |`);
  process.stdout.write(
    [
      `Collector ingest, batches of ${EVENTS_PER_BATCH}, ${CONCURRENCY} concurrent keep-alive clients, HTTP on 127.0.0.1, ${meta.cpus} cores, Node ${meta.node}`,
      '',
      '| backend | events | events/s | p50 ms | p99 ms | max ms | target |',
      '|---|---:|---:|---:|---:|---:|---|',
      ...rows,
      '',
      'written to bench-results/collector.json',
      '',
    ].join('\n'),
  );
  if (results.some((r) => !r.meetsTarget)) process.exitCode = 1;
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) await serveChild(process.argv[serveAt + 1]!);
else await main();
