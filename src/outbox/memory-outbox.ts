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
    async remove(ids) {
      for (const id of ids) records.delete(id);
    },
    async ack(ids, remaining) {
      for (const id of ids) {
        const r = records.get(id);
        const to = r && remaining(r);
        if (to?.length) records.set(id, { ...r!, 'to': to });
        else records.delete(id);
      }
    },
    pending: sorted,
    async clear(categories) {
      for (const r of records.values()) if (!categories || categories.includes(r['category'])) records.delete(r['id']);
    },
    async count() {
      return records.size;
    },
    async takeDropped() {
      const n = (meta.get('dropped') as number) || 0;
      meta.set('dropped', 0);
      return n;
    },
    async restoreDropped(n) {
      if (n) update<number>('dropped', (old) => (old || 0) + n);
    },
    async getMeta<T>(key: string) {
      return meta.get(key) as T | undefined;
    },
    async updateMeta(key, fn) {
      return update(key, fn);
    },
    async close() {
      records.clear();
    },
  };

  function trim(): OutboxRecord[] {
    const list = sorted();
    const cut = capsCut(list, all, now());
    for (let i = 0; i < cut; i++) records.delete(list[i]['id']);
    if (cut) update<number>('dropped', (old) => (old || 0) + cut);
    return list.slice(cut);
  }
}
