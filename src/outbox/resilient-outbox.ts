/**
 * Wraps the IndexedDB outbox so that a store failing later (database deleted, quota, connection closed) switches to
 * memory without losing the records this page holds. Imports: types. Never sends.
 */
import type { Outbox } from './types';

const noop = () => {};

/**
 * Delegates to `primary` until one of its calls fails, then moves the page's pending records into `fallback()` and
 * serves every call (including the failed one) from there.
 * @param primary - usually the IndexedDB outbox
 * @param fallback - creates the replacement, usually `() => createMemoryOutbox(caps)`
 * @param onFallback - told the reason once, e.g. to log it in debug mode
 * @example const outbox = createResilientOutbox(await openIdbOutbox(), () => createMemoryOutbox());
 */
export function createResilientOutbox(primary: Outbox, fallback: () => Outbox, onFallback?: (reason: string) => void): Outbox {
  let cur = primary;
  const run = <T>(op: (o: Outbox) => Promise<T>): Promise<T> =>
    cur === primary
      ? op(primary).catch((e: unknown) => {
          if (cur === primary) {
            cur = fallback();
            // memory calls run synchronously, so this put lands before the retried call below
            void cur.put(primary.pending());
            primary.close().catch(noop);
            onFallback?.(String((e as Error)?.name || e));
          }
          return op(cur);
        })
      : op(cur);
  return {
    get kind() {
      return cur.kind;
    },
    put: (records) => run((o) => o.put(records)),
    peek: (limit, exclude, want) => run((o) => o.peek(limit, exclude, want)),
    remove: (ids) => run((o) => o.remove(ids)),
    ack: (ids, remaining) => run((o) => o.ack(ids, remaining)),
    pending: () => cur.pending(),
    clear: (categories) => run((o) => o.clear(categories)),
    count: () => run((o) => o.count()),
    takeDropped: () => run((o) => o.takeDropped()),
    restoreDropped: (n) => run((o) => o.restoreDropped(n)),
    getMeta: (key) => run((o) => o.getMeta(key)),
    updateMeta: (key, update) => run((o) => o.updateMeta(key, update)),
    // a withdrawal must delete the database even after we stopped using it
    close: (destroy) => Promise.all([cur.close(destroy), cur !== primary && primary.close(destroy)]).then(noop, noop),
  };
}
