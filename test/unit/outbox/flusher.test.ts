import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFlusher, POISON_AFTER_FAILURES, UNLOAD_BUDGET_BYTES, type FlushDetail, type FlusherDeps } from '../../../src/outbox/flusher';
import { createMemoryOutbox } from '../../../src/outbox/memory-outbox';
import { openIdbOutbox } from '../../../src/outbox/idb-outbox';
import { createTabLock } from '../../../src/outbox/tab-lock';
import type { Outbox, OutboxRecord } from '../../../src/outbox/types';
import type { Send, SendResult } from '../../../src/transport/types';
import { dbName, recs } from './helpers';

beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => vi.useRealTimers());

interface Call {
  ids: string[];
  at: number;
  options?: { unload?: boolean; dropped?: number };
  bytes: number;
}

/** A transport that records calls and answers with `answer` (default: sent). */
function fakeSend(answer: (ids: string[], n: number) => SendResult | Promise<SendResult> = () => ({ outcome: 'sent', status: 200 })) {
  const calls: Call[] = [];
  const send: Send = async (events, options) => {
    const ids = events.map((e) => e.messageId);
    calls.push({ ids, at: Date.now(), options, bytes: JSON.stringify(events).length });
    return answer(ids, calls.length);
  };
  return { send, calls };
}

function setup(over: Partial<FlusherDeps> & { outbox?: Outbox } = {}) {
  const outbox = over.outbox ?? createMemoryOutbox();
  const events: [string, FlushDetail][] = [];
  const target = new EventTarget();
  const { send, calls } = over.send ? { send: over.send, calls: [] as Call[] } : fakeSend();
  const flusher = createFlusher({
    outbox,
    send,
    lock: createTabLock('flush', { locks: null }),
    emit: (name, detail) => events.push([name, detail]),
    random: () => 0.5,
    isOnline: () => true,
    target,
    ...over,
  });
  const put = async (list: OutboxRecord[]) => {
    await outbox.put(list);
    flusher.notify(list);
  };
  return { outbox, flusher, events, target, calls, put };
}

