/**
 * Identity benchmark: resolves 100,000 identify events (batches of 100, as the collector ingests them) into profiles
 * on PGlite and a real Postgres, and reads a profile with 1,000 touchpoints over HTTP on 127.0.0.1 (p50/p99), plus the
 * visitor summary behind /v1/me. Writes bench-results/identity.json. Run: npx tsx test/bench/identity-bench.ts [events]
 * Imports: src/collector, the test Postgres helper, node built-ins. Never sends anywhere but loopback; every loop is bounded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { createCollector, type Collector } from '../../src/collector/index';
import { createIdentityRules } from '../../src/collector/identity-graph';
import { ingestEvents } from '../../src/collector/ingest';
import { findPostgresBinDir, startPostgres } from '../collector/postgres';

const WRITE_KEY = 'wk_bench';
const SECRET = 'sk_bench';
const EVENTS = Number(process.argv[2]) || 100_000;
const BATCH = 100;
const READS = 200;
const TOUCHPOINTS = 1_000;

interface Result {
  backend: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  profiles: number;
  merges: number;
  profileReadP50Ms: number;
  profileReadP99Ms: number;
  summaryReadP99Ms: number;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * Three identify events per customer: login on device 1 (user id + hashed e-mail), the loyalty card on device 2, then
 * the login on device 2 — which merges device 2's profile into the customer's. Customers interleave across batches.
 */
function identifyEvents(count: number): Record<string, unknown>[] {
  const customers = Math.ceil(count / 3);
  const out: Record<string, unknown>[] = [];
  const t0 = Date.parse('2025-01-01T00:00:00Z');
  for (let step = 0; step < 3; step++) {
    for (let c = 0; c < customers && out.length < count; c++) {
      const base = { type: 'identify', messageId: randomUUID(), timestamp: new Date(t0 + (step * customers + c) * 1000).toISOString(), context: { channel: 'Direct' } };
      if (step === 0) out.push({ ...base, userId: `u${c}`, anonymousId: `d1-${c}`, identities: [{ type: 'email', value: sha(`c${c}@example.com`), hashed: true }] });
      if (step === 1) out.push({ ...base, anonymousId: `d2-${c}`, identities: [{ type: 'loyalty_id', value: `L${c}`, hashed: false }] });
      if (step === 2) out.push({ ...base, userId: `u${c}`, anonymousId: `d2-${c}` });
    }
  }
  return out;
}

