/**
 * Validates events and consent records with the schemas and stores the valid ones, one transaction per request,
 * each messageId/consentId once. Imports: schema, the Db seam, sanitize. Never lets one bad item cost the good ones.
 */
import type { z } from 'zod';
import { eventSchema, MAX_EVENT_BYTES, type BatchResponse, type Rejection, type Repair, type TouchpointEvent } from '../schema/event';
import { consentRecordSchema, type ConsentRecord } from '../schema/consent-record';
import type { Db } from './db/types';
import { createIdentityRules, isRetryable, resolveEvents, type IdentityRules, type MergeDecision } from './identity-graph';
import { formatPath, sanitizeItem } from './sanitize';

type Problem = Rejection['problems'][number];

/**
 * What `POST /v1/consent` answers: counts, every rejected record with its consentId (as sent) and all its problems, and
 * every stored record that was repaired (lone UTF-16 surrogates replaced by U+FFFD) with where.
 *
 * @example
 * ```ts
 * const body: ConsentResponse = { accepted: 1, duplicates: 0, rejected: [], repaired: [] };
 * ```
 */
export interface ConsentResponse {
  /** Records stored now. */
  accepted: number;
  /** Records stored before (same consentId), answered as success. */
  duplicates: number;
  /** Records not stored, each with all its problems. */
  rejected: { index: number; consentId?: string; problems: Problem[] }[];
  /** Accepted or duplicate records that were stored repaired, each with where. */
  repaired: { index: number; consentId?: string; problems: Problem[] }[];
}

/** An event that was stored for the first time, as handed to `on('event')` listeners. */
export interface StoredEvent {
  event: TouchpointEvent;
  writeKey: string;
  receivedAt: Date;
}

/** A consent record that was stored for the first time, as handed to `on('consent')` listeners. */
export interface StoredConsent {
  record: ConsentRecord;
  writeKey: string;
  receivedAt: Date;
}

