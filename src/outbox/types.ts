/**
 * The outbox contract between core, the flusher and the stores (IndexedDB and memory). Types only. Imports: schema types.
 */
import type { TouchpointEvent } from '../schema/event';

/**
 * Version of the stored record layout; bump it and add an upgrade step in the IndexedDB store when it changes.
 * v2 added the optional `to`; a v1 record (no `to`) reads as meant for every destination, so no database upgrade.
 */
export const OUTBOX_RECORD_VERSION = 2;

/**
 * One stored event. Field names are quoted so a minifier never mangles them: they live in IndexedDB across releases.
 */
export interface OutboxRecord {
  /** The event's messageId, the primary key. */
  'id': string;
  /** Insertion order across tabs and reloads (time-based, then a counter), oldest first. */
  'seq': number;
  /** When the event was put in the outbox, epoch ms. */
  'createdAt': number;
  /** Size of the JSON body in bytes, for batch and cap accounting. */
  'bytes': number;
  /** Record layout version, see OUTBOX_RECORD_VERSION. */
  'v': number;
  /** The consent category the event belongs to, so a withdrawal can delete exactly its events. */
  'category': string;
  /** The event as it will be sent (sentAt is set at send time). */
  'event': TouchpointEvent;
  /**
   * Destinations (by name) still waiting for this event; absent until a first destination acknowledged it, which
   * means every configured destination its category goes to.
   */
  'to'?: string[];
}

/** Limits a privacy officer or developer can set; what they drop is counted, never silently lost. */
export interface OutboxCaps {
  /** Oldest an event may get before it is dropped. @defaultValue 7 days */
  maxAgeMs: number;
  /** Most events kept. @defaultValue 10000 */
  maxCount: number;
  /** Most bytes kept. @defaultValue 5 MiB */
  maxBytes: number;
}

export const DEFAULT_OUTBOX_CAPS: OutboxCaps = { maxAgeMs: 7 * 24 * 3600 * 1000, maxCount: 10_000, maxBytes: 5 * 1024 * 1024 };

/**
 * Which records belong to one destination's queue. The IndexedDB store sets `from` to the `seq` before which it found
 * none the queue wants and starts the next scan there: a record leaves a queue for good (its `to` only shrinks), so a
 * destination that is up never rescans the backlog of one that is down.
 */
export interface Want {
  (record: OutboxRecord): boolean;
  from?: number;
}

/** A durable (IndexedDB) or volatile (memory) store of events waiting for acknowledgement. */
export interface Outbox {
  /** 'indexeddb' when durable, 'memory' after a fallback. */
  readonly kind: 'indexeddb' | 'memory';
  /** Stores records; the writes of one call share one transaction. Resolves when committed. */
  put(records: OutboxRecord[]): Promise<void>;
  /**
   * Oldest records first, at most `limit` of them, excluding ids in `exclude` and, with `want`, records it refuses
   * (one destination's queue). Applies the caps first.
   */
  peek(limit: number, exclude?: ReadonlySet<string>, want?: Want): Promise<OutboxRecord[]>;
  /** Deletes acknowledged or rejected records. */
  remove(ids: string[]): Promise<void>;
  /**
   * One destination acknowledged these records: each keeps `remaining(record)` as its new `to`, and leaves the outbox
   * when that is empty. One transaction, so acknowledgements of two destinations never lose each other's.
   */
  ack(ids: string[], remaining: (record: OutboxRecord) => string[]): Promise<void>;
  /**
   * Records this page put or peeked and has not yet seen removed, oldest first; synchronous so page hide can send them.
   * A memory copy: it survives the IndexedDB store dying under us.
   */
  pending(): OutboxRecord[];
  /** Deletes every record of the given categories (all when omitted). */
  clear(categories?: string[]): Promise<void>;
  /** Number of stored records. */
  count(): Promise<number>;
  /** Returns and resets how many records the caps dropped since the last call (persisted across reloads). */
  takeDropped(): Promise<number>;
  /** Adds back a dropped count that could not be reported (the batch carrying it failed). */
  restoreDropped(n: number): Promise<void>;
  /** Reads a value of the meta store (device id, leases, counters) kept next to the events. */
  getMeta<T>(key: string): Promise<T | undefined>;
  /** Atomically replaces a meta value with `update(old)` (one transaction, so safe across tabs) and returns the new value. */
  updateMeta<T>(key: string, update: (old: T | undefined) => T): Promise<T>;
  /**
   * Calls `fn` with the records this outbox later takes over from pages that are gone (the journal's late take-over),
   * so delivery can send them without waiting for the next event.
   */
  taken?(fn: (records: OutboxRecord[]) => void): void;
  /** Closes the store; `destroy` deletes the whole database. */
  close(destroy?: boolean): Promise<void>;
}
