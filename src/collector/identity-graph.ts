/**
 * The identity graph: every stored event resolves to a profile through its identities `(type, value)`; an event that
 * links identities of two profiles merges them, within the guards (placeholders, unique types, device cap), and every
 * merge is logged and can be undone. Imports: schema types, the Db seam, node:crypto. Never runs outside the ingest
 * transaction it is handed, and never links a placeholder value.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { TouchpointEvent } from '../schema/event';
import type { Db, DbTx } from './db/types';

/** Identity types of which a profile holds at most one value: two different values never merge. */
export const DEFAULT_UNIQUE_IDENTITY_TYPES = ['user_id', 'customer_id', 'loyalty_id'] as const;
/** Most device ids (`anonymous_id`) one profile may hold; beyond it a shared or bot id stops linking. */
export const DEFAULT_MAX_DEVICES_PER_PROFILE = 50;
/**
 * Values that never link anything (compared trimmed and lower-cased, and as the SHA-256 of that, since the SDK hashes
 * e-mail and phone): what broken forms and test accounts send.
 */
export const DEFAULT_PLACEHOLDER_IDENTITIES = ['null', 'undefined', 'nil', 'none', 'nan', '0', '-1', 'false', 'true', 'n/a', 'na', '-', 'unknown', 'anonymous', '[object object]', 'test', 'test@test.com', 'test@example.com', 'email@example.com', 'noreply@example.com', 'no-reply@example.com'] as const;

/** Guards of the identity graph, from the collector options. */
export interface IdentityRules {
  /** Whether `value` is a placeholder that must never link. */
  isPlaceholder(value: string): boolean;
  uniqueTypes: ReadonlySet<string>;
  maxDevicesPerProfile: number;
}

/** Options of {@link createIdentityRules}; the collector passes its own through. */
export interface IdentityRuleOptions {
  /** Extra placeholder values (e.g. your QA accounts' e-mail addresses), added to {@link DEFAULT_PLACEHOLDER_IDENTITIES}. */
  placeholderIdentities?: readonly string[];
  /** @defaultValue {@link DEFAULT_UNIQUE_IDENTITY_TYPES} */
  uniqueIdentityTypes?: readonly string[];
  /** @defaultValue {@link DEFAULT_MAX_DEVICES_PER_PROFILE} */
  maxDevicesPerProfile?: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Builds the graph's guards from collector options.
 *
 * @example
 * ```ts
 * const rules = createIdentityRules({ placeholderIdentities: ['qa@shop.example'] });
 * rules.isPlaceholder('  NULL '); // true
 * ```
 */
export function createIdentityRules(options: IdentityRuleOptions = {}): IdentityRules {
  const words = new Set<string>();
  for (const raw of [...DEFAULT_PLACEHOLDER_IDENTITIES, ...(options.placeholderIdentities ?? []), '']) {
    const v = String(raw).trim().toLowerCase();
    words.add(v);
    words.add(sha256(v)); // the SDK sends e-mail and phone as SHA-256 of the normalised value
  }
  return {
    // all-zero ids ("0000-0000…") are the uninitialised-uuid placeholder
    isPlaceholder: (value) => {
      const v = value.trim().toLowerCase();
      return words.has(v) || /^[0\s-]+$/.test(v);
    },
    uniqueTypes: new Set(options.uniqueIdentityTypes ?? DEFAULT_UNIQUE_IDENTITY_TYPES),
    maxDevicesPerProfile: options.maxDevicesPerProfile ?? DEFAULT_MAX_DEVICES_PER_PROFILE,
  };
}

/** One identity of an event. */
export interface IdentityKey {
  type: string;
  value: string;
  hashed: boolean;
}

/**
 * Identity types that never link: `user_hash` is the proof of a login checked by the profile API (identity
 * verification), not an identity, so it is neither stored in the graph nor able to merge anything.
 */
export const NON_LINKING_IDENTITY_TYPES: ReadonlySet<string> = new Set(['user_hash']);

const STRONG_ORDER = ['user_id', 'customer_id', 'loyalty_id', 'email', 'phone'];
/** Strongest first: the profile of the strongest identity is the one the others join. */
const strength = (type: string) => (type === 'anonymous_id' ? 1000 : STRONG_ORDER.includes(type) ? STRONG_ORDER.indexOf(type) : 100);
const keyOf = (type: string, value: string) => `${type}\u0000${value}`;

/**
 * The identities an event carries, strongest first, without placeholders: userId → `user_id`, the identify/any
 * event's `identities` (except {@link NON_LINKING_IDENTITY_TYPES}), alias `previousId` (typed by {@link resolveEvents}), anonymousId → `anonymous_id`.
 *
 * @example
 * ```ts
 * eventIdentities({ type: 'identify', userId: 'u1', anonymousId: 'a1', … }, rules); // user_id:u1, anonymous_id:a1
 * ```
 */
export function eventIdentities(e: TouchpointEvent, rules: IdentityRules): IdentityKey[] {
  const out: IdentityKey[] = [];
  const seen = new Set<string>();
  const add = (type: string, value: unknown, hashed: boolean) => {
    if (typeof value !== 'string' || NON_LINKING_IDENTITY_TYPES.has(type) || rules.isPlaceholder(value)) return;
    const k = keyOf(type, value);
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ type, value, hashed });
  };
  if (e.userId) add('user_id', e.userId, false);
  for (const i of e.identities ?? []) add(i.type, i.value, i.hashed);
  if (e.anonymousId) add('anonymous_id', e.anonymousId, false);
  // the collector's HttpOnly device cookie (set by the collector alone): the device this browser was before its storage was wiped
  const device = (e.context as { device?: { id?: unknown } } | undefined)?.device;
  if (device && typeof device === 'object') add('anonymous_id', device.id, false);
  return out.sort((a, b) => strength(a.type) - strength(b.type));
}

