/**
 * Real-browser test harness: a loopback server that serves the built bundle and fixture pages, plus a test collector
 * that records every request, counts duplicates by messageId, and can go down or answer 503/429 with Retry-After.
 * Chromium is Debian's, driven by playwright-core. Only 127.0.0.1 is ever a target.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo, Socket } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';

const DIST = join(process.cwd(), 'dist');

export interface Received {
  path: string;
  method: string;
  contentType: string;
  /** Content-Encoding as sent (the body is already decoded). */
  encoding?: string;
  body: unknown;
  time: number;
}

/** What the test collector answers; return undefined for the normal 200. 'drop' destroys the connection. */
export type Behaviour = (req: { path: string; n: number; body: unknown }) => { status: number; headers?: Record<string, string>; body?: unknown } | 'drop' | undefined;

export interface TestServer {
  url: string;
  /** Every request that reached the server, static files included. */
  requests: { method: string; path: string; time: number }[];
  /** Every POST to /v1/* with its parsed body. */
  received: Received[];
  /** Every event delivered in accepted batches, duplicates included, in arrival order. */
  events: Record<string, any>[];
  /** Unique events by messageId. */
  unique(): Map<string, Record<string, any>>;
  /** How many events arrived more than once. */
  duplicates(): number;
  consentRecords: Record<string, any>[];
  /** Sets how the collector answers; undefined restores normal service. */
  behave(b?: Behaviour): void;
  /** Serves `html` at `path` (e.g. '/page.html'). */
  page(path: string, html: string, headers?: Record<string, string>): void;
  /** Answers every request to `path` (query ignored) with `handler`, before the built-in routes: endpoints a test implements. */
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  /** Waits until `predicate` holds, polling. */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json', '.json': 'application/json', '.html': 'text/html' };

/** Starts the server on 127.0.0.1 with a free port. */
export async function startServer(): Promise<TestServer> {
  const pages = new Map<string, { html: string; headers?: Record<string, string> }>();
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const requests: TestServer['requests'] = [];
  const received: Received[] = [];
  const events: Record<string, any>[] = [];
  const consentRecords: Record<string, any>[] = [];
  let behaviour: Behaviour | undefined;
  let n = 0;
  const sockets = new Set<Socket>();

  const cors = (res: ServerResponse, req: IncomingMessage) => {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Content-Encoding, Authorization, X-Write-Key');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Max-Age', '600');
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    requests.push({ method: req.method ?? 'GET', path, time: Date.now() });
    const route = routes.get(path);
    if (route) return route(req, res);
    if (req.method === 'OPTIONS') {
      cors(res, req);
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && path.startsWith('/v1/')) {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let body: any;
        try {
          const raw = Buffer.concat(chunks);
          body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
        } catch {
          body = undefined;
        }
        received.push({ path, method: 'POST', contentType: String(req.headers['content-type'] ?? ''), encoding: req.headers['content-encoding'], body, time: Date.now() });
        const b = behaviour?.({ path, n: n++, body });
        if (b === 'drop') {
          req.socket.destroy();
          return;
        }
        cors(res, req);
        if (b) {
          res.writeHead(b.status, { 'Content-Type': 'application/json', ...b.headers }).end(JSON.stringify(b.body ?? { error: { code: 'test', message: 'test collector says no' } }));
          return;
        }
        if (path === '/v1/consent') {
          const list = Array.isArray(body?.records) ? body.records : [body];
          consentRecords.push(...list);
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ accepted: list.length }));
          return;
        }
        const batch: any[] = Array.isArray(body?.batch) ? body.batch : [];
        events.push(...batch);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ accepted: batch.length, duplicates: 0, rejected: [] }));
      });
      return;
    }
    const page = pages.get(path);
    if (page) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...page.headers }).end(page.html);
      return;
    }
    const file = join(DIST, path.replace(/^\/+/, '').replace(/\.\.+/g, ''));
    if (path !== '/' && existsSync(file)) {
      res.writeHead(200, { 'Content-Type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream', 'Access-Control-Allow-Origin': '*' }).end(readFileSync(file));
      return;
    }
    res.writeHead(404).end('not found');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const unique = () => {
    const m = new Map<string, Record<string, any>>();
    for (const e of events) if (!m.has(e.messageId)) m.set(e.messageId, e);
    return m;
  };
  return {
    url,
    requests,
    received,
    events,
    consentRecords,
    unique,
    duplicates: () => events.length - unique().size,
    behave: (b) => void (behaviour = b),
    page: (path, html, headers) => void pages.set(path, { html, headers }),
    route: (path, handler) => void routes.set(path, handler),
    async waitFor(predicate, timeoutMs = 15_000, what = 'condition') {
      const end = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Path of Debian's Chromium. */
export function chromiumPath(): string {
  return execSync('command -v chromium || command -v chromium-browser', { shell: '/bin/sh' }).toString().trim();
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches headless Chromium with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

/**
 * The hooks every real-browser test file needs: one Chromium for the file, a fresh test server for each test, both
 * closed at the end. The setters hand them to the file's own variables.
 */
export function useBrowserSuite(set: { browser(b: Browser): void; server(s: TestServer): void }): void {
  let browser: Browser | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    set.browser((browser = await launchBrowser()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    await server?.close();
    set.server((server = await startServer()));
  });
}

/** A persistent profile that survives a browser restart (same directory, new process). */
export async function launchPersistent(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

/** A fresh temporary profile directory and its cleanup. */
export function tempProfile(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tp-profile-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The snippet from dist, pointing at the server's bundle. */
export function snippet(src = '/touchpoint.js'): string {
  return readFileSync(join(DIST, 'snippet.min.js'), 'utf8').replace('"/touchpoint.js"', JSON.stringify(src));
}

/**
 * A fixture page: the snippet, then `touchpoint.init(config)`, then `script`. With `consent: 'granted'` the page
 * decides for the visitor through the API (as another CMP would), so delivery tests need no banner clicks.
 */
export function fixturePage(opts: { config?: Record<string, unknown>; script?: string; body?: string; head?: string; decide?: Record<string, boolean> } = {}): string {
  const config = { writeKey: 'wk_test', collectorUrl: '', banner: false, debug: true, webVitals: false, ...opts.config };
  const decide = opts.decide ? `touchpoint.consent.set(${JSON.stringify(opts.decide)}, { method: 'cmp' });` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fixture</title>${opts.head ?? ''}
<script>${snippet()}
touchpoint.init(Object.assign(${JSON.stringify(config)}, { collectorUrl: location.origin }));
${decide}
${opts.script ?? ''}</script></head><body>${opts.body ?? '<h1>Fixture</h1>'}</body></html>`;
}
