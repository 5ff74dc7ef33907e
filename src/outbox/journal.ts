/**
 * A synchronous write-ahead journal in localStorage in front of the IndexedDB outbox: a put is journaled before its
 * transaction starts and unjournaled once it committed, so a page that closes, reloads or crashes before its write
 * commits leaves its records where the next page takes them over. Imports: types, util. Never sends; used only after
 * consent (the outbox opens only then).
 */
import type { Outbox, OutboxRecord } from './types';
import { uuid } from '../util/ids';

/** localStorage keys of journal entries, `tp_j.<page>.<n>`; `tp_j.<page>` alone marks a page that was hidden. */
const PREFIX = 'tp_j.';
/** Most characters the journal may hold (~2 MB of localStorage, whose origin quota the site shares). */
export const JOURNAL_MAX_CHARS = 1_000_000;
/**
 * An entry this old is taken over even though its page left no hidden mark (it crashed): a live page's write had all
 * that time to commit. No lock marks a live page instead: a page holding a Web Lock loses the back/forward cache.
 */
export const JOURNAL_ORPHAN_MS = 5000;
/** Longest start-up wait for the take-over of earlier pages' entries. */
const ADOPT_WAIT_MS = 1000;
/** Retries of a take-over that met entries of pages that may still be alive. */
const ADOPT_RETRIES_MS = [1000, 3000, 6000];

/** One journal entry as stored; names are quoted so a minifier never mangles them. */
interface Entry {
  'at': number;
  'records': OutboxRecord[];
}

export interface JournalOptions {
  /** @defaultValue globalThis.localStorage (none when it is missing or throws) */
  storage?: Storage | null;
  /** Serialises take-overs between pages. @defaultValue navigator.locks */
  locks?: LockManager | null;
  /** Where `pagehide` and `pageshow` are listened for. @defaultValue globalThis */
  target?: Pick<EventTarget, 'addEventListener'>;
  /** Clock, epoch ms. @defaultValue Date.now */
  now?: () => number;
  /** Told once when an entry could not be written (quota, size, storage off). */
  onSkip?: (reason: string) => void;
  setTimeout?: (fn: () => void, ms: number) => unknown;
}

/**
 * Wraps `inner` (the IndexedDB outbox) so its writes are journaled until committed, and takes over the entries of pages
 * that are gone into `inner` (now, and again shortly after when some owners were still alive). Same contract as `inner`.
 * @example const outbox = await journaled(await openIdbOutbox());
 */
