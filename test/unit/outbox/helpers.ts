/**
 * Test helpers for the outbox: records of a chosen size and age, fresh database names. Imports: outbox types.
 */
import type { TouchpointEvent } from '../../../src/schema/event';
import { OUTBOX_RECORD_VERSION, type OutboxRecord } from '../../../src/outbox/types';

let n = 0;

/** A fresh database name, so tests never share state. */
export const dbName = () => `touchpoint-test-${++n}-${Math.random().toString(36).slice(2)}`;

/** A record whose id is `id`, ordered by `seq`, of `bytes` size and created at `createdAt`. */
export function rec(id: string, seq: number, opts: { bytes?: number; createdAt?: number; category?: string; pad?: number } = {}): OutboxRecord {
  const event = {
    type: 'track',
    event: 'product_viewed',
    messageId: id,
    anonymousId: 'a1',
    timestamp: new Date(0).toISOString(),
    properties: opts.pad ? { pad: 'x'.repeat(opts.pad) } : {},
  } as TouchpointEvent;
  return {
    'id': id,
    'seq': seq,
    'createdAt': opts.createdAt ?? Date.now(),
    'bytes': opts.bytes ?? JSON.stringify(event).length,
    'v': OUTBOX_RECORD_VERSION,
    'category': opts.category ?? 'analytics',
    'event': event,
  };
}

/** `count` records r0…r{count-1}, oldest first. */
export const recs = (count: number, from = 0, opts?: Parameters<typeof rec>[2]) =>
  Array.from({ length: count }, (_, i) => rec(`r${from + i}`, from + i + 1, opts));
