/**
 * Opens the best outbox the browser allows: IndexedDB, else memory, and says why it fell back. Imports: the stores.
 * Never throws; never opens anything before it is called (core calls it only after consent).
 */
import { openIdbOutbox, type IdbOutboxOptions } from './idb-outbox';
import { createMemoryOutbox } from './memory-outbox';
import { createResilientOutbox } from './resilient-outbox';
import { journaled, type JournalOptions } from './journal';
import type { Outbox } from './types';

/** A hung open (another tab blocking an upgrade, a wedged private mode) falls back to memory after this long. */
export const OPEN_TIMEOUT_MS = 3000;

export interface OpenOutboxOptions extends IdbOutboxOptions {
  /** How long to wait for IndexedDB to open. @defaultValue OPEN_TIMEOUT_MS */
  timeoutMs?: number;
  /** Told the reason when a working IndexedDB store later fails and the outbox moves to memory. */
  onFallback?: (reason: string) => void;
  /** The localStorage journal that covers writes until they commit; `false` for none. @defaultValue {} */
  journal?: JournalOptions | false;
}

/**
 * Opens the IndexedDB outbox (wrapped so later failures move to memory), or a memory outbox when IndexedDB is
 * missing, throws, errors, is blocked or hangs. Never rejects.
 * @returns the outbox, and `fallbackReason` (e.g. 'unavailable', 'timeout', 'blocked', 'QuotaExceededError') when it is memory
 * @example const { outbox, fallbackReason } = await openOutbox({ caps: { maxCount: 5000 } });
 */
export async function openOutbox(options: OpenOutboxOptions = {}): Promise<{ outbox: Outbox; fallbackReason?: string }> {
  const memory = () => createMemoryOutbox(options.caps, options.now);
  let blocked = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let opening: Promise<Outbox> | undefined;
  try {
    // reading window.indexedDB itself throws in some locked-down contexts, hence inside the try
    if (!options.indexedDB && typeof indexedDB == 'undefined') throw 'unavailable';
    opening = openIdbOutbox({ ...options, onBlocked: () => ((blocked = true), options.onBlocked?.()) });
    const idb = await Promise.race([
      opening,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(blocked ? 'blocked' : 'timeout'), options.timeoutMs ?? OPEN_TIMEOUT_MS))),
    ]);
    const durable = options.journal === false ? idb : await journaled(idb, options.journal);
    return { outbox: createResilientOutbox(durable, memory, options.onFallback) };
  } catch (e) {
    // an open that succeeds after we gave up must not hold a connection that blocks other tabs' upgrades
    opening?.then((o) => o.close(), () => {});
    return { outbox: memory(), fallbackReason: String((e as Error)?.name || e) };
  } finally {
    clearTimeout(timer);
  }
}
