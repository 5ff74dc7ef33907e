/**
 * One flusher among the tabs of an origin: Web Locks where present, else a lease with expiry kept in the outbox's
 * meta store (atomic IndexedDB transactions). Imports: util, types. Never waits for a busy lock.
 */
import { uuid } from '../util/ids';
import type { Outbox } from './types';

/** Runs work while no other tab (and no other call in this tab) runs work under the same name. */
export interface TabLock {
  /** Runs `fn` holding the lock and resolves true, or resolves false at once when another holder has it. */
  run(fn: () => Promise<void>): Promise<boolean>;
}

export interface TabLockOptions {
  /** Web Locks manager; `null` forces the lease. @defaultValue navigator.locks */
  locks?: LockManager | null;
  /**
   * Where the lease lives when Web Locks are missing: the outbox (IndexedDB is atomic across tabs). Without one no tab
   * can coordinate, so work runs at once (the collector deduplicates by messageId).
   */
  store?: Pick<Outbox, 'updateMeta'>;
  /** A lease not renewed for this long is free again (its tab crashed or froze). @defaultValue 10_000 */
  ttlMs?: number;
  /** Clock, epoch ms. @defaultValue Date.now */
  now?: () => number;
}

interface Lease {
  'owner': string;
  'expires': number;
}

/**
 * Creates the flush lock. Holding it only while flushing lets any tab take over when the holder closes.
 * @param name - lock name, shared by every tab of the origin
 * @example const lock = createTabLock('touchpoint-flush', { store: outbox }); await lock.run(flushOnce);
 */
export function createTabLock(name: string, options: TabLockOptions = {}): TabLock {
  let locks = options.locks === undefined ? globalThis.navigator?.locks : options.locks;
  const now = options.now || Date.now;
  const ttl = options.ttlMs || 10_000;
  const me = uuid();
  const store = options.store;
  const key = 'touchpoint:lock:' + name;
  const update = (fn: (old: Lease | null | undefined) => Lease | null) => store!.updateMeta(key, fn);
  const take = () => update((l) => (!l || l['owner'] == me || l['expires'] < now() ? { 'owner': me, 'expires': now() + ttl } : l));
  const noop = () => {};

  let busy = false;
  return {
    async run(fn) {
      if (busy) return false;
      busy = true;
      let ran = false;
      const go = async () => ((ran = true), await fn(), true);
      try {
        if (locks)
          try {
            return await locks.request(name, { ifAvailable: true }, (lock) => !!lock && go());
          } catch (e) {
            if (ran) throw e;
            // Web Locks present but refused (sandboxed or opaque origin): use the lease from now on
            locks = null;
          }
        if (!store) return await go();
        try {
          if ((await take())?.['owner'] != me) return false;
        } catch {
          // no shared storage works here, so no other tab can coordinate either: go ahead, the collector dedups
          return await go();
        }
        const renew = setInterval(() => take().catch(noop), ttl / 3);
        try {
          return await go();
        } finally {
          clearInterval(renew);
          await update((l) => (l?.['owner'] == me ? null : l || null)).catch(noop);
        }
      } finally {
        busy = false;
      }
    },
  };
}
