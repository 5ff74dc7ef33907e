import { describe, expect, it } from 'vitest';
import { createSessions, SESSION_TIMEOUT_MS, STORAGE_SYNC_MS } from '../../../src/identity/session';

const MIN = 60_000;

function setup(timeoutMs?: number) {
  let t = 1_700_000_000_000;
  let n = 0;
  const store = { value: null as string | null, reads: 0, writes: 0 };
  const sessions = createSessions({
    read: () => (store.reads++, store.value),
    write: (v) => void (store.writes++, (store.value = v)),
    now: () => t,
    uuid: () => 's' + ++n,
    timeoutMs,
  });
  return { sessions, store, advance: (ms: number) => void (t += ms), now: () => t };
}

describe('createSessions', () => {
  it('starts a session on the first touch and continues it while active', () => {
    const { sessions, advance } = setup();
    expect(sessions.touch()).toEqual({ id: 's1', start: true });
    advance(29 * MIN);
    expect(sessions.touch()).toEqual({ id: 's1', start: false });
    advance(29 * MIN); // 58 minutes after the start, but only 29 after the last activity
    expect(sessions.touch()).toEqual({ id: 's1', start: false });
  });

  it('starts a new session after 30 minutes without activity', () => {
    const { sessions, advance } = setup();
    sessions.touch();
    advance(SESSION_TIMEOUT_MS - 1);
    expect(sessions.touch().start).toBe(false);
    advance(SESSION_TIMEOUT_MS);
    expect(sessions.touch()).toEqual({ id: 's2', start: true });
    expect(SESSION_TIMEOUT_MS).toBe(30 * MIN);
  });

  it('honours a custom timeout', () => {
    const { sessions, advance } = setup(5 * MIN);
    sessions.touch();
    advance(5 * MIN);
    expect(sessions.touch()).toEqual({ id: 's2', start: true });
  });

  it('starts a new session on arrival from a new campaign', () => {
    const { sessions, advance } = setup();
    expect(sessions.touch('google|cpc|spring|gclid=1')).toEqual({ id: 's1', start: true });
    advance(MIN);
    expect(sessions.touch('google|cpc|spring|gclid=1')).toEqual({ id: 's1', start: false }); // reload of the landing page
    expect(sessions.touch()).toEqual({ id: 's1', start: false }); // internal navigation carries no campaign
    expect(sessions.touch('')).toEqual({ id: 's1', start: false });
    expect(sessions.touch('newsletter|email|may|')).toEqual({ id: 's2', start: true });
    expect(sessions.touch('newsletter|email|may|')).toEqual({ id: 's2', start: false });
  });

  it('starts a new session when a campaign arrives in a session that had none', () => {
    const { sessions } = setup();
    sessions.touch();
    expect(sessions.touch('google|cpc|spring|')).toEqual({ id: 's2', start: true });
  });

  it('serializes id, last activity and a campaign checksum compactly', () => {
    const { sessions, store, now } = setup();
    sessions.touch('x'.repeat(5000));
    const [id, last, key] = store.value!.split('.');
    expect(id).toBe('s1');
    expect(parseInt(last, 36)).toBe(now());
    expect(key).toMatch(/^[0-9a-z]{1,7}$/);
    expect(store.value!.length).toBeLessThan(30);
  });

  it('continues a session from storage written earlier (another page of the same tab)', () => {
    const first = setup();
    first.sessions.touch('google|cpc|spring|');
    const t = first.now();
    const second = createSessions({ read: () => first.store.value, write: () => {}, now: () => t + MIN, uuid: () => 'other' });
    expect(second.touch('google|cpc|spring|')).toEqual({ id: 's1', start: false });
  });

  it('starts afresh on unreadable state', () => {
    for (const bad of ['', 'garbage', 'a.b', '.zz.k', 's9.notbase36!.k']) {
      const s = createSessions({ read: () => bad, write: () => {}, now: () => 1e12, uuid: () => 'new' });
      expect(s.touch(), bad).toEqual({ id: 'new', start: true });
    }
  });

  it('keeps working in memory when storage throws', () => {
    let t = 0;
    let n = 0;
    const s = createSessions({
      read: () => { throw new Error('SecurityError'); },
      write: () => { throw new Error('QuotaExceededError'); },
      now: () => t,
      uuid: () => 'm' + ++n,
    });
    expect(s.touch()).toEqual({ id: 'm1', start: true });
    t += MIN;
    expect(s.touch()).toEqual({ id: 'm1', start: false });
    t += 31 * MIN;
    expect(s.touch()).toEqual({ id: 'm2', start: true });
  });

  it('touches storage at most once a second in a burst, and then sees what another tab stored', () => {
    const { sessions, store, advance, now } = setup();
    for (let i = 0; i < 100; i++) sessions.touch();
    expect([store.reads, store.writes]).toEqual([1, 1]);
    store.value = 'other-tab.' + now().toString(36) + '.'; // another tab began a session just now
    advance(STORAGE_SYNC_MS);
    expect(sessions.touch()).toEqual({ id: 'other-tab', start: false });
    expect([store.reads, store.writes]).toEqual([2, 2]);
  });

  it('a new campaign starts a session at once, even within the second', () => {
    const { sessions, store } = setup();
    sessions.touch();
    expect(sessions.touch('google|cpc|winter')).toEqual({ id: 's2', start: true });
    expect(store.value).toMatch(/^s2\./);
  });
});
