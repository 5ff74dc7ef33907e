/**
 * The dashboard's JSON API under /dashboard/api/*: counts by channel, event and consent state, recent events, a live
 * server-sent-event stream fed by the collector's on('event'|'consent'|'profile') hook, the consent proof log with
 * filters, its CSV export, and the unified profiles (list, one profile by id or identity, merge log, undo).
 * Imports: nothing but the collector handed in. Never writes to the database itself (undo goes through the
 * collector's profile API), never interpolates request input into SQL (every value is a parameter).
 */

/** Most rows one JSON or CSV answer carries. */
const MAX_ROWS = 5000;
/** Comment lines keep proxies and the browser from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const METHODS = ['accept_all', 'reject_all', 'custom', 'withdrawal', 'api', 'cmp', 'gpc', 'dnt', 'tcf'];

/** Granted non-necessary categories of an event, as one sorted label ("analytics + marketing"); "none" when none. */
const CONSENT_LABEL = `COALESCE(
  CASE WHEN jsonb_typeof(body->'context'->'consent'->'categories') = 'array' THEN (
    SELECT string_agg(c, ' + ' ORDER BY c) FROM jsonb_array_elements_text(body->'context'->'consent'->'categories') AS c WHERE c <> 'necessary'
  ) END, 'none')`;

/** The columns of the consent proof export, in order. */
export const CONSENT_CSV_COLUMNS = ['consent_id', 'timestamp', 'received_at', 'policy_version', 'method', 'layer', 'locale', 'granted', 'denied', 'text_hash', 'sdk_version', 'expires_at', 'write_key'];

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF, quotes doubled. A leading = + - @ TAB or CR
 * is prefixed with ' so spreadsheet programs show it as text instead of running it as a formula (OWASP CSV injection).
 */
