/**
 * Durable outbox in IndexedDB (via idb): write-ahead records, caps, the dropped counter and a small meta store.
 * Imports: idb, caps, types. Never sends, never awaits anything but IndexedDB inside a transaction (STYLE rule 11).
 */
import { wrap, type DBSchema, type IDBPDatabase, type IDBPObjectStore } from 'idb';
import { bySeq, resolveCaps } from './caps';
import type { Outbox, OutboxCaps, OutboxRecord } from './types';

interface Schema extends DBSchema {
  'outbox': { key: string; value: OutboxRecord; indexes: { 'seq': number } };
  'meta': { key: string; value: unknown };
}
type Store<N extends 'outbox' | 'meta'> = IDBPObjectStore<Schema, ('outbox' | 'meta')[], N, 'readwrite'>;

/**
 * Schema steps: UPGRADES[v] moves a database from version v to v + 1, so the database version is UPGRADES.length.
 * To add v2, append a step; never edit a shipped one.
 */
const UPGRADES: ((db: IDBDatabase, tx: IDBTransaction) => void)[] = [
  (db) => {
    db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('seq', 'seq');
    db.createObjectStore('meta');
  },
];

export interface IdbOutboxOptions {
  /** Database name. @defaultValue 'touchpoint' */
  dbName?: string;
  /** Limits applied oldest first. @defaultValue DEFAULT_OUTBOX_CAPS */
  caps?: Partial<OutboxCaps>;
  /** Clock, epoch ms. @defaultValue Date.now */
  now?: () => number;
  /** Factory to open with; must be of the realm whose IDB classes idb sees. @defaultValue globalThis.indexedDB */
  indexedDB?: IDBFactory;
  /** Called when the open waits for another tab to close an older connection. */
  onBlocked?: () => void;
}

/**
 * Opens (creating or upgrading) the outbox database. Rejects when IndexedDB cannot be opened; `openOutbox` turns
 * that into a memory fallback. The connection closes itself when another tab upgrades or deletes the database, after
 * which every call rejects (InvalidStateError) so the resilient wrapper can switch to memory.
 * @example const outbox = await openIdbOutbox({ dbName: 'touchpoint' });
 */
