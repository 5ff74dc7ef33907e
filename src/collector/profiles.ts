/**
 * Reads unified profiles out of the identity graph: the full view for the profile API and the dashboard (identities,
 * traits, consent, the timeline across devices and channels, attribution) and the visitor's own summary for /v1/me.
 * Imports: the Db seam, identity-graph types. Read-only: never writes, and every input is a query parameter.
 */
import type { Db } from './db/types';
import { mergeEntry, type MergeLogEntry } from './identity-graph';

/** Most events one profile read considers (the newest); older ones still count in `touchpoints.total`. */
export const MAX_PROFILE_EVENTS = 10_000;
/** Timeline length when the caller asks for none. */
export const DEFAULT_TIMELINE_LIMIT = 1_000;
/** Cart events of the profile summary. */
const CART_EVENTS = new Set(['product_added', 'product_removed', 'order_completed']);
const RECENTLY_VIEWED_MAX = 10;

type Json = Record<string, any>;

/** One touchpoint on a profile's timeline. */
export interface TimelineEntry {
  messageId: string;
  type: string;
  event: string | null;
  timestamp: string;
  receivedAt: string;
  /** `web` for browser events, else the server-side channel (`store`, `call_center`, `email`, …). */
  channel: string;
  /** The browser's channel of arrival (e.g. `Paid Search`), as sent in `context.channel`. */
  arrivalChannel: string | null;
  anonymousId: string | null;
  userId: string | null;
  campaign: Json | null;
  path: string | null;
  properties: Json;
}

/** The whole unified profile, as `GET /v1/profiles/{id}` answers it. */
export interface ProfileView {
  profileId: string;
  /** Profiles merged into this one (their ids still resolve here). */
  mergedProfileIds: string[];
  createdAt: string;
  updatedAt: string;
  identities: { type: string; value: string; hashed: boolean; firstSeenAt: string; linkedBy: string | null; profileId: string }[];
  traits: Record<string, { value: unknown; timestamp: string }>;
  consent: {
    latest: ConsentSnapshot | null;
    byDevice: Record<string, ConsentSnapshot>;
    history: ConsentSnapshot[];
  };
  touchpoints: { total: number; shown: number };
  timeline: TimelineEntry[];
  attribution: { firstTouch: Touch | null; lastTouch: Touch | null };
  channels: string[];
  devices: { anonymousId: string; firstSeenAt: string; lastSeenAt: string; touchpoints: number; userAgent: string | null }[];
  merges: MergeLogEntry[];
}

/** A consent snapshot as carried in an event's `context.consent`. */
export interface ConsentSnapshot {
  timestamp: string;
  anonymousId: string | null;
  categories: string[];
  policyVersion: string | null;
  method: string | null;
}

/** A first or last touch: channel and campaign. */
export interface Touch {
  timestamp: string;
  channel: string;
  arrivalChannel: string | null;
  campaign: Json | null;
  messageId: string;
}

/** The visitor's own summary (`GET /v1/me`); the SDK's `ProfileSummary`. */
export interface ProfileSummaryView {
  profileId: string;
  openCart?: { products: Json[]; updatedAt: string };
  recentlyViewed: Json[];
  preferredChannel?: string;
  lastSeenAt: string;
}

/**
 * The channel kind of an event: server-side touchpoints name theirs in snake_case (`store`, `call_center`, `email`);
 * anything else (the browser's "Paid Search", "Direct", none) is `web`.
 */
export const channelKind = (channel: unknown): string => (typeof channel === 'string' && /^[a-z][a-z0-9_]*$/.test(channel) ? channel : 'web');

const iso = (d: Date | string) => new Date(d).toISOString();
const parse = (b: unknown): Json => (typeof b === 'string' ? JSON.parse(b) : (b as Json));
const productKey = (p: Json) => String(p.product_id ?? p.sku ?? p.name ?? '');

/**
 * The root profile `profileId` belongs to (itself unless merged), or undefined when there is none.
 *
 * @example
 * ```ts
 * await rootProfile(db, absorbedId); // the survivor's id
 * ```
 */
