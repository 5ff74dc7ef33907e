/**
 * Durable outbox in IndexedDB (via idb): write-ahead records, caps, the dropped counter and a small meta store.
 * Imports: idb, caps, types. Never sends, never awaits anything but IndexedDB inside a transaction (STYLE rule 11).
 */
import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { bySeq, resolveCaps } from './caps';
import type { Outbox, OutboxCaps, OutboxRecord } from './types';

interface Schema extends DBSchema {
  'outbox': { key: string; value: OutboxRecord; indexes: { 'seq': number } };
  'meta': { key: string; value: unknown };
}
type Tx = IDBPTransaction<Schema, ('outbox' | 'meta')[], 'readwrite'>;

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

const STORES = ['outbox', 'meta'] as const;

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
  const request = factory.open(name, UPGRADES.length);
  request.onupgradeneeded = (e) => {
    for (let v = e.oldVersion; v < UPGRADES.length; v++) UPGRADES[v](request.result, request.transaction!);
  };
  request.onblocked = () => options.onBlocked?.();
  const db = (await wrap(request)) as unknown as IDBPDatabase<Schema>;
  // let another tab's upgrade or delete proceed; our later calls reject and the wrapper falls back to memory
  db.addEventListener('versionchange', () => db.close());

  const write = () => db.transaction(STORES, 'readwrite') as Tx;

  /**
   * Applies the caps oldest first without reading the whole store: the count comes from `count()`, the bytes from a
   * running total kept in meta ('bytes', adjusted in the same transaction as every write), and a cursor on `seq`
   * deletes from the oldest end only while a cap is exceeded. `delta` is what the caller's writes added.
   */
  async function trim(tx: Tx, delta = 0): Promise<void> {
    const store = tx.objectStore('outbox');
    const meta = tx.objectStore('meta');
    const [count, known] = await Promise.all([store.count(), meta.get('bytes') as Promise<number | undefined>]);
    // first use of a database without the running total: sum it once
    let bytes = known === undefined ? (await store.getAll()).reduce((n, r) => n + r['bytes'], 0) : known + delta;
    const t = now();
    const ops: Promise<unknown>[] = [];
    let cut = 0;
    let cursor = await store.index('seq').openCursor();
    while (cursor && (t - cursor.value['createdAt'] > caps.maxAgeMs || count - cut > caps.maxCount || bytes > caps.maxBytes)) {
      bytes -= cursor.value['bytes'];
      cut++;
      mirrorDelete(cursor.value['id']);
      ops.push(cursor.delete());
      cursor = await cursor.continue();
    }
    ops.push(meta.put(bytes, 'bytes'));
    if (cut) ops.push(meta.get('dropped').then((n) => meta.put(((n as number) || 0) + cut, 'dropped')));
    await Promise.all(ops);
  }

  /** Adds `delta` to the running byte total, when there is one yet (trim computes it otherwise). */
  async function addBytes(tx: Tx, delta: number): Promise<void> {
    const meta = tx.objectStore('meta');
    const known = (await meta.get('bytes')) as number | undefined;
    if (known !== undefined && delta) await meta.put(Math.max(0, known + delta), 'bytes');
  }

  /** Bytes of the stored records with these ids (0 for ids not stored). */
  const storedBytes = (tx: Tx, ids: string[]) =>
    Promise.all(ids.map((id) => tx.objectStore('outbox').get(id))).then((list) => list.reduce((n, r) => n + (r ? r['bytes'] : 0), 0));

  async function rmw<T>(key: string, update: (old: T | undefined) => T): Promise<[T | undefined, T]> {
    const tx = db.transaction('meta', 'readwrite');
    const old = (await tx.store.get(key)) as T | undefined;
    const next = update(old);
    await Promise.all([tx.store.put(next, key), tx.done]);
    return [old, next];
  }

  return {
    kind: 'indexeddb',
    async put(list) {
      if (!list.length) return;
      for (const r of list) mirrorSet(r);
      const tx = write();
      const store = tx.objectStore('outbox');
      const writeAll = async () => {
        // a record put again replaces the stored one, so only the difference counts
        const replaced = await storedBytes(tx, list.map((r) => r['id']));
        await Promise.all(list.map((r) => store.put(r)));
        await trim(tx, list.reduce((n, r) => n + r['bytes'], 0) - replaced);
      };
      await Promise.all([writeAll(), tx.done]);
    },
    async peek(limit, exclude, want) {
      const known = [...mirror.values()];
      const tx = write();
      /** [whether the scan started at the oldest record, that record, the records for the caller] */
      const read = async (): Promise<[boolean, OutboxRecord | undefined, OutboxRecord[]]> => {
        await trim(tx);
        const seq = tx.objectStore('outbox').index('seq');
        if (!want) {
          const all = await seq.getAll(undefined, limit + (exclude ? exclude.size : 0));
          return [true, all[0], all.filter((r) => !exclude?.has(r['id'])).slice(0, limit)];
        }
        // one destination's queue: walk oldest first past what it already has (another destination may be down)
        const out: OutboxRecord[] = [];
        const whole = want.from === undefined;
        let cursor = await seq.openCursor(whole ? undefined : IDBKeyRange.lowerBound(want.from));
        const first = cursor?.value;
        let skipped = true;
        for (; cursor && out.length < limit; cursor = await cursor.continue()) {
          const r = cursor.value;
          if (skipped) want.from = r['seq'];
          if (want(r)) (skipped = false), exclude?.has(r['id']) || out.push(r);
        }
        return [whole, first, out];
      };
      const [[whole, first, out]] = await Promise.all([read(), tx.done]);
      // the oldest records were read: what this page knew of and is older than them was sent by another tab or dropped
      if (whole) for (const r of known) if (!first || bySeq(r, first) < 0) mirrorDelete(r['id']);
      for (const r of out) mirrorSet(r);
      return out;
    },
    async remove(ids) {
      for (const id of ids) mirrorDelete(id);
      const tx = write();
      const del = async () => {
        const freed = await storedBytes(tx, ids);
        await Promise.all(ids.map((id) => tx.objectStore('outbox').delete(id)));
        await addBytes(tx, -freed);
      };
      await Promise.all([del(), tx.done]);
    },
    async ack(ids, remaining) {
      const tx = write();
      const store = tx.objectStore('outbox');
      const update = async () => {
        const list = await Promise.all(ids.map((id) => store.get(id)));
        let freed = 0;
        const ops: Promise<unknown>[] = [];
        list.forEach((r, i) => {
          const to = r && remaining(r);
          if (!to?.length) {
            mirrorDelete(ids[i]);
            if (r) (freed += r['bytes']), ops.push(store.delete(ids[i]));
            return;
          }
          const next = { ...r!, 'to': to };
          if (mirror.has(ids[i])) mirrorSet(next);
          ops.push(store.put(next));
        });
        await Promise.all(ops);
        await addBytes(tx, -freed);
      };
      await Promise.all([update(), tx.done]);
    },
    pending: () => (sorted ||= [...mirror.values()].sort(bySeq)).slice(),
    async clear(categories) {
      for (const r of [...mirror.values()]) if (!categories || categories.includes(r['category'])) mirrorDelete(r['id']);
      const tx = write();
      const store = tx.objectStore('outbox');
      const wipe = async () => {
        if (!categories) return Promise.all([store.clear(), tx.objectStore('meta').put(0, 'bytes')]);
        const gone = (await store.getAll()).filter((r) => categories.includes(r['category']));
        await Promise.all(gone.map((r) => store.delete(r['id'])));
        await addBytes(tx, -gone.reduce((n, r) => n + r['bytes'], 0));
      };
      await Promise.all([wipe(), tx.done]);
    },
    count: () => db.count('outbox'),
    async takeDropped() {
      return ((await rmw<number>('dropped', () => 0))[0]) || 0;
    },
    async restoreDropped(n) {
      if (n) await rmw<number>('dropped', (old) => (old || 0) + n);
    },
    getMeta: (key) => db.get('meta', key) as Promise<never>,
    async updateMeta(key, update) {
      return (await rmw(key, update))[1];
    },
    async close(destroy) {
      mirror.clear();
      sorted = undefined;
      db.close();
      if (destroy) await wrap(factory.deleteDatabase(name));
    },
  };
}
