/**
 * Moves outbox records to one or several destinations: batching, one flusher among tabs, per-destination queues and
 * backoff with jitter (one destination down never holds up another), bisecting bad batches and page-hide delivery
 * within the keepalive budget. Imports: types. Never stores events itself.
 */
import type { Destination, Send, SendResult } from '../transport/types';
import type { Outbox, OutboxRecord, Want } from './types';
import type { TabLock } from './tab-lock';

/** Keepalive bodies of one page share 64 KiB (Fetch spec); keep room for the batch wrapper and headers. */
export const UNLOAD_BUDGET_BYTES = 60 * 1024;
/** Per event on the wire beyond its stored size (`sentAt`, separators). */
const EVENT_OVERHEAD_BYTES = 64;
/** A record in this many failed sends in a row is set aside, so it no longer holds back the records behind it. */
export const SUSPECT_AFTER_FAILURES = 3;
/**
 * A set-aside record that fails alone this many times, each time after the destination took other records, is dropped
 * as poison (reason 'poison'). A flaky collector rarely fails one record that often in a row; a collector that is down
 * takes nothing, so it never makes a record poison.
 */
export const POISON_AFTER_FAILURES = 10;

export type FlushEventName = 'delivered' | 'retrying' | 'dropped';

/** What `emit` reports: event ids where known, and why for drops and retries. */
export interface FlushDetail {
  count: number;
  ids?: string[];
  /**
   * 'rejected' (collector refused single events), 'invalid' (bisected to one bad event), 'caps' (outbox limits),
   * 'poison' (one event answered 5xx again and again while the destination took the others).
   */
  reason?: string;
  status?: number;
  error?: string;
  retryInMs?: number;
  /** The destination, when there are several. */
  destination?: string;
}

// a type alias (not an interface) so it is assignable to core's Record<string, unknown>
export type FlusherStatus = {
  /** Records this page holds that are not acknowledged yet. */
  size: number;
  kind: Outbox['kind'];
  lastError?: string;
  /** Time to the next retry, 0 when none is pending, null while waiting for the `online` event. */
  retryInMs: number | null;
  /** Per destination, when there are several. */
  destinations?: Record<string, { lastError?: string; retryInMs: number }>;
};

export interface FlusherDeps {
  outbox: Outbox;
  /** Where the events go; `send` alone is one destination named 'touchpoint'. */
  destinations?: Destination[];
  send?: Send;
  lock: TabLock;
  emit?: (name: FlushEventName, detail: FlushDetail) => void;
  now?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (id: never) => void;
  /** Uniform [0, 1) for jitter. @defaultValue Math.random */
  random?: () => number;
  /** @defaultValue navigator.onLine (true when unknown) */
  isOnline?: () => boolean;
  /** Where `online` is listened for. @defaultValue globalThis */
  target?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  /** Most events per batch; reaching it flushes at once. @defaultValue 50 */
  batchSize?: number;
  /** Largest batch body. @defaultValue 500_000 */
  maxBatchBytes?: number;
  /** Wait after the first event of a burst, so one request carries the burst. @defaultValue 1000 */
  flushIntervalMs?: number;
  /** First backoff step; doubles per failure, fully jittered. @defaultValue 1000 */
  retryBaseMs?: number;
  /** Longest backoff. @defaultValue 300_000 */
  retryMaxMs?: number;
}

export interface Flusher {
  /** Tells the flusher that records were put; arms the burst timer or flushes at once when a batch is full. */
  notify(records: readonly OutboxRecord[]): void;
  /** Sends everything now (respecting backoff and the tab lock); never rejects. */
  flush(): Promise<void>;
  /** Page is hiding: sends this page's unacknowledged records by keepalive, within the 64 KiB budget. */
  pageHide(): void;
  /** Starts: listens for `online` and sends leftovers of earlier loads, oldest first. */
  start(): void;
  /** Stops timers and listeners; records stay in the outbox. */
  stop(): void;
  status(): FlusherStatus;
}

/**
 * Creates the flusher that drains the outbox into `send`.
 * Page hide sends without the tab lock: those records may be in flight from another tab's flush at the same moment,
 * which costs a duplicate request the collector dedups by messageId; normal flushes never overlap between tabs.
 * @example const flusher = createFlusher({ outbox, send, lock: createTabLock('touchpoint-flush', { store: outbox }) }); flusher.start();
 */