export async function rootProfile(db: Pick<Db, 'query'>, profileId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ root_id: string }>(`SELECT root_id FROM profiles WHERE profile_id = $1`, [profileId]);
  return rows[0]?.root_id;
}

/**
 * The root profile holding identity `(type, value)`, or undefined.
 *
 * @example
 * ```ts
 * await profileByIdentity(db, 'loyalty_id', 'L-1001');
 * ```
 */
export async function profileByIdentity(db: Pick<Db, 'query'>, type: string, value: string): Promise<string | undefined> {
  const { rows } = await db.query<{ root_id: string }>(
    `SELECT p.root_id FROM identities i JOIN profiles p ON p.profile_id = i.profile_id WHERE i.type = $1 AND i.value = $2`,
    [type, value],
  );
  return rows[0]?.root_id;
}

interface EventRow {
  message_id: string;
  type: string;
  event: string | null;
  anonymous_id: string | null;
  user_id: string | null;
  timestamp: Date | string;
  received_at: Date | string;
  channel: string | null;
  body: unknown;
}

/** The profiles of a root's tree (itself and what it absorbed), oldest first. */
async function members(db: Pick<Db, 'query'>, root: string) {
  return (await db.query<{ profile_id: string; created_at: Date; updated_at: Date }>(`SELECT profile_id, created_at, updated_at FROM profiles WHERE root_id = $1 ORDER BY created_at`, [root])).rows;
}

