/**
 * The identity graph over real HTTP, on PGlite and a real Postgres: devices link into one profile, events of other
 * channels join it, placeholders never link, conflicting unique ids and the device cap refuse merges, merges are logged
 * and undone exactly, concurrent batches build one profile, and replaying a batch changes nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/collector/index';
import { BACKENDS, post, serve, type Served } from './helpers';

const SECRET = 'sk_test_secret';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe.each(BACKENDS)('identity graph on $name', (backend) => {
  if (!backend.available) return void it.skip('needs Postgres binaries (apt-get install postgresql); CI fails instead');
  let db: Db;
  let stopDb: () => Promise<void>;
  let served: Served;

  beforeAll(async () => {
    const opened = await backend.open();
    db = opened.db;
    stopDb = opened.stop;
    served = await serve({ db, secretKey: SECRET, maxDevicesPerProfile: 3, placeholderIdentities: ['qa@shop.example'] });
  });
  afterAll(async () => {
    await served?.close();
    await stopDb?.();
  });

  /** A fresh id namespace per test, so tests sharing the database never link each other's identities. */
  const ns = () => randomUUID().slice(0, 8);
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const ev = (o: Record<string, unknown>) => ({
    type: 'track',
    event: 'page_viewed',
    messageId: randomUUID(),
    timestamp: new Date((clock += 1000)).toISOString(),
    context: { channel: 'Direct' },
    ...o,
  });
  const send = async (...batch: Record<string, unknown>[]) => {
    const res = await post(`${served.url}/v1/batch`, { batch });
    expect(res.status).toBe(200);
    return res.body as { accepted: number; duplicates: number };
  };
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(served.url + path, { ...init, headers: { authorization: `Bearer ${SECRET}`, ...(init.headers as Record<string, string>) } });
  const rootOf = async (type: string, value: string) =>
    (await db.query<{ root_id: string }>(`SELECT p.root_id FROM identities i JOIN profiles p USING (profile_id) WHERE i.type = $1 AND i.value = $2`, [type, value])).rows[0]?.root_id;
  const profileOfEvent = async (messageId: unknown) =>
    (await db.query<{ root_id: string }>(`SELECT p.root_id FROM events e JOIN profiles p USING (profile_id) WHERE e.message_id = $1`, [messageId])).rows[0]?.root_id;
  const view = async (type: string, value: string) => {
    const res = await admin(`/v1/profiles?identity=${encodeURIComponent(`${type}:${value}`)}`);
    expect(res.status).toBe(200);
    return res.json() as Promise<any>;
  };

  it('links two devices through a login into one profile, and a store purchase through the loyalty id', async () => {
    const n = ns();
    const a1 = ev({ anonymousId: `A-${n}` });
    const b1 = ev({ anonymousId: `B-${n}` });
    await send(a1, b1);
    expect(await profileOfEvent(a1.messageId)).not.toBe(await profileOfEvent(b1.messageId));

    await send(ev({ type: 'identify', event: undefined, anonymousId: `A-${n}`, userId: `u-${n}`, identities: [{ type: 'loyalty_id', value: `L-${n}`, hashed: false }, { type: 'email', value: sha(`${n}@shop.example`), hashed: true }] }));
    await send(ev({ type: 'identify', event: undefined, anonymousId: `B-${n}`, userId: `u-${n}` }));
    const store = ev({ event: 'order_completed', anonymousId: `receipt-${n}`, identities: [{ type: 'loyalty_id', value: `L-${n}`, hashed: false }], context: { channel: 'store' }, properties: { order_id: `S-${n}`, total: 30 } });
    await send(store);

    const root = await rootOf('user_id', `u-${n}`);
    for (const m of [a1.messageId, b1.messageId, store.messageId]) expect(await profileOfEvent(m)).toBe(root);
    const p = await view('loyalty_id', `L-${n}`);
    expect(p.profileId).toBe(root);
    expect(p.devices.map((d: any) => d.anonymousId).sort()).toEqual([`A-${n}`, `B-${n}`]);
    expect(p.channels).toEqual(['web', 'store']);
    expect(p.identities.find((i: any) => i.type === 'email')).toMatchObject({ value: sha(`${n}@shop.example`), hashed: true });
    expect(p.timeline.map((t: any) => t.timestamp)).toEqual([...p.timeline.map((t: any) => t.timestamp)].sort());
    expect(p.timeline.at(-1)).toMatchObject({ messageId: store.messageId, channel: 'store', event: 'order_completed' });
    expect(p.attribution.lastTouch).toMatchObject({ channel: 'store' });
    expect(p.merges.filter((m: any) => m.status === 'merged')).toHaveLength(1);
  });

  it('never links placeholder values, built-in or configured, plain or hashed', async () => {
    const n = ns();
    const devices = ['P1', 'P2', 'P3'].map((d) => `${d}-${n}`);
    await send(
      ev({ type: 'identify', event: undefined, anonymousId: devices[0], userId: 'null', identities: [{ type: 'email', value: sha('qa@shop.example'), hashed: true }] }),
      ev({ type: 'identify', event: undefined, anonymousId: devices[1], userId: 'undefined', identities: [{ type: 'email', value: sha('qa@shop.example'), hashed: true }, { type: 'customer_id', value: ' ', hashed: false }] }),
      ev({ type: 'identify', event: undefined, anonymousId: devices[2], userId: '0', identities: [{ type: 'email', value: 'QA@shop.example ', hashed: false }, { type: 'phone', value: sha(''), hashed: true }] }),
    );
    const roots = await Promise.all(devices.map((d) => rootOf('anonymous_id', d)));
    expect(new Set(roots).size).toBe(3);
    const { rows } = await db.query(`SELECT 1 FROM identities WHERE value IN ('null', 'undefined', '0', ' ', $1, $2)`, [sha('qa@shop.example'), sha('')]);
    expect(rows).toHaveLength(0);
    // an event whose only identity is a placeholder is stored but resolves to no profile
    const lonely = ev({ anonymousId: 'null' });
    expect((await send(lonely)).accepted).toBe(1);
    expect(await profileOfEvent(lonely.messageId)).toBeUndefined();
  });

  it('never merges two profiles with different customer ids, and logs the refusal', async () => {
    const n = ns();
    const email = sha(`shared-${n}@family.example`);
    await send(ev({ type: 'identify', event: undefined, anonymousId: `X-${n}`, identities: [{ type: 'customer_id', value: `C1-${n}`, hashed: false }, { type: 'email', value: email, hashed: true }] }));
    const linking = ev({ type: 'identify', event: undefined, anonymousId: `Y-${n}`, identities: [{ type: 'customer_id', value: `C2-${n}`, hashed: false }, { type: 'email', value: email, hashed: true }] });
    await send(linking);
    await send({ ...linking, messageId: randomUUID() }); // the same link again: refused again, logged once
    const c1 = await rootOf('customer_id', `C1-${n}`);
    const c2 = await rootOf('customer_id', `C2-${n}`);
    expect(c1).toBeTruthy();
    expect(c2).toBeTruthy();
    expect(c1).not.toBe(c2);
    expect(await rootOf('email', email)).toBe(c1);
    const log = await (await admin(`/v1/merges?profileId=${c2}`)).json();
    expect(log.merges).toEqual([expect.objectContaining({ status: 'refused', messageId: linking.messageId, reason: expect.stringContaining('conflicting customer_id') })]);
  });

  it('caps the devices of one profile', async () => {
    const n = ns();
    const devices = [1, 2, 3, 4, 5].map((i) => `D${i}-${n}`);
    for (const d of devices) await send(ev({ anonymousId: d }), ev({ type: 'identify', event: undefined, anonymousId: d, userId: `cap-${n}` }));
    const p = await view('user_id', `cap-${n}`);
    expect(p.identities.filter((i: any) => i.type === 'anonymous_id')).toHaveLength(3);
    expect(p.merges.filter((m: any) => m.status === 'refused').every((m: any) => /device cap of 3/.test(m.reason))).toBe(true);
    expect(new Set(await Promise.all(devices.map((d) => rootOf('anonymous_id', d)))).size).toBe(3); // one profile + two on their own
  });

  it('undoes a merge, restoring both profiles with their identities and events', async () => {
    const n = ns();
    const a = [ev({ anonymousId: `UA-${n}` }), ev({ anonymousId: `UA-${n}` })];
    const b = [ev({ anonymousId: `UB-${n}`, identities: [{ type: 'customer_id', value: `K-${n}`, hashed: false }] })];
    await send(...a, ...b);
    const before = { a: await rootOf('anonymous_id', `UA-${n}`), b: await rootOf('anonymous_id', `UB-${n}`) };
    const linking = ev({ type: 'identify', event: undefined, anonymousId: `UA-${n}`, identities: [{ type: 'customer_id', value: `K-${n}`, hashed: false }] });
    await send(linking);
    expect(await rootOf('anonymous_id', `UA-${n}`)).toBe(await rootOf('anonymous_id', `UB-${n}`));
    const merged = await view('customer_id', `K-${n}`);
    const merge = merged.merges.find((m: any) => m.status === 'merged' && m.messageId === linking.messageId);
    expect(merge).toBeTruthy();
    expect(merged.touchpoints.total).toBe(4);

    expect((await fetch(`${served.url}/v1/merges/${merge.mergeId}/undo`, { method: 'POST' })).status).toBe(401);
    const undo = await admin(`/v1/merges/${merge.mergeId}/undo`, { method: 'POST' });
    expect(undo.status).toBe(200);
    expect((await undo.json()).merge).toMatchObject({ status: 'undone', absorbedProfileId: merge.absorbedProfileId });
    expect((await admin(`/v1/merges/${merge.mergeId}/undo`, { method: 'POST' })).status).toBe(409);
    expect((await admin(`/v1/merges/999999999/undo`, { method: 'POST' })).status).toBe(404);
    expect((await admin(`/v1/merges/abc/undo`, { method: 'POST' })).status).toBe(400);

    expect(await rootOf('anonymous_id', `UA-${n}`)).toBe(before.a);
    expect(await rootOf('anonymous_id', `UB-${n}`)).toBe(before.b);
    for (const e of a) expect(await profileOfEvent(e.messageId)).toBe(before.a);
    for (const e of b) expect(await profileOfEvent(e.messageId)).toBe(before.b);
    const pa = (await (await admin(`/v1/profiles/${before.a}`)).json()) as any;
    const pb = (await (await admin(`/v1/profiles/${before.b}`)).json()) as any;
    expect(pb.identities.map((i: any) => `${i.type}:${i.value}`).sort()).toEqual([`anonymous_id:UB-${n}`, `customer_id:K-${n}`]);
    expect(pa.identities.map((i: any) => `${i.type}:${i.value}`)).toEqual([`anonymous_id:UA-${n}`]);
    expect(pa.touchpoints.total + pb.touchpoints.total).toBe(4);

    // the same link again (a forger repeating the claim) no longer merges them: it is logged as refused
    const again = ev({ type: 'identify', event: undefined, anonymousId: `UA-${n}`, identities: [{ type: 'customer_id', value: `K-${n}`, hashed: false }] });
    await send(again);
    expect(await rootOf('anonymous_id', `UA-${n}`)).toBe(before.a);
    expect(await rootOf('anonymous_id', `UB-${n}`)).toBe(before.b);
    const after = await view('customer_id', `K-${n}`);
    expect(after.merges.filter((m: any) => m.status === 'refused' && m.messageId === again.messageId).map((m: any) => m.reason)).toEqual([
      expect.stringMatching(/refused, a merge of these profiles was undone/),
    ]);
    expect(after.merges.some((m: any) => m.status === 'merged' && m.messageId === again.messageId)).toBe(false);
  });

  it('an undone pair stays apart when another merge folds one of them into a bigger profile', async () => {
    const n = ns();
    await send(ev({ anonymousId: `VA-${n}` }), ev({ anonymousId: `VB-${n}` }), ev({ anonymousId: `VC-${n}` }));
    const link = (device: string, customer: string) => ev({ type: 'identify', event: undefined, anonymousId: device, identities: [{ type: 'loyalty_id', value: customer, hashed: false }] });
    const merging = link(`VA-${n}`, `L-vb-${n}`);
    await send(link(`VB-${n}`, `L-vb-${n}`), merging);
    const merge = (await view('loyalty_id', `L-vb-${n}`)).merges.find((m: any) => m.status === 'merged' && m.messageId === merging.messageId);
    expect((await admin(`/v1/merges/${merge.mergeId}/undo`, { method: 'POST' })).status).toBe(200);
    // VB's profile is folded into VC's (a shared e-mail), then VA repeats the undone link
    const email = sha(`v-${n}@example.com`);
    await send(ev({ type: 'identify', event: undefined, anonymousId: `VC-${n}`, identities: [{ type: 'email', value: email, hashed: true }] }));
    await send(ev({ type: 'identify', event: undefined, anonymousId: `VB-${n}`, identities: [{ type: 'email', value: email, hashed: true }] }));
    expect(await rootOf('anonymous_id', `VB-${n}`)).toBe(await rootOf('anonymous_id', `VC-${n}`));
    await send(link(`VA-${n}`, `L-vb-${n}`));
    expect(await rootOf('anonymous_id', `VA-${n}`)).not.toBe(await rootOf('anonymous_id', `VB-${n}`));
    expect(await rootOf('anonymous_id', `VA-${n}`)).not.toBe(await rootOf('anonymous_id', `VC-${n}`));
  });

  it('builds exactly one profile from concurrent batches of many devices logging in', async () => {
    const n = ns();
    const user = `conc-${n}`;
    const devices = Array.from({ length: 12 }, (_, i) => `CD${i}-${n}`);
    // two collectors on the same database (the suite's own caps devices at 3)
    const [one, two] = await Promise.all([serve({ db }), serve({ db })]);
    try {
      const results = await Promise.all(
        devices.map((d, i) =>
          post(`${(i % 2 ? one : two).url}/v1/batch`, { batch: [ev({ anonymousId: d }), ev({ type: 'identify', event: undefined, anonymousId: d, userId: user, identities: [{ type: 'loyalty_id', value: `CL-${n}`, hashed: false }] }), ev({ anonymousId: d })] }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(devices.map(() => 200));
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
    const roots = new Set(await Promise.all(devices.map((d) => rootOf('anonymous_id', d))));
    expect(roots.size).toBe(1);
    const [root] = [...roots];
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events e JOIN profiles p USING (profile_id) WHERE p.root_id = $1`,
      [root],
    );
    expect(rows[0]!.n).toBe(devices.length * 3);
    const ids = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM identities WHERE type = 'user_id' AND value = $1`, [user]);
    expect(ids.rows[0]!.n).toBe(1);
  });

  it('replaying a batch stores nothing twice and changes no profile', async () => {
    const n = ns();
    const batch = [ev({ anonymousId: `R1-${n}` }), ev({ type: 'identify', event: undefined, anonymousId: `R2-${n}`, userId: `rep-${n}` }), ev({ type: 'identify', event: undefined, anonymousId: `R1-${n}`, userId: `rep-${n}` })];
    const snapshot = async () => {
      const q = async (sql: string) => (await db.query<{ n: number }>(sql)).rows[0]!.n;
      return { profiles: await q('SELECT count(*)::int AS n FROM profiles'), identities: await q('SELECT count(*)::int AS n FROM identities'), merges: await q('SELECT count(*)::int AS n FROM profile_merges') };
    };
    expect(await send(...batch)).toMatchObject({ accepted: 3, duplicates: 0 });
    const first = await snapshot();
    expect(await send(...batch)).toMatchObject({ accepted: 0, duplicates: 3 });
    expect(await Promise.all([send(...batch), send(...batch)])).toEqual([expect.objectContaining({ accepted: 0 }), expect.objectContaining({ accepted: 0 })]);
    expect(await snapshot()).toEqual(first);
    expect(await rootOf('anonymous_id', `R1-${n}`)).toBe(await rootOf('anonymous_id', `R2-${n}`));
  });

  it('links an alias previousId with the new user id', async () => {
    const n = ns();
    await send(ev({ type: 'identify', event: undefined, anonymousId: `AL-${n}`, userId: `old-${n}` }));
    await send(ev({ type: 'identify', event: undefined, anonymousId: `AL2-${n}`, userId: `new-${n}` }));
    expect(await rootOf('user_id', `old-${n}`)).not.toBe(await rootOf('user_id', `new-${n}`));
    await send(ev({ type: 'alias', event: undefined, anonymousId: `AL2-${n}`, userId: `new-${n}`, previousId: `old-${n}` }));
    expect(await rootOf('user_id', `old-${n}`)).toBe(await rootOf('user_id', `new-${n}`));
  });
});
