/**
 * Sessions: a new one after 30 minutes without activity or on arrival from a new campaign. Imports: identity/hash.
 * Never touches storage itself (core injects it, after consent), never throws.
 */
import { fnv1a } from './hash';

/** Inactivity after which the next touch starts a new session, in ms (GA4's default). */
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;

/** Longest a tab works from its own copy of the session before reading and writing the shared one again. */
export const STORAGE_SYNC_MS = 1000;

/** The session a touch belongs to; `start` is true on the touch that began it. */
export interface SessionTouch {
  id: string;
  start: boolean;
}

/** Session tracker returned by {@link createSessions}. */
export interface Sessions {
  /** Records activity now and returns the current session, starting a new one when due. */
  touch(campaignKey?: string): SessionTouch;
  /** Ends the current session (on `reset()` and withdrawal): the next touch starts a new one. Touches no storage. */
  reset(): void;
}

/** Seams of {@link createSessions}; `read`/`write` may throw (blocked storage), the session then lives in memory. */
export interface SessionDeps {
  /** Reads the serialized state, null when none. */
  read(): string | null;
  /** Stores the serialized state. */
  write(v: string): void;
  /** Clock, epoch ms. @defaultValue Date.now */
  now?: () => number;
  /** New session ids. */
  uuid: () => string;
  /** Inactivity timeout in ms. @defaultValue SESSION_TIMEOUT_MS */
  timeoutMs?: number;
}

/**
 * Creates the session tracker. State is serialized as `<id>.<lastActivityBase36>.<campaignKeyChecksum>` (the campaign
 * key is stored as its FNV-1a checksum, so that long utm values never bloat storage).
 *
 * @param deps - storage, clock, id source and timeout
 * @example
 * const sessions = createSessions({
 *   read: () => sessionStorage.getItem('tp_session'),
 *   write: (v) => sessionStorage.setItem('tp_session', v),
 *   uuid,
 * });
 * const { id, start } = sessions.touch(campaignKey(parseCampaign(location.search)));
 */
export function createSessions(deps: SessionDeps): Sessions {
  const now = deps.now || Date.now;
  const timeout = deps.timeoutMs || SESSION_TIMEOUT_MS;
  let memory = '';
  let synced = -Infinity; // when storage was last read and written
  let lastNext = '';
  let ended = false;
  return {
    reset() {
      ended = true;
      memory = '';
    },
    touch(campaignKey) {
      const t = now();
      const next = campaignKey ? fnv1a(campaignKey) : '';
      // storage is shared with other tabs but read and written at most once a second: track() stays cheap in a burst
      const fresh = !ended && t - synced >= 0 && t - synced < STORAGE_SYNC_MS && next == lastNext && memory;
      let s = memory;
      if (!fresh) {
        try {
          const stored = deps.read();
          if (typeof stored == 'string' && stored) s = stored;
        } catch {}
      }
      const b = s.lastIndexOf('.');
      const a = s.lastIndexOf('.', b - 1);
      let id = s.slice(0, a);
      let key = s.slice(b + 1);
      // abs: a clock set back by more than the timeout starts afresh instead of extending a session forever
      const start = ended || a < 1 || !(Math.abs(t - parseInt(s.slice(a + 1, b), 36)) < timeout) || (!!next && next != key);
      if (start) (id = deps.uuid()), (key = next), (ended = false);
      memory = id + '.' + t.toString(36) + '.' + key;
      lastNext = next;
      if (!fresh || start) {
        synced = t;
        try {
          deps.write(memory);
        } catch {}
      }
      return { id, start };
    },
  };
}
