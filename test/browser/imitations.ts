/**
 * Local stand-ins for other collectors, each enforcing that collector's acceptance rules: Segment's HTTP API
 * (HTTP Basic write key or writeKey in a text/plain body, `{ batch }` with the spec's required fields, gzip), the
 * Snowplow collector's tp2 endpoint (JSON content type, payload_data 1-0-4 validated with the published schema) and
 * PostHog's batch capture (api_key, event/distinct_id/properties/timestamp). Each can be down (connections dropped
 * before the body is read, so nothing it "received" is lost). Only 127.0.0.1. Imports: node built-ins, zod.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';

export interface Imitation {
  url: string;
  /** Accepted events by their id (messageId, eid or uuid), with how often each arrived. */
  counts: Map<string, number>;
  /** Accepted events in arrival order. */
  events: Record<string, any>[];
  /** Every request: status answered and Content-Encoding. */
  log: { status: number; encoding?: string; path: string }[];
  /** While true, connections are dropped before the request is read. */
  down: boolean;
  close(): Promise<void>;
}

type Rule = (req: IncomingMessage, body: unknown, raw: Buffer) => { status: number; body?: unknown; events?: Record<string, any>[]; id?: (e: any) => string };

async function serve(path: string, rule: Rule): Promise<Imitation> {
  const sockets = new Set<Socket>();
  const self: Imitation = {
    url: '',
    counts: new Map(),
    events: [],
    log: [],
    down: false,
    close: () => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
  const cors = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Content-Encoding, Authorization');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  };
  const server = createServer((req, res) => {
    if (self.down) return void req.socket.destroy();
    cors(req, res);
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: unknown = {}) => {
        self.log.push({ status, encoding: req.headers['content-encoding'], path: req.url ?? '' });
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== path) return answer(404, { error: 'not found' });
      let raw = Buffer.concat(chunks);
      let body: unknown;
      try {
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return answer(400, { error: 'invalid body' });
      }
      const r = rule(req, body, raw);
      for (const e of r.events ?? []) {
        const id = r.id!(e);
        self.counts.set(id, (self.counts.get(id) ?? 0) + 1);
        self.events.push(e);
      }
      answer(r.status, r.body);
    });
  });
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return self;
}

const iso = z.iso.datetime({ offset: true });
const segmentEvent = z
  .looseObject({ type: z.enum(['track', 'page', 'screen', 'identify', 'group', 'alias']), messageId: z.string().min(1), timestamp: iso, anonymousId: z.string().optional(), userId: z.string().optional() })
  .refine((e) => e.userId || e.anonymousId, 'anonymousId or userId')
  .refine((e) => e.type !== 'track' || typeof e.event === 'string', 'track needs event');

/** Segment's tracking API: 401 without the write key, 400 for a body that is not a valid batch. */
export function segmentCollector(writeKey: string): Promise<Imitation> {
  return serve('/v1/batch', (req, body) => {
    const auth = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''));
    const user = auth ? Buffer.from(auth[1], 'base64').toString().split(':')[0] : (body as any)?.writeKey;
    if (user !== writeKey) return { status: 401, body: { message: 'invalid write key' } };
    const parsed = z.object({ batch: z.array(segmentEvent).min(1) }).safeParse(body);
    if (!parsed.success) return { status: 400, body: { message: parsed.error.message } };
    return { status: 200, body: { success: true }, events: (body as any).batch, id: (e) => e.messageId };
  });
}

const payloadData = z.fromJSONSchema(JSON.parse(readFileSync('/work/shared/schemas/snowplow/payload_data-1-0-4.json', 'utf8')));

/** The Snowplow collector's tp2 endpoint; the 400 stands in for what enrich would put in bad rows. */
export function snowplowCollector(): Promise<Imitation> {
  return serve('/com.snowplowanalytics.snowplow/tp2', (req, body) => {
    if (!/^application\/json/i.test(String(req.headers['content-type']))) return { status: 400, body: 'content type must be application/json' };
    const b = body as any;
    if (b?.schema !== 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4') return { status: 400, body: 'unknown payload schema' };
    const parsed = payloadData.safeParse(b.data);
    if (!parsed.success) return { status: 400, body: parsed.error.message };
    return { status: 200, body: 'ok', events: b.data, id: (e) => e.eid };
  });
}

/** PostHog's /batch: 401 for a wrong api_key, 400 for an invalid event. */
export function posthogCollector(apiKey: string): Promise<Imitation> {
  const event = z.object({ event: z.string().min(1), distinct_id: z.string().min(1), properties: z.record(z.string(), z.unknown()), timestamp: iso, uuid: z.string().optional() });
  return serve('/batch', (_req, body) => {
    const b = body as any;
    if (b?.api_key !== apiKey) return { status: 401, body: { type: 'authentication_error' } };
    const parsed = z.array(event).min(1).safeParse(b.batch);
    if (!parsed.success) return { status: 400, body: { type: 'validation_error', detail: parsed.error.message } };
    return { status: 200, body: { status: 1 }, events: b.batch, id: (e) => e.uuid };
  });
}
