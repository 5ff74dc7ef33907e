import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journaled, JOURNAL_MAX_CHARS, JOURNAL_ORPHAN_MS } from '../../../src/outbox/journal';
import { openIdbOutbox } from '../../../src/outbox/idb-outbox';
import type { Outbox } from '../../../src/outbox/types';
import { dbName, rec, recs } from './helpers';

const journalKeys = () => Object.keys(localStorage).filter((k) => k.startsWith('tp_j.'));

/** An outbox whose writes never commit: what a tab that closes or crashes mid-transaction leaves behind. */
function neverCommits(inner: Outbox): Outbox {
  return { ...inner, kind: inner.kind, put: () => new Promise<void>(() => {}) };
}

let clock = 1_000_000;
const now = () => clock;
// no Web Locks in happy-dom: take-overs run without the lock, as in a context without them
const base = { locks: null, now, setTimeout: (fn: () => void) => void queueMicrotask(fn) } as const;

beforeEach(() => {
  localStorage.clear();
  clock = 1_000_000;
});
afterEach(() => localStorage.clear());

describe('journaled outbox', () => {
  it('journals a write synchronously and drops the entry once IndexedDB committed it', async () => {
    const outbox = await journaled(await openIdbOutbox({ dbName: dbName() }), base);
    const done = outbox.put(recs(3));
    // synchronously, before the transaction could commit
    expect(journalKeys()).toHaveLength(1);
    expect(JSON.parse(localStorage.getItem(journalKeys()[0])!).records.map((r: { id: string }) => r.id)).toEqual(['r0', 'r1', 'r2']);
    await done;
    expect(journalKeys()).toEqual([]);
    expect(await outbox.count()).toBe(3);
  });

  it('the next page takes over the writes of a hidden page that never committed, at once', async () => {
    const name = dbName();
    const target = new EventTarget();
    const first = await journaled(neverCommits(await openIdbOutbox({ dbName: name })), { ...base, target });
    void first.put(recs(2));
    void first.put([rec('late', 9)]);
    target.dispatchEvent(new Event('pagehide'));
    expect(journalKeys()).toHaveLength(3); // two entries and the page's hidden mark

    const next = await journaled(await openIdbOutbox({ dbName: name }), base);
    expect((await next.peek(10)).map((r) => r.id)).toEqual(['r0', 'r1', 'late']);
    expect(journalKeys()).toEqual([]);
  });

  it('a page that crashed (no hidden mark) is taken over once its entry is older than a live write could take', async () => {
    const name = dbName();
    const crashed = await journaled(neverCommits(await openIdbOutbox({ dbName: name })), base);
    void crashed.put(recs(2));

    let retry: (() => void) | undefined;
    const next = await journaled(await openIdbOutbox({ dbName: name }), { ...base, setTimeout: (fn: () => void, ms: number) => void (ms > 100 ? (retry = fn) : fn()) });
    const taken: string[][] = [];
    next.taken!((records) => taken.push(records.map((r) => r.id)));
    // young: perhaps a live tab still committing it, so it stays for now
    expect(await next.count()).toBe(0);
    expect(journalKeys()).toHaveLength(1);
    clock += JOURNAL_ORPHAN_MS + 1;
    retry!();
    await new Promise((r) => setTimeout(r, 50));
    expect((await next.peek(10)).map((r) => r.id)).toEqual(['r0', 'r1']);
    expect(journalKeys()).toEqual([]);
    // delivery hears of the late take-over, so it does not wait for the next event to send it
    expect(taken).toEqual([['r0', 'r1']]);
  });

  it('back from the back/forward cache a page is alive again: its hidden mark goes', async () => {
    const target = new EventTarget();
    const outbox = await journaled(neverCommits(await openIdbOutbox({ dbName: dbName() })), { ...base, target });
    void outbox.put(recs(1));
    target.dispatchEvent(new Event('pagehide'));
    expect(journalKeys()).toHaveLength(2);
    target.dispatchEvent(new Event('pageshow'));
    expect(journalKeys()).toHaveLength(1);
  });

  it('a withdrawal deletes the journaled events of its categories, of every page; a destroy deletes them all', async () => {
    const name = dbName();
    const a = await journaled(neverCommits(await openIdbOutbox({ dbName: name })), base);
    void a.put([rec('s1', 1, { category: 'analytics' }), rec('m1', 2, { category: 'marketing' })]);
    void a.put([rec('m2', 3, { category: 'marketing' })]);
    const b = await journaled(await openIdbOutbox({ dbName: name }), base);
    await b.clear(['marketing']);
    const left = journalKeys().map((k) => JSON.parse(localStorage.getItem(k)!).records.map((r: { id: string }) => r.id));
    expect(left).toEqual([['s1']]);
    await b.close(true);
    expect(journalKeys()).toEqual([]);
  });

  it('storage full or refused: the write still goes to IndexedDB and the skip is told once', async () => {
    const reasons: string[] = [];
    const full = { ...localStorage, length: 0, key: () => null, setItem: () => { throw new DOMException('full', 'QuotaExceededError'); }, removeItem: () => {} } as unknown as Storage;
    const outbox = await journaled(await openIdbOutbox({ dbName: dbName() }), { ...base, storage: full, onSkip: (r) => reasons.push(r) });
    await outbox.put(recs(2));
    await outbox.put(recs(2, 2));
    expect(await outbox.count()).toBe(4);
    expect(reasons).toEqual(['QuotaExceededError']);
  });

  it('never holds more than JOURNAL_MAX_CHARS: a write beyond it is not journaled', async () => {
    const reasons: string[] = [];
    const outbox = await journaled(neverCommits(await openIdbOutbox({ dbName: dbName() })), { ...base, onSkip: (r) => reasons.push(r) });
    void outbox.put(recs(1, 0, { pad: JOURNAL_MAX_CHARS - 2000 }));
    void outbox.put(recs(1, 1, { pad: 5000 }));
    expect(journalKeys()).toHaveLength(1);
    expect(reasons).toEqual(['journal full']);
  });
});