function problemsOf(error: z.ZodError): Problem[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** A date the schema accepted, as ISO-8601 UTC that Postgres reads back identically; undefined when out of range. */
function toIso(s: string): string | undefined {
  const iso = new Date(Date.parse(s)).toISOString();
  return /^\d{4}-/.test(iso) && !iso.startsWith('0000') ? iso : undefined;
}

const DEFAULT_RULES = createIdentityRules();

const stringOr = (v: unknown) => (typeof v === 'string' ? v : undefined);

interface Checked<T> {
  valid: { index: number; id?: string; value: T; json: string; repaired: Problem[] }[];
  rejected: { index: number; id?: string; problems: Problem[] }[];
}

function check<T>(
  items: readonly unknown[],
  idKey: string,
  parse: (item: unknown) => { success: true; data: T } | { success: false; error: z.ZodError },
  extra: (value: T) => Problem[],
): Checked<T> {
  const out: Checked<T> = { valid: [], rejected: [] };
  items.forEach((item, index) => {
    const id = item && typeof item === 'object' ? stringOr((item as Record<string, unknown>)[idKey]) : undefined;
    // first, so nothing below recurses into a hostile item or hands Postgres what it refuses
    const clean = sanitizeItem(item);
    if (clean.refused.length) {
      out.rejected.push({ index, id, problems: clean.refused });
      return;
    }
    const r = parse(clean.value);
    if (!r.success) {
      out.rejected.push({ index, id, problems: problemsOf(r.error) });
      return;
    }
    const json = JSON.stringify(r.data);
    const problems = extra(r.data);
    if (Buffer.byteLength(json) > MAX_EVENT_BYTES) problems.push({ path: '', message: `is larger than ${MAX_EVENT_BYTES} bytes` });
    if (problems.length) {
      out.rejected.push({ index, id, problems });
      return;
    }
    out.valid.push({ index, id, value: r.data, json, repaired: clean.repaired });
  });
  return out;
}

/**
 * Validates and stores a list of events sent with `writeKey`.
 *
 * @returns the response body and the events stored for the first time (for listeners, after commit)
 * @example
 * ```ts
 * const { response } = await ingestEvents(db, body.batch, 'wk_live_1');
 * ```
 */
export async function ingestEvents(
  db: Db,
  items: readonly unknown[],
  writeKey: string,
  rules: IdentityRules = DEFAULT_RULES,
): Promise<{ response: BatchResponse; stored: StoredEvent[]; profiles: string[]; merges: MergeDecision[] }> {
  const checked = check<TouchpointEvent>(
    items.map((item) => stripWriteKey(item)),
    'messageId',
    (item) => eventSchema.safeParse(item),
    (e) => {
      const problems: Problem[] = [];
      if (!toIso(e.timestamp)) problems.push({ path: 'timestamp', message: 'is out of range' });
      if (e.sentAt && !toIso(e.sentAt)) problems.push({ path: 'sentAt', message: 'is out of range' });
      return problems;
    },
  );
  // a writeKey inside an event must be the key the request was authenticated with
  items.forEach((item, index) => {
    const inner = item && typeof item === 'object' ? (item as Record<string, unknown>).writeKey : undefined;
    if (inner === undefined || inner === writeKey) return;
    const at = checked.valid.findIndex((v) => v.index === index);
    const problem = { path: 'writeKey', message: 'differs from the write key of the request' };
    if (at >= 0) {
      checked.valid.splice(at, 1);
      checked.rejected.push({ index, id: stringOr((item as Record<string, unknown>).messageId), problems: [problem] });
    } else checked.rejected.find((r) => r.index === index)?.problems.push(problem);
  });
  checked.rejected.sort((a, b) => a.index - b.index);

  const rejected: Rejection[] = checked.rejected.map((r) => ({ index: r.index, messageId: r.id, problems: r.problems }));
  const repaired: Repair[] = repairsOf(checked).map((r) => ({ index: r.index, messageId: r.id, problems: r.problems }));
  if (!checked.valid.length) return { response: { accepted: 0, duplicates: 0, rejected, repaired }, stored: [], profiles: [], merges: [] };

  // the same messageId twice in one batch is resolved once
  const firstOf = new Map<string, TouchpointEvent>();
  for (const { value } of checked.valid) if (!firstOf.has(value.messageId)) firstOf.set(value.messageId, value);
  const cols = { id: [] as string[], type: [] as string[], event: [] as (string | null)[], anon: [] as (string | null)[], user: [] as (string | null)[], ts: [] as string[], sent: [] as (string | null)[], channel: [] as (string | null)[], body: [] as string[] };
  for (const { value: e, json } of checked.valid) {
    cols.id.push(e.messageId);
    cols.type.push(e.type);
    cols.event.push(e.event ?? e.name ?? null);
    cols.anon.push(e.anonymousId ?? null);
    cols.user.push(e.userId ?? null);
    cols.ts.push(toIso(e.timestamp)!);
    cols.sent.push(e.sentAt ? toIso(e.sentAt)! : null);
    cols.channel.push(e.context?.channel ?? null);
    cols.body.push(json);
  }
  // resolution and insert share one transaction; a deadlock or a profile merged away under us re-runs it
  let result: { rows: { message_id: string; received_at: Date }[]; profiles: string[]; merges: MergeDecision[] };
  for (let attempt = 0; ; attempt++) {
    try {
      result = await db.transaction(async (tx) => {
        const graph = await resolveEvents(tx, [...firstOf.values()], rules, db.kind === 'postgres');
        const profile = cols.id.map((id) => graph.profileOf.get(id) ?? null);
        // one statement for the whole batch: unnest keeps it at 11 parameters however many events there are
        const { rows } = await tx.query<{ message_id: string; received_at: Date }>(
          `INSERT INTO events (message_id, type, event, anonymous_id, user_id, timestamp, sent_at, channel, write_key, body, profile_id)
           SELECT m, t, e, a, u, ts, s, c, $9, b::jsonb, p
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[], $10::text[], $11::text[])
             AS x(m, t, e, a, u, ts, s, c, b, p)
           ON CONFLICT (message_id) DO NOTHING
           RETURNING message_id, received_at`,
          [cols.id, cols.type, cols.event, cols.anon, cols.user, cols.ts, cols.sent, cols.channel, writeKey, cols.body, profile],
        );
        return { rows, profiles: [...graph.touched], merges: graph.merges };
      });
      break;
    } catch (error) {
      if (attempt < 8 && isRetryable(error)) continue;
      throw error;
    }
  }
  const { rows } = result;
  const stored: StoredEvent[] = [];
  const byId = new Map(checked.valid.map((v) => [v.value.messageId, v.value] as const));
  for (const row of rows) stored.push({ event: byId.get(row.message_id)!, writeKey, receivedAt: new Date(row.received_at) });
  const response = { accepted: rows.length, duplicates: checked.valid.length - rows.length, rejected, repaired };
  return { response, stored, profiles: result.profiles, merges: result.merges };
}

/**
 * Validates and stores consent proof records sent with `writeKey`.
 *
 * @example
 * ```ts
 * const { response } = await ingestConsent(db, [record], 'wk_live_1');
 * ```
 */
export async function ingestConsent(db: Db, items: readonly unknown[], writeKey: string): Promise<{ response: ConsentResponse; stored: StoredConsent[] }> {
  const checked = check<ConsentRecord>(
    items,
    'consentId',
    (item) => consentRecordSchema.safeParse(item),
    (r) => {
      const problems: Problem[] = [];
      if (!toIso(r.timestamp)) problems.push({ path: 'timestamp', message: 'is out of range' });
      if (r.expiresAt !== undefined && (Number.isNaN(Date.parse(r.expiresAt)) || !toIso(r.expiresAt))) {
        problems.push({ path: 'expiresAt', message: 'must be an ISO-8601 date-time' });
      }
      return problems;
    },
  );
  const rejected = checked.rejected.map((r) => ({ index: r.index, consentId: r.id, problems: r.problems }));
  const repaired = repairsOf(checked).map((r) => ({ index: r.index, consentId: r.id, problems: r.problems }));
  if (!checked.valid.length) return { response: { accepted: 0, duplicates: 0, rejected, repaired }, stored: [] };

  const { rows } = await db.transaction(async (tx) => {
    const params: unknown[] = [writeKey];
    const values = checked.valid.map(({ value: r, json }) => {
      const at = params.length;
      params.push(r.consentId, toIso(r.timestamp), r.policyVersion, r.method, r.locale, r.granted, r.denied, r.textHash, r.sdkVersion, r.expiresAt ? toIso(r.expiresAt) : null, json);
      const p = (i: number) => `$${at + i}`;
      return `(${p(1)}, ${p(2)}::timestamptz, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}::text[], ${p(7)}::text[], ${p(8)}, ${p(9)}, ${p(10)}::timestamptz, $1, ${p(11)}::jsonb)`;
    });
    return tx.query<{ consent_id: string; received_at: Date }>(
      `INSERT INTO consent_records (consent_id, timestamp, policy_version, method, locale, granted, denied, text_hash, sdk_version, expires_at, write_key, body)
       VALUES ${values.join(', ')}
       ON CONFLICT (consent_id) DO NOTHING
       RETURNING consent_id, received_at`,
      params,
    );
  });
  const byId = new Map(checked.valid.map((v) => [v.value.consentId, v.value] as const));
  const stored = rows.map((row) => ({ record: byId.get(row.consent_id)!, writeKey, receivedAt: new Date(row.received_at) }));
  return { response: { accepted: rows.length, duplicates: checked.valid.length - rows.length, rejected, repaired }, stored };
}

/** The valid items that were repaired, in batch order. */
function repairsOf<T>(checked: Checked<T>): { index: number; id?: string; problems: Problem[] }[] {
  return checked.valid.filter((v) => v.repaired.length).map((v) => ({ index: v.index, id: v.id, problems: v.repaired }));
}

/** Segment puts the write key inside each event; it is a credential of the request, not part of the event. */
function stripWriteKey(item: unknown): unknown {
  if (!item || typeof item !== 'object' || Array.isArray(item) || !('writeKey' in item)) return item;
  const { writeKey: _drop, ...rest } = item as Record<string, unknown>;
  return rest;
}
