import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTabLock, type TabLock } from '../../../src/outbox/tab-lock';
import { createMemoryOutbox } from '../../../src/outbox/memory-outbox';
import { openIdbOutbox } from '../../../src/outbox/idb-outbox';
import { dbName } from './helpers';

afterEach(() => vi.useRealTimers());

/** A minimal LockManager: exclusive locks, `ifAvailable` answers null when held. */
function fakeLocks(): LockManager {
  const held = new Set<string>();
  return {
    async request(name: string, opts: LockOptions, cb: (lock: Lock | null) => Promise<unknown>) {
      if (held.has(name)) return cb(null);
      held.add(name);
      try {
        return await cb({ name, mode: 'exclusive' });
      } finally {
        held.delete(name);
      }
    },
  } as unknown as LockManager;
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

/** Races two locks over the same work: exactly one runs it, the other is refused, never both at once. */
async function expectOneAtATime(a: TabLock, b: TabLock, settleMs: number) {
  const gate = deferred();
  let running = 0;
  let most = 0;
  const work = async () => {
    most = Math.max(most, ++running);
    await gate.promise;
    running--;
  };
  const results = Promise.all([a.run(work), b.run(work)]);
  await new Promise((r) => setTimeout(r, settleMs));
  gate.resolve();
  expect((await results).sort()).toEqual([false, true]);
  expect(most).toBe(1);
}

describe('createTabLock', () => {
  it('with Web Locks, a second tab does not run while the first holds the lock', async () => {
    const locks = fakeLocks();
    const a = createTabLock('flush', { locks });
    const b = createTabLock('flush', { locks });
    const gate = deferred();
    const first = a.run(() => gate.promise);
    expect(await b.run(async () => {})).toBe(false);
    gate.resolve();
    expect(await first).toBe(true);
    expect(await b.run(async () => {})).toBe(true);
  });

  it('falls back to the lease when Web Locks refuse the request', async () => {
    const refusing = { request: async () => { throw new DOMException('opaque origin', 'SecurityError'); } } as unknown as LockManager;
    const lock = createTabLock('flush', { locks: refusing, store: createMemoryOutbox() });
    const fn = vi.fn(async () => {});
    expect(await lock.run(fn)).toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('never runs twice at once within one tab', async () => {
    const lock = createTabLock('flush', { locks: null });
    const gate = deferred();
    const first = lock.run(() => gate.promise);
    expect(await lock.run(async () => {})).toBe(false);
    gate.resolve();
    expect(await first).toBe(true);
  });

  it('without Web Locks, leases through the outbox meta store (atomic across connections)', async () => {
    const name = dbName();
    const a = createTabLock('flush', { locks: null, store: await openIdbOutbox({ dbName: name }) });
    const b = createTabLock('flush', { locks: null, store: await openIdbOutbox({ dbName: name }) });
    await expectOneAtATime(a, b, 20);
    expect(await b.run(async () => {})).toBe(true);
  });

  it('a lease whose holder vanished expires after ttlMs', async () => {
    const store = createMemoryOutbox();
    let t = 1000;
    const crashed = createTabLock('flush', { locks: null, store, now: () => t, ttlMs: 10_000 });
    const other = createTabLock('flush', { locks: null, store, now: () => t, ttlMs: 10_000 });
    void crashed.run(() => new Promise(() => {})); // never finishes, like a tab that died mid-flush
    await Promise.resolve();
    expect(await other.run(async () => {})).toBe(false);
    t += 10_001;
    expect(await other.run(async () => {})).toBe(true);
  });

  it('the holder renews its lease while it works', async () => {
    vi.useFakeTimers();
    const store = createMemoryOutbox();
    const a = createTabLock('flush', { locks: null, store, ttlMs: 9000 });
    const b = createTabLock('flush', { locks: null, store, ttlMs: 9000 });
    const gate = deferred();
    const first = a.run(() => gate.promise);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await b.run(async () => {})).toBe(false);
    gate.resolve();
    expect(await first).toBe(true);
    expect(await b.run(async () => {})).toBe(true);
  });

  it('without Web Locks and without a store, runs at once (nothing could coordinate the tabs)', async () => {
    const fn = vi.fn(async () => {});
    expect(await createTabLock('flush', { locks: null }).run(fn)).toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