export function csvField(value) {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Parses the consent-log filters; returns `{ error }` for input it cannot use. */
export function consentFilters(params) {
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const method = params.get('method') ?? '';
  const policyVersion = params.get('policyVersion') ?? params.get('policy_version') ?? '';
  const limitRaw = params.get('limit');
  if (from && (!DATE.test(from) || Number.isNaN(Date.parse(from)))) return { error: 'from must be a date YYYY-MM-DD' };
  if (to && (!DATE.test(to) || Number.isNaN(Date.parse(to)))) return { error: 'to must be a date YYYY-MM-DD' };
  if (method && !METHODS.includes(method)) return { error: `method must be one of ${METHODS.join(', ')}` };
  if (policyVersion.length > 64) return { error: 'policyVersion is at most 64 characters' };
  const limit = limitRaw ? Number(limitRaw) : MAX_ROWS;
  if (!Number.isInteger(limit) || limit < 1) return { error: 'limit must be a positive integer' };

  const where = [];
  const values = [];
  // dates are UTC days; `to` includes its whole day
  if (from) where.push(`timestamp >= $${values.push(from + 'T00:00:00Z')}::timestamptz`);
  if (to) where.push(`timestamp < ($${values.push(to + 'T00:00:00Z')}::timestamptz + interval '1 day')`);
  if (method) where.push(`method = $${values.push(method)}`);
  if (policyVersion) where.push(`policy_version = $${values.push(policyVersion)}`);
  return { where: where.length ? 'WHERE ' + where.join(' AND ') : '', values, limit: Math.min(limit, MAX_ROWS) };
}

function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

/** A stored event as the dashboard shows it: no full body, just what a row needs. */
function eventRow(event, receivedAt) {
  const ctx = event.context ?? {};
  return {
    messageId: event.messageId,
    type: event.type,
    event: event.event ?? event.name ?? null,
    channel: ctx.channel ?? null,
    consent: Array.isArray(ctx.consent?.categories) ? ctx.consent.categories.filter((c) => c !== 'necessary') : [],
    anonymousId: event.anonymousId ?? null,
    userId: event.userId ?? null,
    path: ctx.page?.path ?? null,
    properties: summariseProps(event),
    timestamp: event.timestamp,
    receivedAt: receivedAt instanceof Date ? receivedAt.toISOString() : receivedAt,
  };
}

/** The few properties worth a glance in the stream (ids, amounts), never the whole object. */
function summariseProps(event) {
  const p = event.properties ?? event.traits ?? {};
  const out = {};
  for (const k of ['order_id', 'product_id', 'sku', 'name', 'price', 'quantity', 'total', 'currency', 'coupon_id', 'list_id', 'metric', 'value']) {
    if (p[k] !== undefined && (typeof p[k] === 'string' || typeof p[k] === 'number')) out[k] = typeof p[k] === 'string' ? p[k].slice(0, 80) : p[k];
  }
  if (Array.isArray(p.products)) out.products = p.products.length;
  if (Array.isArray(event.identities)) out.identities = event.identities.map((i) => i?.type).filter(Boolean).join(', ');
  return out;
}

function consentRow(r) {
  return {
    consentId: r.consent_id,
    timestamp: new Date(r.timestamp).toISOString(),
    receivedAt: new Date(r.received_at).toISOString(),
    policyVersion: r.policy_version,
    method: r.method,
    layer: r.layer ?? null,
    locale: r.locale,
    granted: r.granted,
    denied: r.denied,
    textHash: r.text_hash,
    sdkVersion: r.sdk_version,
    expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
    writeKey: r.write_key,
  };
}

/**
 * Creates the API over `collector.db` and subscribes the live stream to `collector.on`.
 *
 * @example
 * const api = createDashboardApi({ collector });
 * createServer((req, res) => api.handle(req, res, new URL(req.url, 'http://x')));
 */
export function createDashboardApi({ collector, log = () => {} }) {
  const db = collector.db;
  const clients = new Set();

  const broadcast = (kind, data) => {
    const frame = `event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of clients) res.write(frame);
  };
  const offEvent = collector.on('event', ({ event, receivedAt }) => broadcast('touchpoint', eventRow(event, receivedAt)));
  const offConsent = collector.on('consent', ({ record, receivedAt }) =>
    broadcast('consent', { consentId: record.consentId, method: record.method, granted: record.granted, denied: record.denied, policyVersion: record.policyVersion, timestamp: record.timestamp, receivedAt: receivedAt.toISOString() }),
  );
  const offProfile = collector.on('profile', ({ profileIds }) => broadcast('profile', { profileIds }));
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(`: keep-alive ${Date.now()}\n\n`);
  }, HEARTBEAT_MS);
  heartbeat.unref?.();

  const routes = {
    async summary() {
      const [totals, channels, events, consent, consentLog] = await Promise.all([
        db.query(`SELECT count(*)::int AS events,
                         count(DISTINCT anonymous_id)::int AS devices,
                         count(DISTINCT user_id)::int AS users,
                         count(*) FILTER (WHERE event = 'order_completed')::int AS orders,
                         max(received_at) AS last_received_at
                  FROM events`),
        db.query(`SELECT COALESCE(channel, '(unknown)') AS key, count(*)::int AS n FROM events GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`),
        db.query(`SELECT CASE WHEN type IN ('track', 'screen') THEN COALESCE(event, type) ELSE type END AS key, count(*)::int AS n
                  FROM events GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 30`),
        db.query(`SELECT ${CONSENT_LABEL} AS key, count(*)::int AS n FROM events GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`),
        db.query(`SELECT method AS key, count(*)::int AS n FROM consent_records GROUP BY 1 ORDER BY 2 DESC, 1`),
      ]);
      const t = totals.rows[0] ?? {};
      return {
        totals: {
          events: t.events ?? 0,
          devices: t.devices ?? 0,
          users: t.users ?? 0,
          orders: t.orders ?? 0,
          consentRecords: consentLog.rows.reduce((s, r) => s + r.n, 0),
          lastReceivedAt: t.last_received_at ? new Date(t.last_received_at).toISOString() : null,
        },
        byChannel: channels.rows,
        byEvent: events.rows,
        byConsent: consent.rows,
        consentByMethod: consentLog.rows,
      };
    },

    async events(params) {
      const limit = Math.min(Math.max(Number(params.get('limit')) || 50, 1), 500);
      const { rows } = await db.query(`SELECT body, received_at FROM events ORDER BY received_at DESC, message_id LIMIT $1`, [limit]);
      return { events: rows.map((r) => eventRow(typeof r.body === 'string' ? JSON.parse(r.body) : r.body, new Date(r.received_at))) };
    },

    async consent(params) {
      const f = consentFilters(params);
      if (f.error) return { status: 400, body: { error: { code: 'invalid_filter', message: f.error } } };
      const [{ rows }, count, facets] = await Promise.all([
        db.query(`SELECT *, body->>'layer' AS layer FROM consent_records ${f.where} ORDER BY timestamp DESC, consent_id LIMIT ${f.limit}`, f.values),
        db.query(`SELECT count(*)::int AS n FROM consent_records ${f.where}`, f.values),
        db.query(`SELECT array(SELECT DISTINCT method FROM consent_records ORDER BY 1) AS methods,
                         array(SELECT DISTINCT policy_version FROM consent_records ORDER BY 1) AS policy_versions`),
      ]);
      return {
        total: count.rows[0]?.n ?? 0,
        records: rows.map(consentRow),
        facets: { methods: facets.rows[0]?.methods ?? [], policyVersions: facets.rows[0]?.policy_versions ?? [] },
      };
    },

    async profiles(params) {
      const limit = Math.min(Math.max(Number(params.get('limit')) || 20, 1), 200);
      const { total, profiles } = await collector.profiles.list(limit);
      return { available: true, total, profiles };
    },

    /** One profile: `?id=` or `?identity=type:value`. */
    async profile(params) {
      const id = params.get('id');
      const identity = params.get('identity');
      let view;
      if (id) view = await collector.profiles.get(id);
      else if (identity) {
        const at = identity.indexOf(':');
        if (at < 1 || !/^[a-z][a-z0-9_]*$/.test(identity.slice(0, at)) || at === identity.length - 1) {
          return { status: 400, body: { error: { code: 'invalid_identity', message: 'search as type:value, e.g. loyalty_id:L-1001 or email:someone@example.com' } } };
        }
        view = await collector.profiles.find(identity.slice(0, at), identity.slice(at + 1));
      } else return { status: 400, body: { error: { code: 'missing_identity', message: 'give ?id= or ?identity=type:value' } } };
      if (!view) return { status: 404, body: { error: { code: 'profile_not_found', message: 'no profile matches' } } };
      return view;
    },

    async merges(params) {
      const limit = Math.min(Math.max(Number(params.get('limit')) || 50, 1), 500);
      return { merges: await collector.profiles.merges({ profileId: params.get('profileId') || undefined, limit }) };
    },
  };

  async function handle(req, res, url) {
    const method = (req.method ?? 'GET').toUpperCase();
    const undo = /^\/dashboard\/api\/merges\/(\d{1,18})\/undo\/?$/.exec(url.pathname);
    if (undo && method === 'POST') {
      req.resume();
      // a JSON content type needs a preflight cross-site, which this server never grants: no undo from other sites
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return json(res, 415, { error: { code: 'unsupported_media_type', message: 'send Content-Type: application/json' } });
      await collector.ready;
      const r = await collector.profiles.undoMerge(undo[1]);
      return r.ok ? json(res, 200, { merge: r.merge }) : json(res, r.status, { error: { code: r.code, message: r.message } });
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'application/json; charset=utf-8' });
      return void res.end(JSON.stringify({ error: { code: 'method_not_allowed', message: 'the dashboard API is read-only (except POST merges/{id}/undo); use GET' } }));
    }
    const name = url.pathname.replace(/^\/dashboard\/api\/?/, '').replace(/\/+$/, '');
    if (name === 'stream') return stream(req, res);
    if (name === 'consent.csv') return consentCsv(res, url.searchParams);
    const fn = Object.hasOwn(routes, name) ? routes[name] : undefined;
    if (!fn) return json(res, 404, { error: { code: 'not_found', message: `no dashboard API at ${url.pathname}; try summary, events, consent, consent.csv, profiles, profile, merges or stream` } });
    await collector.ready;
    const out = await fn(url.searchParams);
    if (out && typeof out.status === 'number' && out.body) return json(res, out.status, out.body);
    json(res, 200, out);
  }

  function stream(req, res) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(`retry: 3000\n: connected\n\n`);
    res.write(`event: hello\ndata: ${JSON.stringify({ time: new Date().toISOString() })}\n\n`);
    clients.add(res);
    const drop = () => clients.delete(res);
    req.on('close', drop);
    res.on('error', drop);
  }

  async function consentCsv(res, params) {
    const f = consentFilters(params);
    if (f.error) return json(res, 400, { error: { code: 'invalid_filter', message: f.error } });
    await collector.ready;
    const { rows } = await db.query(`SELECT *, body->>'layer' AS layer FROM consent_records ${f.where} ORDER BY timestamp ASC, consent_id LIMIT ${f.limit}`, f.values);
    const lines = [CONSENT_CSV_COLUMNS.join(',')];
    for (const r of rows) {
      lines.push(CONSENT_CSV_COLUMNS.map((c) => csvField(c === 'timestamp' || c === 'received_at' || c === 'expires_at' ? (r[c] ? new Date(r[c]) : null) : r[c])).join(','));
    }
    const body = lines.join('\r\n') + '\r\n';
    const stamp = new Date().toISOString().slice(0, 10);
    res.writeHead(200, {
      'Content-Type': 'text/csv; charset=utf-8; header=present',
      'Content-Disposition': `attachment; filename="touchpoint-consent-log-${stamp}.csv"`,
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(body);
  }

  return {
    handle: (req, res, url) =>
      handle(req, res, url).catch((error) => {
        log(`[dashboard] ${url.pathname}: ${error?.stack ?? error}`);
        if (!res.headersSent) json(res, 500, { error: { code: 'internal_error', message: 'the dashboard could not read the database' } });
        else res.end();
      }),
    /** Ends every open stream and unsubscribes from the collector. */
    close() {
      clearInterval(heartbeat);
      offEvent();
      offConsent();
      offProfile();
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
