/**
 * The demo dashboard end to end: the server-sent event stream delivers an event the collector just stored (to a plain
 * HTTP client and into the live table in real Chromium), the counts API groups by channel, event and consent state,
 * and the consent proof log filters and exports as RFC 4180 CSV with one row per record. Imports: the demo server,
 * the browser harness. Only 127.0.0.1 is a target.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../browser/harness';
import { useTestDemo, type Demo } from './helpers';

let demo: Demo;
useTestDemo((d) => (demo = d));

const KEY = { 'Content-Type': 'application/json', 'X-Write-Key': 'demo-shop-key' };

function trackEvent(event: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'track',
    event,
    messageId: randomUUID(),
    anonymousId: 'device-' + randomUUID().slice(0, 8),
    timestamp: new Date().toISOString(),
    properties: { order_id: 'BB-TEST-1', total: 12.5, currency: 'EUR' },
    context: { channel: 'Organic Search', consent: { policyVersion: '1', categories: ['necessary', 'analytics', 'marketing'] } },
    ...extra,
  };
}

async function postBatch(events: unknown[]) {
  const res = await fetch(demo.loopbackUrl + '/v1/batch', { method: 'POST', headers: KEY, body: JSON.stringify({ batch: events, sentAt: new Date().toISOString() }) });
  expect(res.status).toBe(200);
  return res.json();
}

function consentRecord(over: Record<string, unknown> = {}) {
  return {
    consentId: randomUUID(),
    timestamp: '2025-03-10T09:30:00.000Z',
    policyVersion: '1',
    textHash: 'a'.repeat(64),
    locale: 'de',
    granted: ['necessary', 'analytics'],
    denied: ['marketing', 'personalization'],
    method: 'custom',
    layer: 'preferences',
    sdkVersion: '0.1.0',
    ...over,
  };
}

/** A small RFC 4180 parser: quoted fields, doubled quotes, CRLF or LF line ends, line breaks inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field), rows.push(row), (row = []), (field = '');
    } else field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

describe('dashboard live stream', () => {
  it('pushes a newly stored event to an SSE client', async () => {
    const controller = new AbortController();
    const res = await fetch(demo.loopbackUrl + '/dashboard/api/stream', { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      const end = Date.now() + 10_000;
      while (!text.includes(needle)) {
        if (Date.now() > end) throw new Error(`stream never contained ${needle}; got ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value, { stream: true });
      }
    };
    try {
      await readUntil('event: hello');
      const e = trackEvent('order_completed');
      await postBatch([e]);
      await readUntil(e.messageId);
      const frame = text.split('\n\n').find((f) => f.includes(e.messageId))!;
      expect(frame).toMatch(/^event: touchpoint$/m);
      const data = JSON.parse(frame.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
      expect(data).toMatchObject({ messageId: e.messageId, type: 'track', event: 'order_completed', channel: 'Organic Search', consent: ['analytics', 'marketing'] });
      expect(data.properties).toMatchObject({ order_id: 'BB-TEST-1', total: 12.5 });
    } finally {
      controller.abort();
    }
  });

  it('shows the arriving event in the live table of the dashboard page in Chromium', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(demo.loopbackUrl + '/dashboard');
      await page.waitForSelector('#stream-status[data-state="live"]');
      const e = trackEvent('product_viewed', { properties: { product_id: 'tee-sencha', price: 9.5, currency: 'EUR' } });
      await postBatch([e]);
      const row = page.locator(`#live-body tr[data-message-id="${e.messageId}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.textContent()).toContain('product_viewed');
      // the counts follow the stream
      await expect.poll(() => page.textContent('#by-event'), { timeout: 10_000 }).toContain('product_viewed');
      expect(await page.textContent('#profiles-body')).toMatch(/not available yet|No profiles yet|unified profile/i);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('counts by channel, event and consent state', async () => {
    await postBatch([trackEvent('cart_viewed', { context: { channel: 'Email', consent: { categories: ['necessary', 'analytics'] } } })]);
    const s = await (await fetch(demo.loopbackUrl + '/dashboard/api/summary')).json();
    expect(s.byChannel).toEqual(expect.arrayContaining([{ key: 'Email', n: 1 }, { key: 'Organic Search', n: expect.any(Number) }]));
    expect(s.byEvent).toEqual(expect.arrayContaining([{ key: 'cart_viewed', n: 1 }]));
    expect(s.byConsent).toEqual(expect.arrayContaining([{ key: 'analytics', n: 1 }, { key: 'analytics + marketing', n: expect.any(Number) }]));
    expect(s.totals.events).toBeGreaterThanOrEqual(3);
  });
});

describe('consent proof log', () => {
  const tricky = '2025-03, "beta"\nline two';
  const records = [
    consentRecord({ method: 'accept_all', granted: ['necessary', 'analytics', 'marketing', 'personalization'], denied: [], timestamp: '2025-03-01T08:00:00.000Z' }),
    consentRecord({ method: 'reject_all', granted: ['necessary'], denied: ['analytics', 'marketing', 'personalization'], timestamp: '2025-03-02T23:59:59.000Z' }),
    consentRecord({ method: 'custom', policyVersion: tricky, timestamp: '2025-04-15T12:00:00.000Z' }),
    consentRecord({ method: 'api', policyVersion: '=HYPERLINK("http://127.0.0.1")', timestamp: '2025-05-01T00:00:00.000Z' }),
  ];

  beforeAll(async () => {
    const res = await fetch(demo.loopbackUrl + '/v1/consent', { method: 'POST', headers: KEY, body: JSON.stringify({ records }) });
    expect(await res.json()).toMatchObject({ accepted: records.length });
  });

  it('exports CSV with a header and one row per consent record, escaped per RFC 4180', async () => {
    const res = await fetch(demo.loopbackUrl + '/dashboard/api/consent.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="touchpoint-consent-log-\d{4}-\d{2}-\d{2}\.csv"$/);
    const text = await res.text();
    const rows = parseCsv(text);
    const [header, ...body] = rows;
    expect(header).toEqual(['consent_id', 'timestamp', 'received_at', 'policy_version', 'method', 'layer', 'locale', 'granted', 'denied', 'text_hash', 'sdk_version', 'expires_at', 'write_key']);
    expect(body).toHaveLength(records.length);
    for (const row of body) expect(row).toHaveLength(header!.length);
    const byId = new Map(body.map((r) => [r[0], r]));
    for (const r of records) expect(byId.has(r.consentId)).toBe(true);
    const trickyRow = byId.get(records[2]!.consentId)!;
    expect(trickyRow[3]).toBe(tricky); // comma, quotes and a line break survive the round trip
    expect(trickyRow[1]).toBe('2025-04-15T12:00:00.000Z');
    expect(byId.get(records[3]!.consentId)![3]).toBe(`'=HYPERLINK("http://127.0.0.1")`); // no formula runs in a spreadsheet
    expect(byId.get(records[1]!.consentId)!.slice(4, 9)).toEqual(['reject_all', 'preferences', 'de', 'necessary', 'analytics marketing personalization']);
  });

  it('filters the log and the export by date range, method and policy version', async () => {
    const csv = async (q: string) => parseCsv(await (await fetch(demo.loopbackUrl + '/dashboard/api/consent.csv?' + q)).text()).slice(1);
    // `to` includes its whole (UTC) day
    expect((await csv('from=2025-03-01&to=2025-03-02')).map((r) => r[4])).toEqual(['accept_all', 'reject_all']);
    expect((await csv('method=reject_all')).map((r) => r[0])).toEqual([records[1]!.consentId]);
    expect((await csv('policyVersion=' + encodeURIComponent(tricky))).map((r) => r[0])).toEqual([records[2]!.consentId]);
    expect(await csv('from=2026-01-01')).toEqual([]);

    const json = await (await fetch(demo.loopbackUrl + '/dashboard/api/consent?method=accept_all')).json();
    expect(json.total).toBe(1);
    expect(json.records[0]).toMatchObject({ consentId: records[0]!.consentId, method: 'accept_all', policyVersion: '1' });
    expect(json.facets.methods).toEqual(['accept_all', 'api', 'custom', 'reject_all']);

    for (const bad of ['from=yesterday', 'method=drop_table', 'to=2025-13-45', 'limit=-1']) {
      const res = await fetch(demo.loopbackUrl + '/dashboard/api/consent.csv?' + bad);
      expect(res.status, bad).toBe(400);
    }
  });

  it('answers unknown API paths with 404 and writes with 405', async () => {
    expect((await fetch(demo.loopbackUrl + '/dashboard/api/nope')).status).toBe(404);
    expect((await fetch(demo.loopbackUrl + '/dashboard/api/summary', { method: 'POST' })).status).toBe(405);
    const profiles = await (await fetch(demo.loopbackUrl + '/dashboard/api/profiles')).json();
    expect(profiles).toHaveProperty('available');
  });
});
