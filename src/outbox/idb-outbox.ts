/**
 * Durable outbox in IndexedDB (via idb): write-ahead records, caps, the dropped counter and a small meta store.
 * Imports: idb, caps, types. Never sends, never awaits anything but IndexedDB inside a transaction (STYLE rule 11).
 */
import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { bySeq, capsCut, resolveCaps } from './caps';
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
  const request = factory.open(name, UPGRADES.length);
  request.onupgradeneeded = (e) => {
    for (let v = e.oldVersion; v < UPGRADES.length; v++) UPGRADES[v](request.result, request.transaction!);
  };
  request.onblocked = () => options.onBlocked?.();
  const db = (await wrap(request)) as unknown as IDBPDatabase<Schema>;
  // let another tab's upgrade or delete proceed; our later calls reject and the wrapper falls back to memory
  db.addEventListener('versionchange', () => db.close());

  const write = () => db.transaction(STORES, 'readwrite') as Tx;

  async function trim(tx: Tx): Promise<OutboxRecord[]> {
    const store = tx.objectStore('outbox');
    const list = await store.index('seq').getAll();
    const cut = capsCut(list, caps, now());
    if (cut) {
      const meta = tx.objectStore('meta');
      await Promise.all([
        ...list.slice(0, cut).map((r) => (mirror.delete(r['id']), store.delete(r['id']))),
        meta.get('dropped').then((n) => meta.put(((n as number) || 0) + cut, 'dropped')),
      ]);
    }
    return list.slice(cut);
  }

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
      for (const r of list) mirror.set(r['id'], r);
      const tx = write();
      const store = tx.objectStore('outbox');
      await Promise.all([...list.map((r) => store.put(r)), trim(tx), tx.done]);
    },
    async peek(limit, exclude) {
      const known = [...mirror.keys()];
      const tx = write();
      const [kept] = await Promise.all([trim(tx), tx.done]);
      // the whole store was read: what this page knew of and is gone now was sent by another tab or dropped
      const ids = new Set(kept.map((r) => r['id']));
      for (const id of known) if (!ids.has(id)) mirror.delete(id);
      const out = kept.filter((r) => !exclude?.has(r['id'])).slice(0, limit);
      for (const r of out) mirror.set(r['id'], r);
      return out;
    },
    async remove(ids) {
      for (const id of ids) mirror.delete(id);
      const tx = db.transaction('outbox', 'readwrite');
      await Promise.all([...ids.map((id) => tx.store.delete(id)), tx.done]);
    },
    pending: () => [...mirror.values()].sort(bySeq),
    async clear(categories) {
      for (const r of mirror.values()) if (!categories || categories.includes(r['category'])) mirror.delete(r['id']);
      const tx = db.transaction('outbox', 'readwrite');
      const ops: Promise<unknown>[] = [tx.done];
      if (!categories) ops.push(tx.store.clear());
      else for (const r of await tx.store.getAll()) if (categories.includes(r['category'])) ops.push(tx.store.delete(r['id']));
      await Promise.all(ops);
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
      db.close();
      if (destroy) await wrap(factory.deleteDatabase(name));
    },
  };
}