/** A merge (or a refused one) decided while resolving a batch. */
export interface MergeDecision {
  status: 'merged' | 'refused';
  survivingProfileId: string;
  absorbedProfileId: string;
  reason: string;
  messageId: string;
}

/** What {@link resolveEvents} decided: each event's profile and the profiles that changed. */
export interface Resolution {
  /** messageId → the profile the event's strongest identity belongs to (null when it carries only placeholders). */
  profileOf: Map<string, string | null>;
  /** Root profiles whose data changed, plus those absorbed by a merge. */
  touched: Set<string>;
  merges: MergeDecision[];
}

/** Thrown inside the transaction when another one moved a profile between lookup and lock; the caller retries. */
export class GraphRetry extends Error {
  constructor() {
    super('identity graph changed concurrently; retry');
  }
}

/** Postgres codes worth re-running a whole transaction for: deadlock and serialization failure. */
export const isRetryable = (error: unknown) => error instanceof GraphRetry || ['40P01', '40001'].includes((error as { code?: string })?.code ?? '');

interface RootState {
  unique: Map<string, Set<string>>;
  devices: number;
}

/**
 * Resolves `events` (distinct messageIds; those already stored are skipped) into profiles inside `tx`: creates profiles and identities,
 * merges within the guards, writes the merge log. On Postgres it first takes transaction advisory locks on every
 * identity (sorted, so no two batches deadlock) and then row locks on the root profiles it will change.
 *
 * @param lock - take the locks (Postgres); PGlite runs one transaction at a time and needs none
 * @example
 * ```ts
 * const r = await db.transaction((tx) => resolveEvents(tx, events, rules, db.kind === 'postgres'));
 * ```
 */
