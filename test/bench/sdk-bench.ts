/**
 * SDK benchmark in headless Chromium against the built bundle: main-thread cost of track() (µs per call, median and
 * p99 over 10,000 calls), long tasks during a 10,000-event burst, outbox write throughput, and end-to-end delivery
 * throughput to a local collector. Writes bench-results/sdk.json and prints a table. Not a test: no pass/fail.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fixturePage, launchBrowser, startServer } from '../browser/harness';

const CALLS = 10_000;

const server = await startServer();
const browser = await launchBrowser();
try {
  server.page('/bench', fixturePage({ decide: { analytics: true }, config: { autoPageViews: false, debug: false, batchSize: 100, flushIntervalMs: 1000, outbox: { maxCount: 20_000, maxBytes: 50_000_000 } } }), {
    // cross-origin isolation gives performance.now() 5 µs resolution instead of 100 µs
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  });
  // the default caps (10,000 events, 5 MiB) would drop the oldest of a 10,000-event burst of ~600-byte events
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + '/bench');
  await page.waitForFunction(() => (window as any).touchpoint?.__touchpoint);
  // warm up: open the outbox and JIT the hot path
  await page.evaluate(async () => {
    for (let i = 0; i < 200; i++) (window as any).touchpoint.track('warmup', { i });
    await (window as any).touchpoint.flush();
  });
  await server.waitFor(() => server.unique().size >= 200, 30_000, 'warm-up delivery');
  const before = server.unique().size;

  // phase 1, offline so nothing leaves: the cost of track() and of the outbox writes alone
  await context.setOffline(true);
  const result = await page.evaluate(async (calls) => {
    const tp = (window as any).touchpoint;
    const longTasks: number[] = [];
    const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => longTasks.push(e.duration)));
    obs.observe({ type: 'longtask', buffered: false });
    const samples = new Float64Array(calls);
    const t0 = performance.now();
    // a burst as a page makes it: 100 tasks of 100 calls, so a long task can only come from the SDK's own work
    for (let chunk = 0; chunk < calls / 100; chunk++) {
      for (let j = 0; j < 100; j++) {
        const i = chunk * 100 + j;
        const s = performance.now();
        tp.track('bench_event', { i, sku: 'sku-' + (i % 50), price: 9.99 });
        samples[i] = performance.now() - s;
      }
      await new Promise((r) => setTimeout(r, 0));
    }
    const burstMs = performance.now() - t0;
    const isolated = (self as any).crossOriginIsolated === true;
    let stored = 0;
    for (let i = 0; i < 3000 && stored < calls; i++) {
      stored = (await tp.debug()).outbox?.size ?? 0;
      if (stored < calls) await new Promise((r) => setTimeout(r, 5));
    }
    const writeMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
    obs.disconnect();
    const sorted = Array.from(samples).sort((a, b) => a - b);
    return { isolated, meanUs: (sorted.reduce((a, b) => a + b, 0) / calls) * 1000, burstMs, writeMs, stored, medianUs: sorted[Math.floor(calls / 2)] * 1000, p99Us: sorted[Math.floor(calls * 0.99)] * 1000, longTasks };
  }, CALLS);
  // phase 2: back online, the whole outbox goes to the collector
  const deliveryStart = Date.now();
  await context.setOffline(false);
  try {
    await server.waitFor(() => server.unique().size - before >= CALLS, 180_000, 'delivery of the burst');
  } catch (e) {
    console.error('stored', result.stored, 'delivered', server.unique().size - before, 'status', JSON.stringify(await page.evaluate(() => (window as any).touchpoint.debug())));
    throw e;
  }
  const deliveryMs = Date.now() - deliveryStart;
  const out = {
    date: new Date().toISOString(),
    calls: CALLS,
    timerResolution: result.isolated ? '5 µs (cross-origin isolated)' : '100 µs',
    trackMeanUs: +result.meanUs.toFixed(2),
    trackMedianUs: +result.medianUs.toFixed(2),
    trackP99Us: +result.p99Us.toFixed(2),
    burstMs: +result.burstMs.toFixed(1),
    longTasksOver50ms: result.longTasks.filter((d) => d > 50).length,
    longestTaskMs: result.longTasks.length ? Math.max(...result.longTasks) : 0,
    outboxStored: result.stored,
    outboxWriteEventsPerSec: Math.round(result.stored / (result.writeMs / 1000)),
    deliveryEventsPerSec: Math.round(CALLS / (deliveryMs / 1000)),
    duplicatesReceived: server.duplicates(),
  };
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/sdk.json', JSON.stringify(out, null, 2) + '\n');
  console.log('\n| SDK (headless Chromium) | value |\n|---|---|');
  console.log(`| track() mean | ${out.trackMeanUs} µs |\n| track() median | ${out.trackMedianUs} µs (timer ${out.timerResolution}) |\n| track() p99 | ${out.trackP99Us} µs |`);
  console.log(`| long tasks > 50 ms in a ${CALLS}-event burst | ${out.longTasksOver50ms} (longest ${out.longestTaskMs.toFixed(0)} ms) |`);
  console.log(`| outbox write throughput | ${out.outboxWriteEventsPerSec} events/s |\n| end-to-end delivery | ${out.deliveryEventsPerSec} events/s |`);
  await context.close();
} finally {
  await browser.close();
  await server.close();
}
