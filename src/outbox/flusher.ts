/**
 * Moves outbox records to the collector: batching, one flusher among tabs, backoff with jitter, bisecting bad
 * batches and page-hide delivery within the keepalive budget. Imports: types. Never stores events itself.
 */
import type { Send, SendResult } from '../transport/types';
import type { Outbox, OutboxRecord } from './types';
import type { TabLock } from './tab-lock';

/** Keepalive bodies of one page share 64 KiB (Fetch spec); keep room for the batch wrapper and headers. */
export const UNLOAD_BUDGET_BYTES = 60 * 1024;
/** Per event on the wire beyond its stored size (`sentAt`, separators). */
const EVENT_OVERHEAD_BYTES = 64;

export type FlushEventName = 'delivered' | 'retrying' | 'dropped';

/** What `emit` reports: event ids where known, and why for drops and retries. */
export interface FlushDetail {
  count: number;
  ids?: string[];
  /** 'rejected' (collector refused single events), 'invalid' (bisected to one bad event), 'caps' (outbox limits). */
  reason?: string;
  status?: number;
  error?: string;
  retryInMs?: number;
}

// a type alias (not an interface) so it is assignable to core's Record<string, unknown>
export type FlusherStatus = {
  /** Records this page holds that are not acknowledged yet. */
  size: number;
  kind: Outbox['kind'];
  lastError?: string;
  /** Time to the next retry, 0 when none is pending, null while waiting for the `online` event. */
  retryInMs: number | null;
};

export interface FlusherDeps {
  outbox: Outbox;
  send: Send;
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
  const { outbox, send, lock } = deps;
  const emit: NonNullable<FlusherDeps['emit']> = (name, detail) => {
    try {
      deps.emit?.(name, detail);
    } catch {
      // a listener's bug must not stall delivery
    }
  };
  const now = deps.now || Date.now;
  const random = deps.random || Math.random;
  const isOnline = deps.isOnline || (() => typeof navigator == 'undefined' || navigator.onLine !== false);
  const target = deps.target || (globalThis as unknown as FlusherDeps['target']);
  const batchSize = deps.batchSize || 50;
  const maxBatchBytes = deps.maxBatchBytes || 500_000;
  const delayMs = deps.flushIntervalMs ?? 1000;
  const baseMs = deps.retryBaseMs || 1000;
  const maxMs = deps.retryMaxMs || 300_000;

  let stopped = true;
  let offline = false;
  let attempt = 0;
  let retryAt = 0;
  let timer: unknown;
  let timerAt = 0;
  let running: Promise<void> | undefined;
  let again = false;
  let fresh = 0; // records notified since a flush last saw the outbox empty
  let lastError: string | undefined;
  const beaconed = new Set<string>();

  const cancel = () => {
    if (timer) (deps.clearTimeout || clearTimeout)(timer as never);
    timer = undefined;
  };
  /** Flushes in `ms`, but never before the backoff ends and never earlier than an armed timer. */
  const arm = (ms: number) => {
    const at = Math.max(now() + ms, retryAt);
    if (stopped || offline || (timer && timerAt <= at)) return;
    cancel();
    timerAt = at;
    timer = (deps.setTimeout || setTimeout)(() => {
      timer = undefined;
      void flush();
    }, at - now());
  };

  const ids = (list: readonly OutboxRecord[]) => list.map((r) => r['id']);

  const onOnline = () => {
    offline = false;
    attempt = retryAt = 0;
    void flush();
  };

  function backoff(res: SendResult, count: number): void {
    lastError = res.error || 'HTTP ' + res.status;
    if (!res.status && !isOnline()) {
      // offline: retrying would only burn attempts; the online event resumes
      offline = true;
      cancel();
      return;
    }
    const wait = Math.max(random() * Math.min(maxMs, baseMs * 2 ** attempt++), res.retryAfterMs || 0);
    retryAt = now() + wait;
    arm(0);
    emit('retrying', { count, status: res.status, error: lastError, retryInMs: wait });
  }