export async function openIdbOutbox(options: IdbOutboxOptions = {}): Promise<Outbox> {
  const name = options.dbName || 'touchpoint';
  const factory = options.indexedDB || indexedDB;
  const caps = resolveCaps(options.caps);
  const now = options.now || Date.now;
  const mirror = new Map<string, OutboxRecord>();
  let sorted: OutboxRecord[] | undefined; // pending() in seq order, rebuilt only after the mirror changed
  const mirrorSet = (r: OutboxRecord) => ((sorted = undefined), mirror.set(r['id'], r));
  const mirrorDelete = (id: string) => ((sorted = undefined), mirror.delete(id));
  const sum = (list: (OutboxRecord | undefined)[]) => list.reduce((n, r) => n + (r ? r['bytes'] : 0), 0);
  const request = factory.open(name, UPGRADES.length);
  request.onupgradeneeded = (e) => {
    for (let v = e.oldVersion; v < UPGRADES.length; v++) UPGRADES[v](request.result, request.transaction!);
  };
  request.onblocked = () => options.onBlocked?.();
  const db = (await wrap(request)) as unknown as IDBPDatabase<Schema>;
  // let another tab's upgrade or delete proceed; our later calls reject and the wrapper falls back to memory
  db.onversionchange = () => db.close();

  /**
   * Runs `fn` in one readwrite transaction over both stores and resolves with its result once that committed.
   * Relaxed: committed once the OS has the data, without waiting for the disk (a crash of the tab or the browser keeps
   * it; a power cut may not), which keeps commits short when many tabs write at once.
   */
  async function run<T>(fn: (store: Store<'outbox'>, meta: Store<'meta'>) => Promise<T>): Promise<T> {
    const tx = db.transaction(['outbox', 'meta'], 'readwrite', { durability: 'relaxed' });
    return (await Promise.all([fn(tx.objectStore('outbox'), tx.objectStore('meta')), tx.done]))[0];
  }

  /**
   * Applies the caps oldest first without reading the whole store: the count comes from `count()`, the bytes from a
   * running total kept in meta ('bytes', adjusted in the same transaction as every write), and a cursor on `seq`
   * deletes from the oldest end only while a cap is exceeded. `delta` is what the caller's writes added.
   */
  async function trim(store: Store<'outbox'>, meta: Store<'meta'>, delta = 0): Promise<void> {
    const [count, known] = await Promise.all([store.count(), meta.get('bytes') as Promise<number | undefined>]);
    // first use of a database without the running total: sum it once
    let bytes = known === undefined ? sum(await store.getAll()) : known + delta;
    const ops: Promise<unknown>[] = [];
    let cursor = await store.index('seq').openCursor();
    for (const t = now(); cursor && (t - cursor.value['createdAt'] > caps.maxAgeMs || count - ops.length > caps.maxCount || bytes > caps.maxBytes); ) {
      bytes -= cursor.value['bytes'];
      mirrorDelete(cursor.value['id']);
      ops.push(cursor.delete());
      cursor = await cursor.continue();
    }
    const cut = ops.length;
    await Promise.all([...ops, meta.put(bytes, 'bytes'), cut && rmw<number>(meta, 'dropped', (n) => (n || 0) + cut)]);
  }

  /** Adds `delta` to the running byte total, when there is one yet (trim computes it otherwise). */
  const addBytes = (meta: Store<'meta'>, delta: number) =>
    rmw<number | undefined>(meta, 'bytes', (known) => (known === undefined ? known : Math.max(0, known + delta)));

  /** Replaces a meta value with `update(old)` and returns [old, new]. */
  async function rmw<T>(meta: Store<'meta'>, key: string, update: (old: T | undefined) => T): Promise<[T | undefined, T]> {
    const old = (await meta.get(key)) as T | undefined;
    const next = update(old);
    await meta.put(next, key);
    return [old, next];
  }

  /**
   * Each record with one of `ids` keeps `remaining(record)` as its `to`, or leaves the store when that is empty.
   * `found` are the stored records when the caller already read them.
   */
  async function settle(store: Store<'outbox'>, meta: Store<'meta'>, ids: string[], remaining: (r: OutboxRecord) => string[], found?: OutboxRecord[]) {
    const list = found || (await Promise.all(ids.map((id) => store.get(id))));
    let freed = 0;
    const ops = list.map((r, i) => {
      const to = r && remaining(r);
      if (to?.length) {
        const next = { ...r!, 'to': to };
        if (mirror.has(ids[i])) mirrorSet(next);
        return store.put(next);
      }
      mirrorDelete(ids[i]);
      if (r) return (freed += r['bytes']), store.delete(ids[i]);
    });
    await Promise.all([...ops, addBytes(meta, -freed)]);
  }
  const none = () => [];
  const ack: Outbox['ack'] = (ids, remaining) => run((store, meta) => settle(store, meta, ids, remaining));
  const meta = <T>(key: string, update: (old: T | undefined) => T) => run((_, m) => rmw(m, key, update));

  return {
    kind: 'indexeddb',
    async put(list) {
      if (!list.length) return;
      list.forEach(mirrorSet);
      await run(async (store, meta) => {
        // a record put again replaces the stored one, so only the difference counts
        const replaced = sum(await Promise.all(list.map((r) => store.get(r['id']))));
        await Promise.all(list.map((r) => store.put(r)));
        await trim(store, meta, sum(list) - replaced);
      });
    },
    peek(limit, exclude, want) {
      const known = [...mirror.values()];
      return run(async (store, meta) => {
        await trim(store, meta);
        const seq = store.index('seq');
        // whether the scan starts at the oldest record
        const whole = want?.from === undefined;
        let out: OutboxRecord[] = [];
        let first: OutboxRecord | undefined;
        if (!want) {
          const all = await seq.getAll(undefined, limit + (exclude ? exclude.size : 0));
          first = all[0];
          out = all.filter((r) => !exclude?.has(r['id'])).slice(0, limit);
        } else {
          // one destination's queue: walk oldest first past what it already has (another destination may be down)
          let cursor = await seq.openCursor(whole ? undefined : IDBKeyRange.lowerBound(want.from));
          first = cursor?.value;
          let skipped = true;
          for (; cursor && out.length < limit; cursor = await cursor.continue()) {
            const r = cursor.value;
            if (skipped) want.from = r['seq'];
            if (want(r)) (skipped = false), exclude?.has(r['id']) || out.push(r);
          }
        }
        // the oldest records were read: what this page knew of and is older than them was sent by another tab or dropped
        if (whole) for (const r of known) if (!first || bySeq(r, first) < 0) mirrorDelete(r['id']);
        out.forEach(mirrorSet);
        return out;
      });
    },
    remove: (ids) => (ids.forEach(mirrorDelete), ack(ids, none)),
    ack,
    pending: () => (sorted ||= [...mirror.values()].sort(bySeq)).slice(),
    clear(categories) {
      const hit = (r: OutboxRecord) => !categories || categories.includes(r['category']);
      for (const r of [...mirror.values()]) if (hit(r)) mirrorDelete(r['id']);
      return run(async (store, meta) => {
        const gone = (await store.getAll()).filter(hit);
        await settle(store, meta, gone.map((r) => r['id']), none, gone);
      });
    },
    count: () => run((store) => store.count()),
    takeDropped: () => meta<number>('dropped', () => 0).then((r) => r[0] || 0),
    async restoreDropped(n) {
      await meta<number>('dropped', (old) => (old || 0) + n);
    },
    getMeta: (key) => run((_, meta) => meta.get(key) as Promise<never>),
    updateMeta: (key, update) => meta(key, update).then((r) => r[1]),
    async close(destroy) {
      mirror.clear();
      sorted = undefined;
      db.close();
      if (destroy) await wrap(factory.deleteDatabase(name));
    },
  };
}