export async function journaled(inner: Outbox, options: JournalOptions = {}): Promise<Outbox> {
  const now = options.now || Date.now;
  let storage: Storage | null | undefined = options.storage;
  if (storage === undefined) {
    try {
      storage = globalThis.localStorage;
    } catch {}
  }
  const locks = options.locks === undefined ? globalThis.navigator?.locks : options.locks;
  const page = uuid();
  let n = 0;
  let chars = 0;
  let skipped = false;
  const sizes = new Map<string, number>();
  let listener: ((records: OutboxRecord[]) => void) | undefined;
  const mark = PREFIX + page;
  const ownerOf = (key: string) => key.slice(PREFIX.length).split('.')[0];
  const safely = (fn: () => void) => {
    try {
      fn();
    } catch {}
  };
  // a hidden page may never run again (closed, reloaded): its entries are free to take at once; back from the
  // back/forward cache it is alive again (a copy another page took meanwhile is deduplicated by messageId)
  const target = options.target || globalThis;
  target.addEventListener?.('pagehide', () => sizes.size && safely(() => storage!.setItem(mark, '1')));
  target.addEventListener?.('pageshow', () => safely(() => storage!.removeItem(mark)));

  const keys = () => {
    const out: string[] = [];
    try {
      for (let i = 0; i < storage!.length; i++) {
        const k = storage!.key(i);
        if (k && k.startsWith(PREFIX)) out.push(k);
      }
    } catch {}
    return out;
  };
  const drop = (key: string) => {
    chars -= sizes.get(key) || 0;
    sizes.delete(key);
    safely(() => storage!.removeItem(key));
  };
  /** An entry, or undefined when it is a mark, gone or unreadable. */
  const read = (key: string): Entry | undefined => {
    try {
      const entry = JSON.parse(storage!.getItem(key) || 'null');
      if (entry && Array.isArray(entry['records'])) return entry;
    } catch {}
  };
  const skip = (reason: string) => {
    if (!skipped) options.onSkip?.(reason);
    skipped = true;
  };

  /** Journals `records` synchronously; the key to drop once they committed, or undefined when not journaled. */
  const write = (records: OutboxRecord[]) => {
    if (!storage) return;
    const value = JSON.stringify({ 'at': now(), 'records': records } satisfies Entry);
    if (chars + value.length > JOURNAL_MAX_CHARS) return void skip('journal full');
    const key = PREFIX + page + '.' + n++;
    try {
      storage.setItem(key, value);
    } catch (e) {
      return void skip(String((e as Error)?.name || e));
    }
    chars += value.length;
    sizes.set(key, value.length);
    return key;
  };

  /** Moves orphaned entries (their page is gone) into `inner`; true when some were left because their page may live. */
  const adopt = async (): Promise<boolean> => {
    const all = keys().filter((k) => ownerOf(k) != page);
    const hidden = new Set(all.filter((k) => k.indexOf('.', PREFIX.length) < 0).map(ownerOf));
    const records: OutboxRecord[] = [];
    const taken: string[] = [];
    let left = false;
    for (const key of all) {
      if (key.indexOf('.', PREFIX.length) < 0) continue;
      const entry = read(key);
      if (entry && !hidden.has(ownerOf(key)) && now() - entry['at'] <= JOURNAL_ORPHAN_MS) {
        left = true;
        continue;
      }
      if (entry) records.push(...entry['records'].filter((r) => r && r['id'] && r['event']));
      taken.push(key);
    }
    // a record put again replaces the stored one (same messageId); the collector drops a copy already delivered
    if (records.length) await inner.put(records);
    if (records.length) listener?.(records);
    taken.forEach(drop);
    // a hidden page's entries were all taken, so its mark goes too
    for (const owner of hidden) drop(PREFIX + owner);
    return left;
  };
  const schedule = options.setTimeout || setTimeout;
  const retry = (i: number) =>
    i < ADOPT_RETRIES_MS.length &&
    schedule(() => void adoptLocked().then((left) => left && retry(i + 1), () => {}), ADOPT_RETRIES_MS[i]);
  // one page at a time takes over, so two pages opening together do not both re-put the same entries
  const adoptLocked = (): Promise<boolean> =>
    (locks ? (locks.request('touchpoint-adopt', adopt) as unknown as Promise<boolean>) : adopt()).catch(() => false);

  // start-up waits for the take-over, so the first flush carries it, but never long: a wedged store must not stall us
  const first = storage ? adoptLocked() : Promise.resolve(false);
  void first.then((left) => left && retry(0));
  await Promise.race([first, new Promise<void>((r) => schedule(() => r(), ADOPT_WAIT_MS))]);

  /** Rewrites or drops every page's entries whose records `keep` refuses (a withdrawal of their categories). */
  const prune = (keep: (r: OutboxRecord) => boolean) => {
    for (const key of keys()) {
      const entry = read(key);
      const rest = entry ? entry['records'].filter(keep) : [];
      if (!rest.length) drop(key);
      else if (rest.length < entry!['records'].length) safely(() => storage!.setItem(key, JSON.stringify({ 'at': entry!['at'], 'records': rest })));
    }
  };

  return {
    ...inner,
    get kind() {
      return inner.kind;
    },
    taken: (fn) => void (listener = fn),
    put(records) {
      if (!records.length) return inner.put(records);
      const key = write(records);
      return inner.put(records).then(() => void (key && drop(key)));
    },
    async clear(categories) {
      // a withdrawal is total: entries of every page go, not only this one's
      if (storage) prune((r) => !!categories && !categories.includes(r['category']));
      await inner.clear(categories);
    },
    async close(destroy) {
      if (destroy && storage) prune(() => false);
      await inner.close(destroy);
    },
  };
}
