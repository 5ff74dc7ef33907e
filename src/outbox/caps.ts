/**
 * Applies the outbox caps (age, count, bytes) to records sorted oldest first; shared by both stores. Imports: types.
 * Never touches storage.
 */
import { DEFAULT_OUTBOX_CAPS, type OutboxCaps, type OutboxRecord } from './types';

/** Fills unset caps with the defaults. */
export const resolveCaps = (caps?: Partial<OutboxCaps>): OutboxCaps => ({ ...DEFAULT_OUTBOX_CAPS, ...caps });

/**
 * How many of the oldest records must go so that the rest fit every cap; walks newest first, so the oldest are dropped.
 * @example const cut = capsCut(sorted, caps, Date.now()); sorted.slice(0, cut) // to drop
 */
export function capsCut(sorted: readonly OutboxRecord[], caps: OutboxCaps, now: number): number {
  let i = sorted.length;
  let bytes = 0;
  for (let n = 1; i > 0; n++, i--) {
    const r = sorted[i - 1];
    if (now - r['createdAt'] > caps.maxAgeMs || n > caps.maxCount || (bytes += r['bytes']) > caps.maxBytes) break;
  }
  return i;
}

/** Oldest first by seq, then id for a stable order between tabs that wrote in the same millisecond. */
export const bySeq = (a: OutboxRecord, b: OutboxRecord): number => a['seq'] - b['seq'] || (a['id'] < b['id'] ? -1 : 1);