describe('createFlusher', () => {
  it('sends a burst once, 1 s after its first event, and deletes what was acknowledged', async () => {
    const { send, calls } = fakeSend();
    const { flusher, outbox, events, put } = setup({ send });
    flusher.start();
    await put(recs(2));
    await vi.advanceTimersByTimeAsync(500);
    await put(recs(1, 2));
    await vi.advanceTimersByTimeAsync(499);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.ids)).toEqual([['r0', 'r1', 'r2']]);
    expect(await outbox.count()).toBe(0);
    expect(events).toEqual([['delivered', { count: 3, ids: ['r0', 'r1', 'r2'] }]]);
    expect(flusher.status()).toMatchObject({ size: 0, kind: 'memory', retryInMs: 0 });
  });

  it('flushes at once when a batch is full, and splits by batchSize and maxBatchBytes', async () => {
    const { send, calls } = fakeSend();
    const { flusher, put } = setup({ send, batchSize: 4, maxBatchBytes: 1000 });
    flusher.start();
    await put(recs(3, 0, { bytes: 400 }).concat(recs(2, 3, { bytes: 100 })));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.ids)).toEqual([['r0', 'r1'], ['r2', 'r3', 'r4']]);
  });

  it('sends leftovers of earlier loads first, oldest first, across a reopen of the database', async () => {
    vi.useRealTimers(); // fake-indexeddb schedules its work on real timers
    const name = dbName();
    const before = await openIdbOutbox({ dbName: name });
    await before.put(recs(3, 5));
    await before.put(recs(3, 0));
    await before.close();
    const { send, calls } = fakeSend();
    const { flusher } = setup({ send, outbox: await openIdbOutbox({ dbName: name }), batchSize: 4 });
    flusher.start();
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls.map((c) => c.ids)).toEqual([['r0', 'r1', 'r2', 'r5'], ['r6', 'r7']]);
  });

  it('backs off with full jitter on 5xx, doubling up to the cap, and recovers', async () => {
    const { send, calls } = fakeSend((_, n) => (n < 5 ? { outcome: 'retry', status: 503, error: 'HTTP 503' } : { outcome: 'sent', status: 200 }));
    const { flusher, outbox, events, put } = setup({ send, retryMaxMs: 3000, random: () => 0.5 });
    flusher.start();
    await put(recs(1));
    await vi.advanceTimersByTimeAsync(1000);
    const t0 = Date.now();
    expect(calls).toHaveLength(1);
    expect(flusher.status()).toMatchObject({ lastError: 'HTTP 503', retryInMs: 500 });
    await vi.advanceTimersByTimeAsync(20_000);
    // waits 0.5 × min(3000, 1000 × 2^attempt): 500, 1000, 1500 (capped), 1500
    expect(calls.map((c) => c.at - t0)).toEqual([0, 500, 1500, 3000, 4500]);
    expect(events.filter(([n]) => n == 'retrying').map(([, d]) => d.retryInMs)).toEqual([500, 1000, 1500, 1500]);
    expect(await outbox.count()).toBe(0);
    expect(flusher.status().lastError).toBeUndefined();
  });

  it('honours Retry-After when it is longer than the jittered wait', async () => {
    const { send, calls } = fakeSend((_, n) => (n == 1 ? { outcome: 'retry', status: 429, retryAfterMs: 30_000 } : { outcome: 'sent', status: 200 }));
    const { flusher, put } = setup({ send });
    flusher.start();
    await put(recs(1));
    await vi.advanceTimersByTimeAsync(1000);
    await put(recs(60, 1)); // a full batch does not jump the queue while the collector asked us to wait
    await vi.advanceTimersByTimeAsync(29_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
    expect(calls[1].ids[0]).toBe('r0');
  });

  it('still retries after Retry-After when another flush was asked for while the 429 came back', async () => {
    let answer!: (r: SendResult) => void;
    const { send, calls } = fakeSend((_, n) => (n == 1 ? new Promise<SendResult>((r) => (answer = r)) : { outcome: 'sent', status: 200 }));
    const { flusher, put } = setup({ send });
    flusher.start();
    await put(recs(1));
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(1);
    void flusher.flush(); // e.g. flush() from the page while the first send is still in flight
    answer({ outcome: 'retry', status: 429, retryAfterMs: 3000 });
    await vi.advanceTimersByTimeAsync(2999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    expect(calls[1].ids).toEqual(['r0']);
  });

  it('waits for the online event instead of retrying while offline', async () => {
    let online = true;
    const { send, calls } = fakeSend(() => (online ? { outcome: 'sent', status: 200 } : { outcome: 'retry', status: 0, error: 'network error' }));
    const { flusher, outbox, target, put } = setup({ send, isOnline: () => online });
    flusher.start();
    await put(recs(1));
    online = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(0);
    expect(flusher.status().retryInMs).toBeNull();
    await put(recs(1, 1));
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(0);
    online = true;
    target.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.ids)).toEqual([['r0', 'r1']]);
    expect(await outbox.count()).toBe(0);
  });

  it('a network error while the browser went offline waits for online too', async () => {
    let online = true;
    const { send, calls } = fakeSend(() => ((online = false), { outcome: 'retry', status: 0, error: 'network error' }));
    const { flusher, target, put } = setup({ send, isOnline: () => online });
    flusher.start();
    await put(recs(1));
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(1);
    online = true;
    target.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
  });

  it('treats a throwing transport as a retry', async () => {
    const send: Send = vi.fn().mockRejectedValueOnce(new Error('boom')).mockResolvedValue({ outcome: 'sent', status: 200 });
    const { flusher, outbox, put } = setup({ send });
    flusher.start();
    await put(recs(1));
    await vi.advanceTimersByTimeAsync(1000);
    expect(flusher.status().lastError).toContain('boom');
    await vi.advanceTimersByTimeAsync(1000);
    expect(send).toHaveBeenCalledTimes(2);
    expect(await outbox.count()).toBe(0);
  });

  it('deletes per-event rejections with the batch and reports them as dropped', async () => {
    const { send } = fakeSend(() => ({ outcome: 'sent', status: 200, rejected: ['r1'] }));
    const { flusher, outbox, events, put } = setup({ send });
    flusher.start();
    await put(recs(3));
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outbox.count()).toBe(0);
    expect(events).toEqual([
      ['delivered', { count: 2, ids: ['r0', 'r2'] }],
      ['dropped', { count: 1, ids: ['r1'], reason: 'rejected', status: 200 }],
    ]);
  });

  it('bisects a batch the collector drops so only the bad events are lost', async () => {
    const bad = new Set(['r3', 'r9']);
    const { send, calls } = fakeSend((ids) => (ids.some((id) => bad.has(id)) ? { outcome: 'drop', status: 400, error: 'HTTP 400' } : { outcome: 'sent', status: 200 }));
    const { flusher, outbox, events, put } = setup({ send, batchSize: 16 });
    flusher.start();
    await put(recs(12));
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outbox.count()).toBe(0);
    const dropped = events.filter(([n]) => n == 'dropped').flatMap(([, d]) => d.ids);
    const delivered = events.filter(([n]) => n == 'delivered').flatMap(([, d]) => d.ids);
    expect(dropped.sort()).toEqual(['r3', 'r9']);
    expect(delivered).toHaveLength(10);
    expect(calls.length).toBeLessThanOrEqual(2 * 2 * Math.log2(16) + 1);
  });

  it('passes the cap-dropped count to send, and restores it when that batch failed', async () => {
    const { send, calls } = fakeSend((_, n) => (n == 1 ? { outcome: 'retry', status: 503 } : { outcome: 'sent', status: 200 }));
    const outbox = createMemoryOutbox({ maxCount: 2 });
    const { flusher, events, put } = setup({ send, outbox });
    flusher.start();
    await put(recs(5));
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls[0].options).toEqual({ dropped: 3 });
    await vi.advanceTimersByTimeAsync(500);
    expect(calls[1].options).toEqual({ dropped: 3 });
    expect(calls[1].ids).toEqual(['r3', 'r4']);
    expect(events).toContainEqual(['dropped', { count: 3, reason: 'caps' }]);
    expect(await outbox.takeDropped()).toBe(0);
  });

  it('two tabs sharing a lock never send the same record concurrently, and nothing is lost', async () => {
    vi.useRealTimers();
    const name = dbName();
    const inFlight = new Set<string>();
    const sentIds: string[] = [];
    let overlap = 0;
    const send: Send = async (events) => {
      const ids = events.map((e) => e.messageId);
      for (const id of ids) (inFlight.has(id) ? overlap++ : inFlight.add(id));
      await new Promise((r) => setTimeout(r, 5));
      ids.forEach((id) => inFlight.delete(id));
      sentIds.push(...ids);
      return { outcome: 'sent', status: 200 };
    };
    const held = new Set<string>();
    const locks = {
      async request(n: string, _o: LockOptions, cb: (l: Lock | null) => Promise<unknown>) {
        if (held.has(n)) return cb(null);
        held.add(n);
        try {
          return await cb({ name: n, mode: 'exclusive' } as Lock);
        } finally {
          held.delete(n);
        }
      },
    } as unknown as LockManager;
    const tabs = await Promise.all(
      [0, 1].map(async () => {
        const outbox = await openIdbOutbox({ dbName: name });
        const flusher = createFlusher({ outbox, send, lock: createTabLock('flush', { locks }), flushIntervalMs: 2, batchSize: 5, isOnline: () => true });
        flusher.start();
        return { outbox, flusher };
      }),
    );
    for (let i = 0; i < 10; i++) {
      for (const [t, tab] of tabs.entries()) {
        const list = recs(3, 100 * t + 3 * i);
        await tab.outbox.put(list);
        tab.flusher.notify(list);
        void tab.flusher.flush();
      }
    }
    await vi.waitFor(async () => expect(await tabs[0].outbox.count()).toBe(0), { timeout: 3000 });
    await vi.waitFor(() => expect(tabs.every((t) => t.flusher.status().size == 0)).toBe(true), { timeout: 3000 });
    expect(overlap).toBe(0);
    expect(new Set(sentIds).size).toBe(60);
    tabs.forEach((t) => t.flusher.stop());
  });

  it('a tab that misses the lock checks back while it has unsent records of its own', async () => {
    const { send, calls } = fakeSend();
    const busy = { run: vi.fn(async () => false) };
    const { flusher, put } = setup({ send, lock: busy });
    flusher.start();
    await put(recs(1));
    await vi.advanceTimersByTimeAsync(3000);
    expect(busy.run.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(calls).toHaveLength(0);
  });

  it('on page hide sends unacknowledged records in chunks within the 64 KiB keepalive budget, keeping them stored', async () => {
    const { send, calls } = fakeSend(() => ({ outcome: 'retry', status: 0, error: 'beacon queued' }));
    const { flusher, outbox, put } = setup({ send, batchSize: 10 });
    await put(recs(60, 0, { pad: 1500 }));
    flusher.pageHide();
    await vi.advanceTimersByTimeAsync(0);
    const unload = calls.filter((c) => c.options?.unload);
    expect(unload.length).toBeGreaterThan(1);
    expect(unload.every((c) => c.ids.length <= 10)).toBe(true);
    const total = unload.reduce((n, c) => n + c.bytes, 0);
    expect(total).toBeLessThanOrEqual(UNLOAD_BUDGET_BYTES);
    const perEvent = (await outbox.peek(1))[0].bytes + 64;
    expect(unload.flatMap((c) => c.ids)).toHaveLength(Math.floor(UNLOAD_BUDGET_BYTES / perEvent));
    expect(unload[0].ids[0]).toBe('r0');
    expect(await outbox.count()).toBe(60);
    // a second hide (pagehide after visibilitychange) does not send the same records again
    flusher.pageHide();
    const sentTwice = calls.filter((c) => c.options?.unload).flatMap((c) => c.ids);
    expect(new Set(sentTwice).size).toBe(sentTwice.length);
  });

  it('on page hide, a keepalive answered 2xx acknowledges its records', async () => {
    const { send } = fakeSend(() => ({ outcome: 'sent', status: 200 }));
    const { flusher, outbox, events, put } = setup({ send });
    await put(recs(3));
    flusher.pageHide();
    await vi.advanceTimersByTimeAsync(0);
    expect(await outbox.count()).toBe(0);
    expect(events).toEqual([['delivered', { count: 3, ids: ['r0', 'r1', 'r2'] }]]);
  });

  it('a throwing emit listener does not stall delivery', async () => {
    const { send, calls } = fakeSend();
    const { flusher, outbox, put } = setup({ send, batchSize: 2, emit: () => { throw new Error('listener bug'); } });
    flusher.start();
    await put(recs(5));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.ids.length)).toEqual([2, 2, 1]);
    expect(await outbox.count()).toBe(0);
  });

  it('a batch answered 5xx again and again is set aside: the events behind it are delivered, the poison one dropped', async () => {
    // a collector that answers 500 to any request carrying r0 (an event it cannot store), and takes everything else
    const { send, calls } = fakeSend((ids) => (ids.includes('r0') ? { outcome: 'retry', status: 500 } : { outcome: 'sent', status: 200 }));
    const { flusher, outbox, events, put } = setup({ send, batchSize: 4 });
    flusher.start();
    await put(recs(10));
    // three failed sends of the first batch set its records aside; r1–r9 are then delivered without waiting for r0
    await vi.advanceTimersByTimeAsync(30_000);
    const delivered = events.filter(([n]) => n === 'delivered').flatMap(([, d]) => d.ids!);
    expect(delivered.sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    expect(await outbox.count()).toBe(1);
    // r0 alone keeps failing while new events go through: after POISON_AFTER_FAILURES such strikes it is dropped
    for (let i = 0; i < POISON_AFTER_FAILURES + 2 && (await outbox.count()) > 0; i++) {
      await put(recs(1, 100 + i));
      await vi.advanceTimersByTimeAsync(400_000);
    }
    expect(await outbox.count()).toBe(0);
    expect(events.filter(([n]) => n === 'dropped')).toEqual([['dropped', { count: 1, ids: ['r0'], reason: 'poison', status: 500 }]]);
    // r0 was sent alone at least POISON_AFTER_FAILURES times before it was given up
    expect(calls.filter((c) => c.ids.length === 1 && c.ids[0] === 'r0').length).toBeGreaterThanOrEqual(POISON_AFTER_FAILURES);
  });

  it('a collector that is down makes no event poison: after a long outage every event is delivered', async () => {
    let down = true;
    const { send } = fakeSend(() => (down ? { outcome: 'retry', status: 503 } : { outcome: 'sent', status: 200 }));
    const { flusher, outbox, events, put } = setup({ send, batchSize: 4 });
    flusher.start();
    await put(recs(10));
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(await outbox.count()).toBe(10);
    down = false;
    await put(recs(1, 10));
    await vi.advanceTimersByTimeAsync(600_000);
    expect(await outbox.count()).toBe(0);
    expect(events.filter(([n]) => n === 'dropped')).toEqual([]);
    expect(events.filter(([n]) => n === 'delivered').flatMap(([, d]) => d.ids!).length).toBe(11);
  });

  it('a flaky collector (every third request 503) loses no event to the poison rule', async () => {
    const { send } = fakeSend((_, n) => (n % 3 === 0 ? { outcome: 'retry', status: 503 } : { outcome: 'sent', status: 200 }));
    const { flusher, outbox, events, put } = setup({ send, batchSize: 5 });
    flusher.start();
    for (let i = 0; i < 40; i++) {
      await put(recs(5, i * 5));
      await vi.advanceTimersByTimeAsync(700);
    }
    await vi.advanceTimersByTimeAsync(600_000);
    expect(await outbox.count()).toBe(0);
    expect(events.filter(([n]) => n === 'dropped')).toEqual([]);
    expect(new Set(events.filter(([n]) => n === 'delivered').flatMap(([, d]) => d.ids!)).size).toBe(200);
  });

  it('stop() ends timers; nothing is sent afterwards', async () => {
    const { send, calls } = fakeSend();
    const { flusher, put } = setup({ send });
    flusher.start();
    await put(recs(1));
    flusher.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(0);
  });
});