export async function resolveEvents(tx: DbTx, events: readonly TouchpointEvent[], rules: IdentityRules, lock: boolean): Promise<Resolution> {
  const plans = events.map((e) => ({ e, keys: eventIdentities(e, rules) }));
  const wanted = new Map<string, IdentityKey>();
  for (const p of plans) {
    for (const k of p.keys) wanted.set(keyOf(k.type, k.value), k);
    // alias previousId: a user id or a device id; look up both and pick the one that exists
    const prev = p.e.type === 'alias' ? p.e.previousId : undefined;
    if (prev && !rules.isPlaceholder(prev)) {
      wanted.set(keyOf('user_id', prev), { type: 'user_id', value: prev, hashed: false });
      wanted.set(keyOf('anonymous_id', prev), { type: 'anonymous_id', value: prev, hashed: false });
    }
  }
  const resolution: Resolution = { profileOf: new Map(), touched: new Set(), merges: [] };
  const types = [...wanted.values()].map((k) => k.type);
  const values = [...wanted.values()].map((k) => k.value);
  if (lock && wanted.size) {
    // the inner ORDER BY fixes the order in which the locks are taken
    await tx.query(
      `SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(t || ':' || v, 7270302) AS h FROM unnest($1::text[], $2::text[]) AS x(t, v) ORDER BY 1) AS s`,
      [types, values],
    );
  }
  // replayed events were resolved when first stored; checked under the locks, so a concurrent replay waits for us
  const stored = await tx.query<{ message_id: string }>(`SELECT message_id FROM events WHERE message_id = ANY($1::text[])`, [plans.map((p) => p.e.messageId)]);
  if (stored.rows.length) {
    const seen = new Set(stored.rows.map((r) => r.message_id));
    plans.splice(0, plans.length, ...plans.filter((p) => !seen.has(p.e.messageId)));
  }
  if (!wanted.size) {
    for (const p of plans) resolution.profileOf.set(p.e.messageId, null);
    return resolution;
  }

  // existing identities and the root of their profile
  const found = await tx.query<{ type: string; value: string; profile_id: string; root_id: string }>(
    `SELECT i.type, i.value, i.profile_id, p.root_id FROM unnest($1::text[], $2::text[]) AS x(t, v)
     JOIN identities i ON i.type = x.t AND i.value = x.v JOIN profiles p ON p.profile_id = i.profile_id`,
    [types, values],
  );
  const owner = new Map<string, string>(); // identity → the profile it is attached to
  const rootOf = new Map<string, string>(); // profile → its root (before this batch's merges)
  for (const r of found.rows) {
    owner.set(keyOf(r.type, r.value), r.profile_id);
    rootOf.set(r.profile_id, r.root_id);
  }
  const roots = [...new Set(rootOf.values())].sort();
  const state = new Map<string, RootState>();
  const memberRoot = new Map<string, string>(); // every profile of the roots' trees → its root before this batch
  let blocks: { profile_a: string; profile_b: string }[] = [];
  if (roots.length) {
    const locked = await tx.query<{ profile_id: string; root_id: string }>(
      `SELECT profile_id, root_id FROM profiles WHERE profile_id = ANY($1::text[]) ORDER BY profile_id ${lock ? 'FOR UPDATE' : ''}`,
      [roots],
    );
    // merged away between our read and our lock: start the transaction again
    if (locked.rows.some((r) => r.root_id !== r.profile_id)) throw new GraphRetry();
    for (const root of roots) state.set(root, { unique: new Map(), devices: 0 });
    // members first, then their identities by profile_id: two index lookups whatever the planner's statistics say
    const members = await tx.query<{ profile_id: string; root_id: string }>(`SELECT profile_id, root_id FROM profiles WHERE root_id = ANY($1::text[])`, [roots]);
    for (const m of members.rows) memberRoot.set(m.profile_id, m.root_id);
    // pairs a staff member pulled apart (an undone merge) stay apart whatever links arrive later
    blocks = (
      await tx.query<{ profile_a: string; profile_b: string }>(`SELECT profile_a, profile_b FROM merge_blocks WHERE profile_a = ANY($1::text[]) OR profile_b = ANY($1::text[])`, [
        [...memberRoot.keys()],
      ])
    ).rows.filter((b) => memberRoot.has(b.profile_a) && memberRoot.has(b.profile_b));
    const held = await tx.query<{ profile_id: string; type: string; value: string }>(
      `SELECT profile_id, type, value FROM identities WHERE profile_id = ANY($1::text[])`,
      [[...memberRoot.keys()]],
    );
    for (const r of held.rows) {
      const s = state.get(memberRoot.get(r.profile_id)!)!;
      if (r.type === 'anonymous_id') s.devices++;
      else if (rules.uniqueTypes.has(r.type)) (s.unique.get(r.type) ?? s.unique.set(r.type, new Set()).get(r.type)!).add(r.value);
    }
  }

  const parent = new Map<string, string>(); // this batch's merges: absorbed root → surviving root
  const find = (profile: string) => {
    let r = rootOf.get(profile) ?? profile;
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  const newProfiles: string[] = [];
  const newIds = { type: [] as string[], value: [] as string[], hashed: [] as boolean[], profile: [] as string[], message: [] as string[], at: [] as string[] };
  const refusedPairs = new Set<string>();

  const canAttach = (root: string, k: IdentityKey, alias: boolean) => {
    const s = state.get(root)!;
    if (k.type === 'anonymous_id') return s.devices < rules.maxDevicesPerProfile;
    if (!rules.uniqueTypes.has(k.type) || (alias && k.type === 'user_id')) return true;
    const held = s.unique.get(k.type);
    return !held || !held.size || held.has(k.value);
  };
  const attach = (root: string, k: IdentityKey, e: TouchpointEvent) => {
    const s = state.get(root)!;
    owner.set(keyOf(k.type, k.value), root);
    if (k.type === 'anonymous_id') s.devices++;
    else if (rules.uniqueTypes.has(k.type)) (s.unique.get(k.type) ?? s.unique.set(k.type, new Set()).get(k.type)!).add(k.value);
    newIds.type.push(k.type);
    newIds.value.push(k.value);
    newIds.hashed.push(k.hashed);
    newIds.profile.push(root);
    newIds.message.push(e.messageId);
    newIds.at.push(new Date(Date.parse(e.timestamp)).toISOString());
  };
  const createProfile = () => {
    const id = randomUUID();
    newProfiles.push(id);
    state.set(id, { unique: new Map(), devices: 0 });
    return id;
  };
  /** Why `a` and `b` must not merge, or undefined when they may. */
  const conflict = (a: string, b: string, alias: boolean): string | undefined => {
    const sa = state.get(a)!;
    const sb = state.get(b)!;
    for (const [type, va] of sa.unique) {
      if (alias && type === 'user_id') continue;
      const vb = sb.unique.get(type);
      if (va.size && vb?.size && new Set([...va, ...vb]).size > 1) return `conflicting ${type}`;
    }
    if (sa.devices + sb.devices > rules.maxDevicesPerProfile) return `device cap of ${rules.maxDevicesPerProfile} reached`;
    for (const { profile_a: x, profile_b: y } of blocks) {
      const rx = find(memberRoot.get(x)!);
      const ry = find(memberRoot.get(y)!);
      if ((rx === a && ry === b) || (rx === b && ry === a)) return 'a merge of these profiles was undone';
    }
    return undefined;
  };

  for (const { e, keys: base } of plans) {
    const alias = e.type === 'alias';
    const keys = [...base];
    if (alias && e.previousId && !rules.isPlaceholder(e.previousId) && e.previousId !== e.anonymousId) {
      const asDevice = owner.has(keyOf('anonymous_id', e.previousId)) && !owner.has(keyOf('user_id', e.previousId));
      keys.push({ type: asDevice ? 'anonymous_id' : 'user_id', value: e.previousId, hashed: false });
    }
    if (!keys.length) {
      resolution.profileOf.set(e.messageId, null);
      continue;
    }
    const primary = keys[0]!;
    let target: string;
    const primaryOwner = owner.get(keyOf(primary.type, primary.value));
    if (primaryOwner) target = find(primaryOwner);
    else {
      const firstExisting = keys.find((k) => owner.has(keyOf(k.type, k.value)));
      const candidate = firstExisting && find(owner.get(keyOf(firstExisting.type, firstExisting.value))!);
      target = candidate && canAttach(candidate, primary, alias) ? candidate : createProfile();
      attach(target, primary, e);
    }
    resolution.profileOf.set(e.messageId, owner.get(keyOf(primary.type, primary.value))!);
    for (const k of keys.slice(1)) {
      const o = owner.get(keyOf(k.type, k.value));
      if (!o) {
        if (canAttach(target, k, alias)) attach(target, k, e);
        continue; // over a limit: the identity stays unlinked
      }
      const other = find(o);
      if (other === target) continue;
      const why = conflict(target, other, alias);
      const reason = `${e.type} linked ${primary.type} with ${k.type}`;
      if (why) {
        const pair = [target, other].sort().join('|');
        if (!refusedPairs.has(pair)) {
          refusedPairs.add(pair);
          resolution.merges.push({ status: 'refused', survivingProfileId: target, absorbedProfileId: other, reason: `${reason}: refused, ${why}`, messageId: e.messageId });
        }
        continue;
      }
      parent.set(other, target);
      const st = state.get(target)!;
      const so = state.get(other)!;
      st.devices += so.devices;
      for (const [type, vals] of so.unique) for (const v of vals) (st.unique.get(type) ?? st.unique.set(type, new Set()).get(type)!).add(v);
      resolution.merges.push({ status: 'merged', survivingProfileId: target, absorbedProfileId: other, reason, messageId: e.messageId });
      resolution.touched.add(other);
    }
    resolution.touched.add(target);
  }

  if (newProfiles.length) {
    await tx.query(`INSERT INTO profiles (profile_id, root_id) SELECT id, id FROM unnest($1::text[]) AS id`, [newProfiles]);
  }
  if (newIds.type.length) {
    await tx.query(
      `INSERT INTO identities (type, value, hashed, profile_id, message_id, first_seen_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::timestamptz[])
       ON CONFLICT (type, value) DO NOTHING`,
      [newIds.type, newIds.value, newIds.hashed, newIds.profile, newIds.message, newIds.at],
    );
  }
  const merged = resolution.merges.filter((m) => m.status === 'merged');
  if (merged.length) {
    const absorbed = merged.map((m) => m.absorbedProfileId);
    await tx.query(`UPDATE profiles SET merged_into = x.s FROM unnest($1::text[], $2::text[]) AS x(a, s) WHERE profile_id = x.a`, [absorbed, merged.map((m) => m.survivingProfileId)]);
    // each absorbed profile was a root until this batch: its whole tree moves to the final root in one statement
    await tx.query(`UPDATE profiles SET root_id = x.r FROM unnest($1::text[], $2::text[]) AS x(a, r) WHERE root_id = x.a`, [absorbed, absorbed.map(find)]);
  }
  if (resolution.merges.length) {
    const m = resolution.merges;
    // WITH ORDINALITY keeps the log in decision order
    await tx.query(
      `INSERT INTO profile_merges (status, surviving_profile_id, absorbed_profile_id, reason, message_id)
       SELECT st, s, a, r, mid FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(st, s, a, r, mid, i)
       -- a refusal is logged once per pair of profiles, not on every event of a shared family e-mail
       WHERE st = 'merged' OR NOT EXISTS (SELECT 1 FROM profile_merges WHERE status = 'refused' AND surviving_profile_id = x.s AND absorbed_profile_id = x.a)
       ORDER BY i`,
      [m.map((x) => x.status), m.map((x) => x.survivingProfileId), m.map((x) => x.absorbedProfileId), m.map((x) => x.reason), m.map((x) => x.messageId)],
    );
  }
  // report roots as they are after this batch
  resolution.touched = new Set([...resolution.touched].flatMap((p) => [p, find(p)]));
  const live = [...resolution.touched].filter((p) => !parent.has(p));
  if (live.length) await tx.query(`UPDATE profiles SET updated_at = now() WHERE profile_id = ANY($1::text[])`, [live]);
  return resolution;
}

/** One row of the merge log. */
export interface MergeLogEntry {
  mergeId: string;
  status: 'merged' | 'refused' | 'undone';
  survivingProfileId: string;
  absorbedProfileId: string;
  reason: string;
  messageId: string | null;
  createdAt: string;
  undoneAt: string | null;
}

/** Result of {@link undoMerge}. */
export type UndoResult =
  | { ok: true; merge: MergeLogEntry; touched: string[] }
  | { ok: false; status: 404 | 409; code: string; message: string };

interface MergeRow {
  merge_id: string | number;
  status: MergeLogEntry['status'];
  surviving_profile_id: string;
  absorbed_profile_id: string;
  reason: string;
  message_id: string | null;
  created_at: Date | string;
  undone_at: Date | string | null;
}

/** A merge-log row as the API answers it. */
export function mergeEntry(r: MergeRow): MergeLogEntry {
  return {
    mergeId: String(r.merge_id),
    status: r.status,
    survivingProfileId: r.surviving_profile_id,
    absorbedProfileId: r.absorbed_profile_id,
    reason: r.reason,
    messageId: r.message_id,
    createdAt: new Date(r.created_at).toISOString(),
    undoneAt: r.undone_at ? new Date(r.undone_at).toISOString() : null,
  };
}

/**
 * Undoes merge `mergeId`: the absorbed profile becomes a root again with every identity and event it (and what it had
 * absorbed before) held; identities and events that arrived after the merge stay with the survivor. The two profiles
 * are blocked from merging again: a later event with the same link is logged as a refused merge.
 *
 * @example
 * ```ts
 * const r = await undoMerge(db, '42');
 * if (r.ok) console.log(r.merge.absorbedProfileId, 'restored');
 * ```
 */
export async function undoMerge(db: Db, mergeId: string): Promise<UndoResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const lock = db.kind === 'postgres' ? 'FOR UPDATE' : '';
        const { rows } = await tx.query<MergeRow>(`SELECT * FROM profile_merges WHERE merge_id = $1::bigint ${lock}`, [mergeId]);
        const m = rows[0];
        if (!m) return { ok: false, status: 404, code: 'merge_not_found', message: `no merge ${mergeId}` } as const;
        if (m.status !== 'merged') return { ok: false, status: 409, code: `merge_${m.status}`, message: `merge ${mergeId} is ${m.status}; only a merge that happened can be undone` } as const;
        // lock the tree's current root, so no batch links into it while it splits
        const root = (await tx.query<{ root_id: string }>(`SELECT root_id FROM profiles WHERE profile_id = $1`, [m.absorbed_profile_id])).rows[0]!.root_id;
        const locked = await tx.query<{ root_id: string }>(`SELECT root_id FROM profiles WHERE profile_id = $1 ${lock}`, [root]);
        if (locked.rows[0]!.root_id !== root) throw new GraphRetry();
        await tx.query(`UPDATE profiles SET merged_into = NULL, updated_at = now() WHERE profile_id = $1`, [m.absorbed_profile_id]);
        await tx.query(
          `WITH RECURSIVE sub(id) AS (SELECT $1::text UNION ALL SELECT p.profile_id FROM profiles p JOIN sub ON p.merged_into = sub.id)
           UPDATE profiles SET root_id = $1 WHERE profile_id IN (SELECT id FROM sub)`,
          [m.absorbed_profile_id],
        );
        await tx.query(`UPDATE profiles SET updated_at = now() WHERE profile_id = $1`, [root]);
        const done = await tx.query<MergeRow>(`UPDATE profile_merges SET status = 'undone', undone_at = now() WHERE merge_id = $1::bigint RETURNING *`, [mergeId]);
        // the two profiles stay apart: the link that merged them (a forged or shared identity) merges them no more
        const pair = [m.surviving_profile_id, m.absorbed_profile_id].sort();
        await tx.query(`INSERT INTO merge_blocks (profile_a, profile_b, merge_id) VALUES ($1, $2, $3::bigint) ON CONFLICT DO NOTHING`, [pair[0], pair[1], mergeId]);
        return { ok: true, merge: mergeEntry(done.rows[0]!), touched: [root, m.absorbed_profile_id] } as const;
      });
    } catch (error) {
      if (attempt < 8 && isRetryable(error)) continue;
      throw error;
    }
  }
}
