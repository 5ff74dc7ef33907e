/**
 * Outbox kept in page memory: the fallback when IndexedDB is unavailable or fails. Imports: caps, types.
 * Never persists anything; lost when the page goes.
 */
import { bySeq, capsCut, resolveCaps } from './caps';
import type { Outbox, OutboxCaps, OutboxRecord } from './types';

/**
 * Creates an in-memory outbox with the same contract as the IndexedDB one (kind 'memory').
 * @param caps - limits applied oldest first @defaultValue DEFAULT_OUTBOX_CAPS
 * @param now - clock, epoch ms @defaultValue Date.now
 * @example const outbox = createMemoryOutbox({ maxCount: 500 });
 */
export function createMemoryOutbox(caps?: Partial<OutboxCaps>, now: () => number = Date.now): Outbox {
  const all = resolveCaps(caps);
  const records = new Map<string, OutboxRecord>();
  const meta = new Map<string, unknown>();
  const sorted = () => [...records.values()].sort(bySeq);
  const update = <T>(key: string, fn: (old: T | undefined) => T): T => {
    const next = fn(meta.get(key) as T | undefined);
    meta.set(key, next);
    return next;
  };
  const addDropped = (n: number) => update<number>('dropped', (old) => (old || 0) + n);
  const ack: Outbox['ack'] = async (ids, remaining) => {
    for (const id of ids) {
      const r = records.get(id);
      const to = r && remaining(r);
      if (to?.length) records.set(id, { ...r!, 'to': to });
      else records.delete(id);
    }
  };
  /** Applies the caps and returns what is left, oldest first. */
  const trim = () => {
    const list = sorted();
    const cut = capsCut(list, all, now());
    for (const r of list.splice(0, cut)) records.delete(r['id']);
    if (cut) addDropped(cut);
    return list;
  };
  // async bodies without awaits run synchronously, which keeps calls ordered for the resilient wrapper
  return {
    kind: 'memory',
    async put(list) {
      for (const r of list) records.set(r['id'], r);
      trim();
    },
    async peek(limit, exclude, want) {
      return trim().filter((r) => !exclude?.has(r['id']) && (!want || want(r))).slice(0, limit);
    },
    remove: (ids) => ack(ids, () => []),
    ack,
    pending: sorted,
    async clear(categories) {
      for (const r of records.values()) if (!categories || categories.includes(r['category'])) records.delete(r['id']);
    },
    count: async () => records.size,
    async takeDropped() {
      const n = (meta.get('dropped') as number) || 0;
      meta.set('dropped', 0);
      return n;
    },
    restoreDropped: async (n) => void addDropped(n),
    getMeta: async (key) => meta.get(key) as never,
    updateMeta: async (key, fn) => update(key, fn),
    close: async () => records.clear(),
  };
}
