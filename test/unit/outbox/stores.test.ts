import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openIdbOutbox } from '../../../src/outbox/idb-outbox';
import { createMemoryOutbox } from '../../../src/outbox/memory-outbox';
import type { Outbox, OutboxCaps } from '../../../src/outbox/types';
import { dbName, rec, recs } from './helpers';

const DAY = 86_400_000;

// both stores keep one contract; the IndexedDB one additionally survives a reopen
const stores: [string, (caps?: Partial<OutboxCaps>, now?: () => number) => Promise<Outbox>][] = [
  ['indexeddb', (caps, now) => openIdbOutbox({ dbName: dbName(), caps, now })],
  ['memory', async (caps, now) => createMemoryOutbox(caps, now)],
];

describe.each(stores)('%s outbox contract', (kind, open) => {
  it('reports its kind and returns records oldest first, honouring limit and exclude', async () => {
    const o = await open();
    expect(o.kind).toBe(kind);
    await o.put([rec('c', 3), rec('a', 1)]);
    await o.put([rec('b', 2)]);
    expect((await o.peek(10)).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect((await o.peek(2)).map((r) => r.id)).toEqual(['a', 'b']);
    expect((await o.peek(10, new Set(['a']))).map((r) => r.id)).toEqual(['b', 'c']);
    expect(await o.count()).toBe(3);
    await o.remove(['b']);
    expect((await o.peek(10)).map((r) => r.id)).toEqual(['a', 'c']);
    expect(o.pending().map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('clears by category and entirely', async () => {
    const o = await open();
    await o.put([rec('a', 1, { category: 'analytics' }), rec('m', 2, { category: 'marketing' }), rec('p', 3, { category: 'personalization' })]);
    await o.clear(['marketing', 'personalization']);
    expect((await o.peek(10)).map((r) => r.id)).toEqual(['a']);
    expect(o.pending().map((r) => r.id)).toEqual(['a']);
    await o.clear();
    expect(await o.count()).toBe(0);
    expect(o.pending()).toEqual([]);
  });

  it('drops records older than maxAgeMs and counts them', async () => {
    let t = 10 * DAY;
    const o = await open({ maxAgeMs: 7 * DAY }, () => t);
    await o.put([rec('old', 1, { createdAt: t - 8 * DAY }), rec('new', 2, { createdAt: t - DAY })]);
    expect((await o.peek(10)).map((r) => r.id)).toEqual(['new']);
    t += 7 * DAY;
    expect(await o.peek(10)).toEqual([]);
    expect(await o.takeDropped()).toBe(2);
    expect(await o.takeDropped()).toBe(0);
  });

  it('drops the oldest beyond maxCount and maxBytes, counting each', async () => {
    const o = await open({ maxCount: 3, maxBytes: 1000 });
    await o.put(recs(5, 0, { bytes: 100 }));
    expect((await o.peek(10)).map((r) => r.id)).toEqual(['r2', 'r3', 'r4']);
    expect(await o.takeDropped()).toBe(2);
    await o.put([rec('big', 100, { bytes: 950 })]);
    expect((await o.peek(10)).map((r) => r.id)).toEqual(['big']);
    expect(await o.takeDropped()).toBe(3);
    expect(o.pending().map((r) => r.id)).toEqual(['big']);
  });

  it('keeps the byte cap right after removals, re-puts and category clears', async () => {
    const o = await open({ maxBytes: 1000 });
    await o.put(recs(6, 0, { bytes: 150 })); // 900 bytes
    await o.remove(['r0', 'r1']); // 600 left
    await o.put([rec('r2', 3, { bytes: 150 })]); // the same record again: still 600
    await o.put([rec('m1', 10, { bytes: 100, category: 'marketing' }), rec('m2', 11, { bytes: 100, category: 'marketing' })]); // 800
    await o.clear(['marketing']); // 600
    await o.put(recs(2, 20, { bytes: 200 })); // 1000: fits exactly, nothing dropped
    expect(await o.takeDropped()).toBe(0);
    expect(await o.count()).toBe(6);
    await o.put([rec('last', 50, { bytes: 1 })]); // 1001: the oldest goes
    expect(await o.takeDropped()).toBe(1);
    expect((await o.peek(10)).map((r) => r.id)).toEqual(['r3', 'r4', 'r5', 'r20', 'r21', 'last']);
  });

  it('restores a dropped count whose batch failed', async () => {
    const o = await open({ maxCount: 1 });
    await o.put(recs(3));
    const n = await o.takeDropped();
    expect(n).toBe(2);
    await o.restoreDropped(n);
    await o.put([rec('x', 9)]);
    expect(await o.takeDropped()).toBe(3);
  });

  it('keeps meta values and updates them atomically', async () => {
    const o = await open();
    expect(await o.getMeta('anonymousId')).toBeUndefined();
    await o.updateMeta('anonymousId', () => 'dev-1');
    expect(await o.getMeta('anonymousId')).toBe('dev-1');
    const results = await Promise.all([1, 2, 3].map(() => o.updateMeta<number>('n', (old) => (old || 0) + 1)));
    expect(results.sort()).toEqual([1, 2, 3]);
  });
});

describe('indexeddb outbox', () => {
  it('writes one burst in a single transaction', async () => {
    const o = await openIdbOutbox({ dbName: dbName() });
    const real = IDBDatabase.prototype.transaction;
    let txs = 0;
    IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<typeof real>) {
      txs++;
      return real.apply(this, args);
    } as typeof real;
    try {
      await o.put(recs(20));
    } finally {
      IDBDatabase.prototype.transaction = real;
    }
    expect(txs).toBe(1);
    expect(await o.count()).toBe(20);
  });

  it('keeps records, order and the dropped counter across a reopen', async () => {
    const name = dbName();
    const a = await openIdbOutbox({ dbName: name, caps: { maxCount: 4 } });
    await a.put([rec('x3', 30), rec('x1', 10)]);
    await a.put([rec('x2', 20), rec('x4', 40), rec('x5', 50), rec('x6', 60)]);
    await a.close();
    const b = await openIdbOutbox({ dbName: name, caps: { maxCount: 4 } });
    expect(b.pending()).toEqual([]);
    expect((await b.peek(10)).map((r) => r.id)).toEqual(['x3', 'x4', 'x5', 'x6']);
    expect(b.pending().map((r) => r.id)).toEqual(['x3', 'x4', 'x5', 'x6']);
    expect(await b.takeDropped()).toBe(2);
    await b.close();
    const c = await openIdbOutbox({ dbName: name });
    expect(await c.takeDropped()).toBe(0);
    await c.close(true);
    const d = await openIdbOutbox({ dbName: name });
    expect(await d.count()).toBe(0);
  });

  it('shares the meta store with another connection (identity keeps the device id here)', async () => {
    const name = dbName();
    const a = await openIdbOutbox({ dbName: name });
    const b = await openIdbOutbox({ dbName: name });
    await a.updateMeta('anonymousId', () => 'dev-9');
    expect(await b.getMeta('anonymousId')).toBe('dev-9');
  });

  it('forgets pending records another tab sent once a peek sees the whole store', async () => {
    const name = dbName();
    const mine = await openIdbOutbox({ dbName: name });
    const other = await openIdbOutbox({ dbName: name });
    await mine.put([rec('a', 1), rec('b', 2)]);
    await other.remove(['a']);
    expect(mine.pending().map((r) => r.id)).toEqual(['a', 'b']);
    await mine.peek(10);
    expect(mine.pending().map((r) => r.id)).toEqual(['b']);
  });

  it('closes itself when the database is deleted under it, after which calls reject', async () => {
    const name = dbName();
    const o = await openIdbOutbox({ dbName: name });
    await o.put([rec('a', 1)]);
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(name);
      req.onsuccess = () => resolve();
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('blocked: the outbox did not close on versionchange'));
    });
    await expect(o.put([rec('b', 2)])).rejects.toMatchObject({ name: 'InvalidStateError' });
    expect(o.pending().map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('rejects when indexedDB.open fails', async () => {
    const broken = { open: () => { throw new DOMException('denied', 'SecurityError'); } } as unknown as IDBFactory;
    await expect(openIdbOutbox({ dbName: dbName(), indexedDB: broken })).rejects.toMatchObject({ name: 'SecurityError' });
  });
});
