/**
 * The one guard every public call, replayed snippet call, handler and user hook runs through: nothing throws into
 * the host page and no promise handed to it rejects. Imports: util/log. Never rethrows.
 */
import type { Log } from './log';

/** Wraps `fn` so that a throw is logged (in debug mode) and `fallback` is returned instead. */
export function guard<A extends unknown[], R>(log: Log, name: string, fn: (...args: A) => R, fallback?: R): (...args: A) => R {
  const fail = (e: unknown) => (log.warn(name + ' failed', e), fallback as R);
  return (...args: A) => {
    try {
      const r = fn(...args);
      return r && typeof (r as { then?: unknown }).then == 'function' ? ((r as unknown as Promise<R>).then(undefined, fail) as R) : r;
    } catch (e) {
      return fail(e);
    }
  };
}