/** The newest {@link MAX_PROFILE_EVENTS} events of a tree's profiles, oldest first, and how many there are in all. */
async function profileEvents(db: Pick<Db, 'query'>, ids: string[], columns: string): Promise<{ rows: EventRow[]; total: number }> {
  // member ids first, then `profile_id = ANY(…)`: an index lookup whatever the planner's statistics say
  const [events, count] = await Promise.all([
    db.query<EventRow>(
      `SELECT ${columns} FROM events WHERE profile_id = ANY($1::text[]) ORDER BY timestamp DESC, received_at DESC, message_id DESC LIMIT ${MAX_PROFILE_EVENTS}`,
      [ids],
    ),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE profile_id = ANY($1::text[])`, [ids]),
  ]);
  return { rows: events.rows.reverse(), total: count.rows[0]?.n ?? 0 };
}

/** The few properties a timeline row shows (ids, amounts, products). */
function timelineProps(body: Json): Json {
  const p = body.properties ?? body.traits ?? {};
  const out: Json = {};
  for (const k of ['order_id', 'product_id', 'sku', 'name', 'price', 'quantity', 'total', 'revenue', 'currency', 'store_id', 'agent_id', 'topic', 'reason']) {
    if (typeof p[k] === 'string' || typeof p[k] === 'number') out[k] = typeof p[k] === 'string' ? p[k].slice(0, 120) : p[k];
  }
  if (Array.isArray(p.products)) out.products = p.products.length;
  if (Array.isArray(body.identities)) out.identities = body.identities.map((i: Json) => i?.type).filter(Boolean);
  return out;
}

/**
 * Reads the unified profile `profileId` (an absorbed id reads its survivor), or undefined when there is none.
 *
 * @param timelineLimit - newest touchpoints on the timeline @defaultValue {@link DEFAULT_TIMELINE_LIMIT}
 * @example
 * ```ts
 * const view = await readProfile(db, profileId);
 * view?.timeline.map((t) => `${t.timestamp} ${t.channel} ${t.event}`);
 * ```
 */
export async function readProfile(db: Pick<Db, 'query'>, profileId: string, timelineLimit = DEFAULT_TIMELINE_LIMIT): Promise<ProfileView | undefined> {
  const root = await rootProfile(db, profileId);
  if (!root) return undefined;
  const tree = await members(db, root);
  const memberIds = tree.map((m) => m.profile_id);
  const [ids, events, merges] = await Promise.all([
    db.query<{ type: string; value: string; hashed: boolean; profile_id: string; message_id: string | null; first_seen_at: Date }>(
      `SELECT type, value, hashed, profile_id, message_id, first_seen_at FROM identities WHERE profile_id = ANY($1::text[]) ORDER BY first_seen_at, type, value`,
      [memberIds],
    ),
    profileEvents(db, memberIds, 'message_id, type, event, anonymous_id, user_id, timestamp, received_at, channel, body'),
    db.query<Parameters<typeof mergeEntry>[0]>(
      `SELECT * FROM profile_merges WHERE surviving_profile_id = ANY($1::text[]) OR absorbed_profile_id = ANY($1::text[]) ORDER BY merge_id DESC LIMIT 200`,
      [memberIds],
    ),
  ]);
  const self = tree.find((m) => m.profile_id === root)!;

  const traits: ProfileView['traits'] = {};
  const history: ConsentSnapshot[] = [];
  const byDevice: Record<string, ConsentSnapshot> = {};
  const lastOfDevice = new Map<string, string>();
  const timeline: TimelineEntry[] = [];
  const channels: string[] = [];
  const devices = new Map<string, ProfileView['devices'][number]>();
  let firstTouch: Touch | null = null;
  let lastTouch: Touch | null = null;
  let latest: ConsentSnapshot | null = null;

  for (const r of events.rows) {
    const body = parse(r.body);
    const ctx: Json = body.context ?? {};
    const timestamp = iso(r.timestamp);
    const kind = channelKind(r.channel);
    if (!channels.includes(kind)) channels.push(kind);
    for (const [k, v] of Object.entries({ ...(ctx.traits ?? {}), ...(body.traits ?? {}) })) traits[k] = { value: v, timestamp };
    if (ctx.consent && Array.isArray(ctx.consent.categories)) {
      const snap: ConsentSnapshot = { timestamp, anonymousId: r.anonymous_id, categories: ctx.consent.categories, policyVersion: ctx.consent.policyVersion ?? null, method: ctx.consent.method ?? null };
      const device = r.anonymous_id ?? '';
      const sig = JSON.stringify([snap.categories, snap.policyVersion]);
      if (lastOfDevice.get(device) !== sig) history.push(snap);
      lastOfDevice.set(device, sig);
      if (r.anonymous_id) byDevice[r.anonymous_id] = snap;
      latest = snap;
    }
    if (kind === 'web' && r.anonymous_id) {
      const d = devices.get(r.anonymous_id) ?? { anonymousId: r.anonymous_id, firstSeenAt: timestamp, lastSeenAt: timestamp, touchpoints: 0, userAgent: null };
      d.lastSeenAt = timestamp;
      d.touchpoints++;
      if (typeof ctx.userAgent === 'string') d.userAgent = ctx.userAgent;
      devices.set(r.anonymous_id, d);
    }
    const campaign = ctx.campaign && typeof ctx.campaign === 'object' ? ctx.campaign : null;
    if (r.channel) {
      const touch: Touch = { timestamp, channel: kind, arrivalChannel: kind === 'web' ? r.channel : null, campaign, messageId: r.message_id };
      firstTouch ??= touch;
      lastTouch = touch;
    }
    timeline.push({
      messageId: r.message_id,
      type: r.type,
      event: r.event,
      timestamp,
      receivedAt: iso(r.received_at),
      channel: kind,
      arrivalChannel: kind === 'web' ? r.channel : null,
      anonymousId: r.anonymous_id,
      userId: r.user_id,
      campaign,
      path: typeof ctx.page?.path === 'string' ? ctx.page.path : null,
      properties: timelineProps(body),
    });
  }
  const shown = timeline.slice(-Math.max(1, timelineLimit));
  return {
    profileId: root,
    mergedProfileIds: memberIds.filter((m) => m !== root),
    createdAt: iso(self.created_at),
    updatedAt: iso(self.updated_at),
    identities: ids.rows.map((i) => ({ type: i.type, value: i.value, hashed: i.hashed, firstSeenAt: iso(i.first_seen_at), linkedBy: i.message_id, profileId: i.profile_id })),
    traits,
    consent: { latest, byDevice, history },
    touchpoints: { total: events.total, shown: shown.length },
    timeline: shown,
    attribution: { firstTouch, lastTouch },
    channels,
    devices: [...devices.values()],
    merges: merges.rows.map(mergeEntry),
  };
}

/**
 * The visitor-facing summary of root profile `root`: the open cart across all its devices (added minus removed since
 * the last web order; an order in another channel, e.g. the store, takes out only the products it bought), recently
 * viewed products, the preferred channel and when it was last seen.
 *
 * @example
 * ```ts
 * const me = await readSummary(db, root); // { profileId, openCart: { products, updatedAt }, recentlyViewed, … }
 * ```
 */
export async function readSummary(db: Pick<Db, 'query'>, root: string): Promise<ProfileSummaryView> {
  const { rows } = await profileEvents(db, (await members(db, root)).map((m) => m.profile_id), `message_id, type, event, anonymous_id, user_id, timestamp, received_at, channel, body->'properties' AS body`);
  let cart = new Map<string, Json>();
  let cartAt: string | undefined;
  const viewed: Json[] = [];
  const uses = new Map<string, { n: number; last: number }>();
  let lastSeen = 0;
  rows.forEach((r, i) => {
    const t = Date.parse(iso(r.timestamp));
    lastSeen = Math.max(lastSeen, t);
    const kind = channelKind(r.channel);
    const u = uses.get(kind) ?? { n: 0, last: 0 };
    u.n++;
    u.last = i;
    uses.set(kind, u);
    if (r.type !== 'track' || !r.event) return;
    const p = parse(r.body) ?? {};
    if (r.event === 'product_viewed') viewed.push(p);
    if (!CART_EVENTS.has(r.event)) return;
    if (r.event === 'order_completed') {
      // a web order checks out the one online cart; a purchase in another channel (the store's till, the call centre)
      // settles only the products it bought, so the cart started on the phone is still there after a visit to the store
      if (kind === 'web' || !Array.isArray(p.products)) {
        cart = new Map();
        cartAt = iso(r.timestamp);
      } else {
        let settled = false;
        for (const bought of p.products) if (bought && typeof bought === 'object' && cart.delete(productKey(bought))) settled = true;
        if (settled) cartAt = iso(r.timestamp);
      }
      return;
    }
    cartAt = iso(r.timestamp);
    const key = productKey(p);
    if (!key) return;
    const qty = typeof p.quantity === 'number' && p.quantity > 0 ? p.quantity : 1;
    const held = cart.get(key);
    const next = (held?.quantity ?? 0) + (r.event === 'product_added' ? qty : -qty);
    if (next > 0) cart.set(key, { ...(held ?? {}), ...p, quantity: next });
    else cart.delete(key);
  });
  const recentlyViewed: Json[] = [];
  const seen = new Set<string>();
  for (let i = viewed.length - 1; i >= 0 && recentlyViewed.length < RECENTLY_VIEWED_MAX; i--) {
    const key = productKey(viewed[i]!);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    recentlyViewed.push(viewed[i]!);
  }
  // most touchpoints wins; a tie goes to the channel used last
  const preferred = [...uses.entries()].sort((a, b) => b[1].n - a[1].n || b[1].last - a[1].last)[0]?.[0];
  return {
    profileId: root,
    ...(cartAt && { openCart: { products: [...cart.values()], updatedAt: cartAt } }),
    recentlyViewed,
    ...(preferred && { preferredChannel: preferred }),
    lastSeenAt: new Date(lastSeen || Date.now()).toISOString(),
  };
}

/**
 * The categories of the newest consent snapshot a device sent with `writeKey` (consent is given to one site, not to every
 * shop on the collector), or undefined when the device is unknown there or never sent one.
 * An event counts as no newer than its arrival: a clock running ahead (or a forged future timestamp) must not outlast a
 * later withdrawal, while late deliveries from an offline outbox keep the order they happened in.
 *
 * @example
 * ```ts
 * (await deviceConsent(db, anonymousId, 'wk_live_1'))?.includes('personalization');
 * ```
 */
export async function deviceConsent(db: Pick<Db, 'query'>, anonymousId: string, writeKey: string): Promise<string[] | undefined> {
  const { rows } = await db.query<{ categories: unknown }>(
    `SELECT body->'context'->'consent'->'categories' AS categories FROM events
     WHERE anonymous_id = $1 AND write_key = $2 AND jsonb_typeof(body->'context'->'consent'->'categories') = 'array'
     ORDER BY LEAST(timestamp, received_at) DESC, received_at DESC, timestamp DESC LIMIT 1`,
    [anonymousId, writeKey],
  );
  const c = rows[0] ? parse(rows[0].categories) : undefined;
  return Array.isArray(c) ? c.filter((x): x is string => typeof x === 'string') : undefined;
}

/**
 * The merge log, newest first, optionally only the merges a profile's tree took part in.
 *
 * @example
 * ```ts
 * await listMerges(db, { limit: 50 });
 * ```
 */
export async function listMerges(db: Pick<Db, 'query'>, options: { profileId?: string; limit?: number } = {}): Promise<MergeLogEntry[]> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
  const root = options.profileId ? await rootProfile(db, options.profileId) : undefined;
  if (options.profileId && !root) return [];
  const { rows } = root
    ? await db.query<Parameters<typeof mergeEntry>[0]>(
        `SELECT * FROM profile_merges WHERE surviving_profile_id = ANY($1::text[]) OR absorbed_profile_id = ANY($1::text[]) ORDER BY merge_id DESC LIMIT ${limit}`,
        [(await members(db, root)).map((m) => m.profile_id)],
      )
    : await db.query<Parameters<typeof mergeEntry>[0]>(`SELECT * FROM profile_merges ORDER BY merge_id DESC LIMIT ${limit}`);
  return rows.map(mergeEntry);
}

/** One row of {@link listProfiles}. */
export interface ProfileListEntry {
  profileId: string;
  updatedAt: string;
  identities: { type: string; value: string; hashed: boolean }[];
}

/**
 * The most recently changed root profiles with their identities, for the dashboard.
 *
 * @example
 * ```ts
 * await listProfiles(db, 20);
 * ```
 */
export async function listProfiles(db: Pick<Db, 'query'>, limit = 20): Promise<{ total: number; profiles: ProfileListEntry[] }> {
  const n = Math.min(Math.max(limit, 1), 200);
  const [count, roots] = await Promise.all([
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM profiles WHERE merged_into IS NULL`),
    db.query<{ profile_id: string; updated_at: Date }>(`SELECT profile_id, updated_at FROM profiles WHERE merged_into IS NULL ORDER BY updated_at DESC, profile_id LIMIT ${n}`),
  ]);
  const rootIds = roots.rows.map((r) => r.profile_id);
  const tree = await db.query<{ profile_id: string; root_id: string }>(`SELECT profile_id, root_id FROM profiles WHERE root_id = ANY($1::text[])`, [rootIds]);
  const rootOf = new Map(tree.rows.map((m) => [m.profile_id, m.root_id]));
  const ids = await db.query<{ profile_id: string; type: string; value: string; hashed: boolean }>(
    `SELECT profile_id, type, value, hashed FROM identities WHERE profile_id = ANY($1::text[]) ORDER BY first_seen_at, type, value`,
    [[...rootOf.keys()]],
  );
  const byRoot = new Map<string, ProfileListEntry['identities']>(rootIds.map((r) => [r, []]));
  for (const i of ids.rows) byRoot.get(rootOf.get(i.profile_id)!)?.push({ type: i.type, value: i.value, hashed: i.hashed });
  return { total: count.rows[0]?.n ?? 0, profiles: roots.rows.map((r) => ({ profileId: r.profile_id, updatedAt: iso(r.updated_at), identities: byRoot.get(r.profile_id)! })) };
}
