/**
 * Wraps the IndexedDB outbox so that a store failing later (database deleted, quota, connection closed) switches to
 * memory without losing the records this page holds. Imports: types. Never sends.
 */
import type { Outbox } from './types';

const noop = () => {};

/** The calls that go to the current store and, when the IndexedDB one fails, are retried on memory. */
const CALLS = 'put peek remove ack clear count takeDropped restoreDropped getMeta updateMeta'.split(' ');

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
  const outbox = {
    get kind() {
      return cur.kind;
    },
    pending: () => cur.pending(),
    // take-overs come only from the journal in front of the IndexedDB store
    taken: (fn: Parameters<NonNullable<Outbox['taken']>>[0]) => primary.taken?.(fn),
    // a withdrawal must delete the database even after we stopped using it
    close: (destroy?: boolean) => Promise.all([cur.close(destroy), cur != primary && primary.close(destroy)]).then(noop, noop),
  } as Outbox & Record<string, unknown>;
  for (const name of CALLS) {
    type Call = (...args: unknown[]) => Promise<unknown>;
    const call = (o: Outbox, args: unknown[]) => (o as unknown as Record<string, Call>)[name](...args);
    outbox[name] = (...args: unknown[]) => {
      const o = cur;
      return call(o, args).catch((e: unknown) => {
        if (o != primary) throw e;
        if (cur == primary) {
          cur = fallback();
          // memory calls run synchronously, so this put lands before the retried call below
          void cur.put(primary.pending());
          primary.close().catch(noop);
          onFallback?.(String((e as Error)?.name || e));
        }
        return call(cur, args);
      });
    };
  }
  return outbox;
}
