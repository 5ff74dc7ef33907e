/**
 * Per-destination delivery state: an event leaves the outbox once every destination it is meant for acknowledged
 * it; one destination down never blocks or duplicates delivery to another; the state survives a reopen of IndexedDB.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFlusher, UNLOAD_BUDGET_BYTES, type FlushDetail } from '../../../src/outbox/flusher';
import { createMemoryOutbox } from '../../../src/outbox/memory-outbox';
import { openIdbOutbox } from '../../../src/outbox/idb-outbox';
import { createTabLock } from '../../../src/outbox/tab-lock';
import type { Outbox, OutboxRecord } from '../../../src/outbox/types';
import type { Destination, SendResult } from '../../../src/transport/types';
import { dbName, rec, recs } from './helpers';

beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => vi.useRealTimers());

/** A destination that records what it received (ids per request) and answers with `answer`. */
function dest(name: string, answer: (ids: string[]) => SendResult = () => ({ outcome: 'sent', status: 200 }), extra: Partial<Destination> = {}) {
  const got: string[][] = [];
  const unload: string[][] = [];
  const d: Destination = {
    name,
    async send(events, o) {
      const ids = events.map((e) => e.messageId);
      (o?.unload ? unload : got).push(ids);
      return answer(ids);
    },
    ...extra,
  };
  return { d, got, unload, all: () => got.flat() };
}

function setup(outbox: Outbox, destinations: Destination[]) {
  const events: [string, FlushDetail][] = [];
  const flusher = createFlusher({
    outbox,
    destinations,
    lock: createTabLock('flush', { locks: null }),
    emit: (n, d) => events.push([n, d]),
    random: () => 0.5,
    isOnline: () => true,
    target: new EventTarget(),
  });
  const put = async (list: OutboxRecord[]) => {
    await outbox.put(list);
    flusher.notify(list);
  };
  return { flusher, events, put };
}

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `r${from + i}`);