async function resolveAll(collector: Collector, concurrency: number): Promise<{ seconds: number }> {
  const events = identifyEvents(EVENTS);
  const rules = createIdentityRules();
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < events.length) {
      const batch = events.slice(next, (next += BATCH));
      const { response } = await ingestEvents(collector.db, batch, WRITE_KEY, rules);
      if (response.accepted !== batch.length) throw new Error(`batch stored ${response.accepted} of ${batch.length}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: (performance.now() - started) / 1000 };
}

/** A customer with 1,000 touchpoints over three devices and the store; then READS timed profile reads over HTTP. */
async function readProfile(collector: Collector): Promise<{ p50: number; p99: number; summaryP99: number }> {
  const events: Record<string, unknown>[] = [];
  const t0 = Date.parse('2025-03-01T00:00:00Z');
  for (let i = 0; i < TOUCHPOINTS; i++) {
    const device = i % 10 === 9 ? `receipt-${i}` : `rich-d${i % 3}`;
    const kind = ['product_viewed', 'product_added', 'page_viewed', 'product_removed'][i % 4]!;
    events.push({
      type: i % 50 === 0 ? 'identify' : 'track',
      ...(i % 50 === 0 ? { userId: 'rich-user', traits: { visits: i } } : { event: device.startsWith('receipt') ? 'order_completed' : kind }),
      messageId: randomUUID(),
      anonymousId: device,
      ...(device.startsWith('receipt') && { identities: [{ type: 'loyalty_id', value: 'rich-loyalty', hashed: false }] }),
      timestamp: new Date(t0 + i * 60_000).toISOString(),
      properties: { product_id: `p${i % 37}`, price: 9.9, quantity: 1 },
      context: { channel: device.startsWith('receipt') ? 'store' : 'Organic Search', consent: { categories: ['analytics', 'personalization'] }, page: { path: `/p/${i % 37}` } },
    });
  }
  // the first event links the loyalty card with the user, so every later receipt joins the same profile
  events.unshift({ type: 'identify', messageId: randomUUID(), userId: 'rich-user', anonymousId: 'rich-d0', identities: [{ type: 'loyalty_id', value: 'rich-loyalty', hashed: false }], timestamp: new Date(t0 - 1000).toISOString() });
  for (let i = 0; i < events.length; i += BATCH) await ingestEvents(collector.db, events.slice(i, i + BATCH), WRITE_KEY);
  const view = await collector.profiles.find('user_id', 'rich-user');
  if (!view || view.touchpoints.total < TOUCHPOINTS) throw new Error(`profile has ${view?.touchpoints.total} touchpoints, expected ≥ ${TOUCHPOINTS}`);

  const server = createServer(collector);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/profiles/${view.profileId}`;
  const timed = async (fn: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) await fn(); // warm-up
    for (let i = 0; i < READS; i++) {
      const t = performance.now();
      await fn();
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b);
  };
  try {
    const reads = await timed(async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${SECRET}` } });
      if (res.status !== 200) throw new Error(`profile read answered ${res.status}`);
      const body = (await res.json()) as { timeline: unknown[] };
      if (body.timeline.length < TOUCHPOINTS) throw new Error('short timeline');
    });
    const summaries = await timed(() => collector.profiles.summary(view.profileId));
    return { p50: pct(reads, 50), p99: pct(reads, 99), summaryP99: pct(summaries, 99) };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

async function run(backend: string, databaseUrl: string, concurrency: number): Promise<Result> {
  const collector = createCollector({ writeKeys: { [WRITE_KEY]: { allowedOrigins: [] } }, databaseUrl, rateLimit: false, secretKey: SECRET });
  await collector.ready;
  try {
    const { seconds } = await resolveAll(collector, concurrency);
    const count = async (sql: string) => (await collector.db.query<{ n: number }>(sql)).rows[0]!.n;
    const profiles = await count(`SELECT count(*)::int AS n FROM profiles WHERE merged_into IS NULL`);
    const merges = await count(`SELECT count(*)::int AS n FROM profile_merges WHERE status = 'merged'`);
    const customers = Math.ceil(EVENTS / 3);
    if (EVENTS % 3 === 0 && profiles !== customers) throw new Error(`expected ${customers} profiles, found ${profiles}`);
    const read = await readProfile(collector);
    const r: Result = {
      backend,
      events: EVENTS,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(EVENTS / seconds),
      profiles,
      merges,
      profileReadP50Ms: Number(read.p50.toFixed(1)),
      profileReadP99Ms: Number(read.p99.toFixed(1)),
      summaryReadP99Ms: Number(read.summaryP99.toFixed(1)),
    };
    console.log(JSON.stringify(r));
    return r;
  } finally {
    await collector.close();
  }
}

async function main(): Promise<void> {
  const results: Result[] = [];
  results.push(await run('pglite (memory)', 'memory://', 1));
  if (findPostgresBinDir()) {
    const pg = await startPostgres(true);
    try {
      results.push(await run('postgres', pg.url, 4));
    } finally {
      await pg.stop();
    }
  } else console.log('no Postgres binaries: skipping the Postgres run');
  const meta = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, eventsPerBatch: BATCH, reads: READS, touchpoints: TOUCHPOINTS };
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/identity.json', `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
  console.log(
    [
      '',
      `Identity resolution: ${EVENTS.toLocaleString('en')} identify events in batches of ${BATCH} (one merge per customer); profile read: ${TOUCHPOINTS} touchpoints, ${READS} reads`,
      '| backend | events/s | seconds | profiles | merges | profile read p50 ms | profile read p99 ms | /v1/me summary p99 ms |',
      '|---|---|---|---|---|---|---|---|',
      ...results.map((r) => `| ${r.backend} | ${r.eventsPerSecond.toLocaleString('en')} | ${r.seconds} | ${r.profiles.toLocaleString('en')} | ${r.merges.toLocaleString('en')} | ${r.profileReadP50Ms} | ${r.profileReadP99Ms} | ${r.summaryReadP99Ms} |`),
      'written to bench-results/identity.json',
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