export function createFlusher(deps: FlusherDeps): Flusher {
  const { outbox, lock } = deps;
  const now = deps.now || Date.now;
  const isOnline = deps.isOnline || (() => globalThis.navigator?.onLine !== false);
  const target = deps.target || (globalThis as unknown as NonNullable<FlusherDeps['target']>);
  const batchSize = deps.batchSize || 50;
  const delayMs = deps.flushIntervalMs ?? 1000;

  const list = deps.destinations?.length ? deps.destinations : [{ name: 'touchpoint', send: deps.send! }];
  const takes = (d: Destination, r: OutboxRecord) => !d.categories || d.categories.includes(r['category']);
  const several = list.length > 1;
  const lanes: Lane[] = list.map((d) => ({
    d,
    attempt: 0,
    retryAt: 0,
    beaconed: new Set(),
    suspects: new Map(),
    oks: 0,
    // one destination taking everything keeps the plain path: read the oldest, delete what was acknowledged
    want: several ? (r) => (r['to'] ? r['to'].includes(d.name) : takes(d, r)) : d.categories && ((r) => takes(d, r)),
    // the other destinations whose queue holds the record
    remaining: several ? (r) => lanes.filter((o) => o.d != d && o.want!(r)).map((o) => o.d.name) : undefined,
  }));

  let stopped = true;
  let offline = false;
  let timer: unknown;
  let timerAt = 0;
  let running: Promise<void> | undefined;
  let again = false;
  let fresh = 0; // records notified since a flush last saw the outbox empty

  /** Tells the listener, naming the destination when there are several; a listener's bug must not stall delivery. */
  const emit = (name: FlushEventName, detail: FlushDetail, l?: Lane) => {
    try {
      deps.emit?.(name, several && l ? { ...detail, destination: l.d.name } : detail);
    } catch {}
  };
  const ids = (records: readonly OutboxRecord[]) => records.map((r) => r['id']);
  const events = (records: readonly OutboxRecord[]) => records.map((r) => r['event']);
  /** Emits `name` for these records, if any. */
  const report = (name: FlushEventName, records: OutboxRecord[], l: Lane, more?: Partial<FlushDetail>) =>
    records.length && emit(name, { count: records.length, ids: ids(records), ...more }, l);
  const cancel = () => {
    if (timer) (deps.clearTimeout || clearTimeout)(timer as never);
    timer = undefined;
  };
  const failed = (e: unknown, status: number): SendResult => ({ outcome: 'retry', status, error: String(e) });
  const goOffline = () => ((offline = true), cancel());
  /** Flushes at `at`, unless a timer is armed earlier. */
  const wake = (at: number) => {
    if (stopped || offline || (timer && timerAt <= at)) return;
    cancel();
    timerAt = at;
    timer = (deps.setTimeout || setTimeout)(() => {
      timer = undefined;
      void flush();
    }, Math.max(0, at - now()));
  };
  /** Flushes in `ms`, but never before the earliest destination's backoff ends. */
  const arm = (ms: number) => wake(Math.max(now() + ms, Math.min(...lanes.map((l) => l.retryAt))));
  const ready = (l: Lane) => now() >= l.retryAt;

  const onOnline = () => {
    offline = false;
    for (const l of lanes) l.attempt = l.retryAt = 0;
    void flush();
  };

  function backoff(l: Lane, res: SendResult, count: number): void {
    l.lastError = res.error || 'HTTP ' + res.status;
    // offline: retrying would only burn attempts; the online event resumes
    if (!res.status && !isOnline()) return goOffline();
    const step = Math.min(deps.retryMaxMs || 300_000, (deps.retryBaseMs || 1000) * 2 ** l.attempt++);
    const wait = Math.max((deps.random || Math.random)() * step, res.retryAfterMs || 0);
    wake((l.retryAt = now() + wait));
    emit('retrying', { count, status: res.status, error: l.lastError, retryInMs: wait }, l);
  }

  /** One destination is done with a batch: delivered except `bad`, which counts as dropped with `why`. */
  async function settle(l: Lane, batch: OutboxRecord[], bad: string[] = [], why?: Partial<FlushDetail>): Promise<void> {
    await (l.remaining ? outbox.ack(ids(batch), l.remaining) : outbox.remove(ids(batch)));
    for (const r of batch) l.beaconed.delete(r['id']);
    report('delivered', batch.filter((r) => !bad.includes(r['id'])), l);
    report('dropped', batch.filter((r) => bad.includes(r['id'])), l, why);
  }

  /** The collector took the batch, except the events it names as rejected. */
  const delivered = (l: Lane, batch: OutboxRecord[], res: SendResult) => settle(l, batch, res.rejected, { reason: 'rejected', status: res.status });

  /**
   * Sends one batch; a 'drop' answer bisects it so only truly bad events are lost. False means stop and wait.
   * `aside`: the batch is of set-aside records; a retry answer then bisects it too, once the destination took others.
   */
  async function deliver(l: Lane, batch: OutboxRecord[], dropped: number, aside?: boolean): Promise<boolean> {
    let res: SendResult;
    try {
      res = await l.d.send(events(batch), dropped ? { dropped } : undefined);
    } catch (e) {
      res = failed(e, 0);
    }
    const { outcome, status } = res;
    if (outcome == 'sent') {
      l.attempt = 0;
      l.oks++;
      l.lastError = undefined;
      for (const r of batch) l.suspects.delete(r['id']);
      await delivered(l, batch, res);
      if (dropped) emit('dropped', { count: dropped, reason: 'caps' });
      return true;
    }
    if (dropped) await outbox.restoreDropped(dropped);
    const half = batch.length >> 1;
    if (outcome == 'retry') {
      const known = batch.map((r) => l.suspects.get(r['id']) || { fails: 0, strikes: 0, oks: l.oks });
      // the destination took other records since these last failed: it works, so the fault is in these records
      const healthy = aside && known.every((s) => s.oks < l.oks);
      batch.forEach((r, i) => {
        const s = known[i];
        s.fails++;
        if (healthy && !half) s.strikes++;
        s.oks = l.oks;
        l.suspects.set(r['id'], s);
      });
      if (healthy && !half && known[0].strikes >= POISON_AFTER_FAILURES) {
        l.suspects.delete(batch[0]['id']);
        return await settle(l, batch, ids(batch), { reason: 'poison', status, error: res.error }), true;
      }
      backoff(l, res, batch.length);
      if (!healthy || !half) return false;
      // each half on its own, the second not held back by the first
      const first = await deliver(l, batch.slice(0, half), 0, true);
      return (await deliver(l, batch.slice(half), 0, true)) && first;
    }
    // one event this destination will never take; the others still get it
    if (!half) return await settle(l, batch, ids(batch), { reason: 'invalid', status, error: res.error }), true;
    return (await deliver(l, batch.slice(0, half), 0)) && deliver(l, batch.slice(half), 0);
  }

  /** Drains one destination's queue oldest first, the set-aside records last; true when it found the queue empty. */
  async function drainLane(l: Lane): Promise<boolean> {
    while (!stopped && !offline && ready(l)) {
      const aside = new Set<string>();
      for (const [id, s] of l.suspects) if (s.fails >= SUSPECT_AFTER_FAILURES) aside.add(id);
      const batch = await outbox.peek(batchSize, aside, l.want);
      if (!batch.length) {
        if (!aside.size) return true;
        // what this page no longer holds was delivered by another tab or cut by the caps
        const held = outbox.pending().filter((r) => aside.has(r['id']));
        for (const id of aside) if (!held.some((r) => r['id'] == id)) l.suspects.delete(id);
        if (!held.length) continue;
        if (!(await deliver(l, held.slice(0, batchSize), 0, true))) return false;
        continue;
      }
      let n = 0;
      let bytes = 0;
      while (n < batch.length && ((bytes += batch[n]['bytes']) <= (deps.maxBatchBytes || 500_000) || !n)) n++;
      // the cap-dropped count rides on the first destination's wire format
      if (!(await deliver(l, batch.slice(0, n), l == lanes[0] ? await outbox.takeDropped() : 0))) return false;
    }
    return false;
  }

  /** Drains every destination at once while holding the tab lock; a slow or failing one never holds up the others. */
  async function drain(): Promise<void> {
    const seen = fresh;
    if ((await Promise.all(lanes.map(drainLane))).every(Boolean)) fresh -= seen;
    // destinations still backing off (a repeated flush cancelled the timer): wake up when the first wait ends
    const waits = lanes.filter((l) => !ready(l)).map((l) => l.retryAt);
    if (waits.length) wake(Math.min(...waits));
  }

  function flush(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    const loop = async () => {
      do {
        again = false;
        if (stopped) return;
        if (!isOnline()) return goOffline();
        cancel();
        try {
          // another tab is flushing; it may send our records too, but check back while we still have some
          if (!(await lock.run(drain)) && fresh > 0) arm(delayMs);
        } catch (e) {
          backoff(lanes[0], failed(e, -1), 0);
        }
      } while (again);
    };
    return (running = loop().finally(() => (running = undefined)));
  }

  return {
    notify(records) {
      // an event of a category no destination receives has nowhere to go: it must not wait for the age cap
      const stray = records.filter((r) => !list.some((d) => takes(d, r)));
      if (stray.length) void outbox.remove(ids(stray));
      fresh += records.length - stray.length;
      if (!offline && lanes.some(ready) && outbox.pending().length >= batchSize) void flush();
      else arm(delayMs);
    },
    flush,
    pageHide() {
      if (!isOnline()) return;
      let total = 0;
      /** Sends the chunk if its real body fits what is left of the budget, else its halves; fire and forget. */
      const fit = (l: Lane, chunk: OutboxRecord[]): void => {
        const half = chunk.length >> 1;
        const size = chunk.length && (l.d.measure ? l.d.measure(events(chunk)) : chunk.reduce((n, r) => n + r['bytes'] + EVENT_OVERHEAD_BYTES, 0));
        if (!size || size == Infinity) return;
        if (total + size > UNLOAD_BUDGET_BYTES) return void (half && (fit(l, chunk.slice(0, half)), fit(l, chunk.slice(half))));
        total += size;
        for (const r of chunk) l.beaconed.add(r['id']);
        // a confirmed 2xx (keepalive fetch answered) acknowledges, a beacon (status 0) does not
        l.d.send(events(chunk), { unload: true })
          .then((res): unknown => res.outcome == 'sent' && res.status >= 200 && res.status < 300 && delivered(l, chunk, res))
          .catch(() => {});
      };
      const pending = outbox.pending();
      // the first destination gets the budget first; what is not sent now goes on the next load
      for (const l of lanes) {
        let chunk: OutboxRecord[] = [];
        let guess = total;
        for (const r of pending) {
          const size = r['bytes'] + EVENT_OVERHEAD_BYTES;
          // skip what does not fit but keep trying smaller ones
          if (l.beaconed.has(r['id']) || (l.want && !l.want(r)) || guess + size > UNLOAD_BUDGET_BYTES) continue;
          guess += size;
          chunk.push(r);
          if (chunk.length == batchSize) fit(l, chunk), (chunk = []);
        }
        fit(l, chunk);
      }
    },
    start() {
      if (!stopped) return;
      stopped = false;
      target.addEventListener?.('online', onOnline);
      void flush();
    },
    stop() {
      stopped = true;
      cancel();
      target.removeEventListener?.('online', onOnline);
    },
    status() {
      const info = (l: Lane) => ({ lastError: l.lastError, retryInMs: Math.max(0, l.retryAt - now()) });
      return {
        size: outbox.pending().length,
        kind: outbox.kind,
        ...info(lanes.find((l) => l.lastError) || lanes[0]),
        ...(offline && { retryInMs: null }),
        ...(several && { destinations: Object.fromEntries(lanes.map((l) => [l.d.name, info(l)])) }),
      };
    },
  };
}

/** One destination's queue state inside the flusher. */
interface Lane {
  d: Destination;
  attempt: number;
  retryAt: number;
  lastError?: string;
  /** Sent on page hide and not yet acknowledged. */
  beaconed: Set<string>;
  /** Records in failed sends: how many in a row, how many alone after others were taken (strikes), and `oks` then. */
  suspects: Map<string, { fails: number; strikes: number; oks: number }>;
  /** Batches this destination took, so a failure can tell a working destination from one that is down. */
  oks: number;
  /** Which records are in this destination's queue (and where its scan resumes); all when undefined. */
  want?: Want;
  /** Destinations still waiting once this one acknowledged; undefined deletes at once (the only destination). */
  remaining?: (r: OutboxRecord) => string[];
}