  /** Acknowledges a delivered batch: everything leaves the outbox, the collector's rejections as drops. */
  async function settle(batch: readonly OutboxRecord[], res: SendResult): Promise<void> {
    await outbox.remove(ids(batch));
    const bad = new Set(res.rejected);
    const ok = batch.filter((r) => !bad.has(r['id']));
    const rejected = batch.filter((r) => bad.has(r['id']));
    for (const r of batch) beaconed.delete(r['id']);
    if (ok.length) emit('delivered', { count: ok.length, ids: ids(ok) });
    if (rejected.length) emit('dropped', { count: rejected.length, ids: ids(rejected), reason: 'rejected', status: res.status });
  }

  /** Sends one batch; a 'drop' answer bisects it so only truly bad events are lost. False means stop and wait. */
  async function deliver(batch: OutboxRecord[], dropped: number): Promise<boolean> {
    let res: SendResult;
    try {
      res = await send(batch.map((r) => r['event']), dropped ? { dropped } : undefined);
    } catch (e) {
      res = { outcome: 'retry', status: 0, error: String(e) };
    }
    if (res.outcome == 'sent') {
      attempt = 0;
      lastError = undefined;
      await settle(batch, res);
      if (dropped) emit('dropped', { count: dropped, reason: 'caps' });
      return true;
    }
    if (dropped) await outbox.restoreDropped(dropped);
    if (res.outcome == 'retry') return backoff(res, batch.length), false;
    if (batch.length == 1) {
      await outbox.remove(ids(batch));
      emit('dropped', { count: 1, ids: ids(batch), reason: 'invalid', status: res.status, error: res.error });
      return true;
    }
    const half = batch.length >> 1;
    return (await deliver(batch.slice(0, half), 0)) && deliver(batch.slice(half), 0);
  }

  /** Drains the outbox oldest first while holding the tab lock. */
  async function drain(): Promise<void> {
    for (let seen = fresh; !stopped && !offline && now() >= retryAt; seen = fresh) {
      const list = await outbox.peek(batchSize);
      if (!list.length) {
        fresh -= seen;
        return;
      }
      let n = 0;
      let bytes = 0;
      while (n < list.length && ((bytes += list[n]['bytes']) <= maxBatchBytes || !n)) n++;
      if (!(await deliver(list.slice(0, n), await outbox.takeDropped()))) return;
    }
    // still backing off (a repeated flush cancelled the timer): wake up when the wait ends
    arm(0);
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
        if (!isOnline()) {
          offline = true;
          return cancel();
        }
        cancel();
        try {
          // another tab is flushing; it may send our records too, but check back while we still have some
          if (!(await lock.run(drain)) && fresh > 0) arm(delayMs);
        } catch (e) {
          backoff({ outcome: 'retry', status: -1, error: String(e) }, 0);
        }
      } while (again);
    };
    return (running = loop().finally(() => (running = undefined)));
  }

  /** Fire and forget; a confirmed 2xx (keepalive fetch answered) acknowledges, a beacon (status 0) does not. */
  function unloadSend(chunk: OutboxRecord[]): void {
    if (!chunk.length) return;
    for (const r of chunk) beaconed.add(r['id']);
    send(chunk.map((r) => r['event']), { unload: true })
      .then((res) => (res.outcome == 'sent' && res.status >= 200 && res.status < 300 ? settle(chunk, res) : undefined))
      .catch(() => {});
  }

  return {
    notify(records) {
      fresh += records.length;
      if (!offline && now() >= retryAt && outbox.pending().length >= batchSize) void flush();
      else arm(delayMs);
    },
    flush,
    pageHide() {
      if (!isOnline()) return;
      let total = 0;
      let chunk: OutboxRecord[] = [];
      for (const r of outbox.pending()) {
        const size = r['bytes'] + EVENT_OVERHEAD_BYTES;
        // skip what does not fit but keep trying smaller ones; what is not sent now goes on the next load
        if (beaconed.has(r['id']) || total + size > UNLOAD_BUDGET_BYTES) continue;
        total += size;
        chunk.push(r);
        if (chunk.length == batchSize) unloadSend(chunk), (chunk = []);
      }
      unloadSend(chunk);
    },
    start() {
      if (!stopped) return;
      stopped = false;
      target?.addEventListener?.('online', onOnline);
      void flush();
    },
    stop() {
      stopped = true;
      cancel();
      target?.removeEventListener?.('online', onOnline);
    },
    status: () => ({
      size: outbox.pending().length,
      kind: outbox.kind,
      lastError,
      retryInMs: offline ? null : Math.max(0, retryAt - now()),
    }),
  };
}