describe('several destinations', () => {
  it('one destination down never blocks another; each gets every event exactly once; the outbox empties when both have', async () => {
    let down = true;
    const a = dest('a');
    const b = dest('b', () => (down ? { outcome: 'retry', status: 503, error: 'HTTP 503' } : { outcome: 'sent', status: 200 }));
    const outbox = createMemoryOutbox();
    const { flusher, events, put } = setup(outbox, [a.d, b.d]);
    flusher.start();
    await put(recs(3));
    await vi.advanceTimersByTimeAsync(1000);
    await put(recs(2, 3));
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.all()).toEqual(ids(5));
    expect(await outbox.count()).toBe(5); // still waiting for b
    expect((await outbox.peek(10)).map((r) => r['to'])).toEqual(Array(5).fill(['b']));
    expect(flusher.status()).toMatchObject({ lastError: 'HTTP 503', destinations: { a: { lastError: undefined }, b: { lastError: 'HTTP 503' } } });
    down = false;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(b.all().slice(-5).sort()).toEqual(ids(5).sort());
    expect(new Set(b.all())).toEqual(new Set(ids(5)));
    expect(a.all()).toEqual(ids(5)); // no duplicate at a while b caught up
    expect(await outbox.count()).toBe(0);
    expect(events.filter(([n]) => n == 'delivered').map(([, d]) => d.destination)).toEqual(['a', 'a', 'b']);
  });

  it('categories route events: a marketing-only destination never sees analytics events, which leave once the other has them', async () => {
    const all = dest('all');
    const ads = dest('ads', undefined, { categories: ['marketing'] });
    const outbox = createMemoryOutbox();
    const { flusher, put } = setup(outbox, [all.d, ads.d]);
    flusher.start();
    await put([rec('m1', 1, { category: 'marketing' }), rec('a1', 2), rec('m2', 3, { category: 'marketing' })]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(all.all()).toEqual(['m1', 'a1', 'm2']);
    expect(ads.all()).toEqual(['m1', 'm2']);
    expect(await outbox.count()).toBe(0);
  });

  it('an event of a category no destination receives leaves the outbox at once', async () => {
    const ads = dest('ads', undefined, { categories: ['marketing'] });
    const outbox = createMemoryOutbox();
    const { flusher, put } = setup(outbox, [ads.d]);
    flusher.start();
    await put([rec('a1', 1), rec('m1', 2, { category: 'marketing' })]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ads.all()).toEqual(['m1']);
    expect(await outbox.count()).toBe(0);
  });

  it('an event one destination rejects as invalid is still delivered to the other', async () => {
    const strict = dest('strict', (list) => (list.includes('r1') ? { outcome: 'drop', status: 400, error: 'HTTP 400' } : { outcome: 'sent', status: 200 }));
    const lax = dest('lax');
    const outbox = createMemoryOutbox();
    const { flusher, events, put } = setup(outbox, [strict.d, lax.d]);
    flusher.start();
    await put(recs(3));
    await vi.advanceTimersByTimeAsync(1000);
    expect(lax.all()).toEqual(ids(3));
    expect(new Set(strict.all())).toEqual(new Set(ids(3)));
    expect(events.find(([n, d]) => n == 'dropped' && d.reason == 'invalid')?.[1]).toMatchObject({ ids: ['r1'], destination: 'strict' });
    expect(await outbox.count()).toBe(0);
  });

  it('IndexedDB keeps who still waits across a reopen: after a reload only the lagging destination gets the events', async () => {
    vi.useRealTimers();
    const name = dbName();
    const first = await openIdbOutbox({ dbName: name });
    const a = dest('a');
    const b = dest('b', () => ({ outcome: 'retry', status: 0, error: 'network error' }));
    const one = setup(first, [a.d, b.d]);
    one.flusher.start();
    await first.put(recs(4));
    await one.flusher.flush();
    expect(a.all()).toEqual(ids(4));
    one.flusher.stop();
    await first.close();

    const again = await openIdbOutbox({ dbName: name });
    expect((await again.peek(10)).map((r) => r['to'])).toEqual(Array(4).fill(['b']));
    const a2 = dest('a');
    const b2 = dest('b');
    const two = setup(again, [a2.d, b2.d]);
    two.flusher.start();
    await vi.waitFor(() => expect(b2.all()).toEqual(ids(4)));
    expect(a2.all()).toEqual([]);
    await vi.waitFor(async () => expect(await again.count()).toBe(0));
    await again.close(true);
  });

  it('a destination that is up resumes its scan past the backlog of one that is down', async () => {
    vi.useRealTimers();
    const outbox = await openIdbOutbox({ dbName: dbName() });
    await outbox.put(recs(30));
    // a acknowledged r0…r19 earlier; b (down) still waits for them
    await outbox.ack(ids(20), () => ['b']);
    const want = Object.assign((r: OutboxRecord) => (r['to'] ? r['to'].includes('a') : true), {} as { from?: number });
    expect((await outbox.peek(5, undefined, want)).map((r) => r['id'])).toEqual(ids(5, 20));
    expect(want.from).toBe(21); // r20's seq: the next scan starts there, not at r0
    await outbox.ack(ids(5, 20), () => ['b']);
    expect((await outbox.peek(50, undefined, want)).map((r) => r['id'])).toEqual(ids(5, 25));
    expect(want.from).toBe(26);
    // b's queue still starts at the oldest; the page's pending() mirror keeps every record
    expect((await outbox.peek(50, undefined, (r) => r['to']?.includes('b') ?? true)).map((r) => r['id'])).toEqual(ids(30));
    expect(outbox.pending()).toHaveLength(30);
    await outbox.close(true);
  });

  it('records written before destinations existed (no `to`) go to every destination; caps still drop and count', async () => {
    vi.useRealTimers();
    const outbox = await openIdbOutbox({ dbName: dbName(), caps: { maxCount: 3 } });
    const v1 = recs(5).map((r) => ({ ...r, v: 1 }));
    await outbox.put(v1);
    const a = dest('a');
    const b = dest('b');
    const { flusher, events } = setup(outbox, [a.d, b.d]);
    flusher.start();
    await vi.waitFor(() => expect([a.all(), b.all()]).toEqual([ids(3, 2), ids(3, 2)]));
    await vi.waitFor(async () => expect(await outbox.count()).toBe(0));
    // the cap-dropped count is reported once, with the first destination's batch
    expect(events.filter(([n, d]) => n == 'dropped' && d.reason == 'caps').map(([, d]) => d.count)).toEqual([2]);
    await outbox.close(true);
  });

  it('page hide sends each destination its own unacknowledged records within one shared keepalive budget', async () => {
    const measured = (name: string) => dest(name, undefined, { measure: (events) => events.length * 1000 });
    const a = measured('a');
    const b = measured('b');
    const outbox = createMemoryOutbox();
    const { flusher } = setup(outbox, [a.d, b.d]);
    await outbox.put(recs(40, 0, { bytes: 900 }));
    await outbox.peek(40);
    // memory outbox pending() is what page hide reads
    flusher.pageHide();
    const sent = a.unload.flat().length + b.unload.flat().length;
    expect(sent * 1000).toBeLessThanOrEqual(UNLOAD_BUDGET_BYTES);
    expect(a.unload.flat()).toEqual(ids(40)); // the first destination gets the budget first
    expect(b.unload.flat()).toEqual(ids(sent - 40));
    expect(await outbox.count()).toBe(40); // kept until a next load confirms
  });
});
