/**
 * The demo server's HTTP surface without a browser: the shop pages carry the README's snippet and init call, SDK files
 * and shop assets come with the right content types, nothing outside the served roots leaks (path traversal, dist/
 * internals), unknown paths are 404 and writes 405, and the demo write key works from both loopback origins only.
 * Imports: the demo server. Only 127.0.0.1 is a target.
 */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useTestDemo, type Demo } from './helpers';

let demo: Demo;
useTestDemo((d) => (demo = d));

/** A raw GET that keeps the path as written (fetch would normalise `..` away). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: demo.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo server', () => {
  it('serves shop pages with the snippet (bundle path) and touchpoint.init in place of the placeholder', async () => {
    for (const path of ['/', '/product?id=tee-sencha', '/cart', '/checkout', '/login']) {
      const res = await fetch(demo.loopbackUrl + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      expect(html).not.toContain('<!--TOUCHPOINT_SNIPPET-->');
      expect(html).toContain('"/touchpoint.js"');
      expect(html).toContain('touchpoint.init({ writeKey: "demo-shop-key", collectorUrl: location.origin });');
      expect(html).toContain('data-touchpoint-consent="open"');
    }
  });

  // the README has the SRI hash as the snippet's 4th argument; a snippet build whose minifier inlined the arguments cannot take it
  const snippetTakesSri = /\(window,\s*document,\s*"\/touchpoint\.js"\s*\)/.test(readFileSync('dist/snippet.min.js', 'utf8'));
  it.skipIf(!snippetTakesSri)('passes the bundle\'s SRI hash from dist/sri.json as the snippet\'s fourth argument', async () => {
    const sri = JSON.parse(readFileSync('dist/sri.json', 'utf8'))['touchpoint.js'];
    const html = await (await fetch(demo.loopbackUrl + '/')).text();
    expect(html).toContain(`"/touchpoint.js",${JSON.stringify(sri)})`);
  });

  it('serves SDK files and assets with correct content types, and 404s for everything else', async () => {
    const types: Record<string, RegExp> = {
      '/touchpoint.js': /^text\/javascript/,
      '/touchpoint-banner.mjs': /^text\/javascript/,
      '/touchpoint.js.map': /^application\/json/,
      '/assets/shop.css': /^text\/css/,
      '/assets/shop.js': /^text\/javascript/,
      '/dashboard': /^text\/html/,
      '/dashboard/': /^text\/html/,
      '/dashboard/app.js': /^text\/javascript/,
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await fetch(demo.loopbackUrl + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    for (const path of ['/nope', '/collector.mjs', '/sri.json', '/dist/touchpoint.js', '/dashboard/nope.js', '/assets/', '/dashboard/api/../../package.json']) {
      expect((await fetch(demo.loopbackUrl + path)).status, path).toBe(404);
    }
  });

  it('never serves files outside its roots', async () => {
    for (const path of ['/../package.json', '/..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2fpackage.json', '/dashboard/..%2f..%2fpackage.json', '/dashboard/../server.mjs', '/%00', '/%E0%A4%A']) {
      const res = await rawGet(path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body, path).not.toContain('"devDependencies"');
      expect(res.body, path).not.toContain('createCollector');
    }
  });

  it('answers writes to pages with 405 and serves HEAD without a body', async () => {
    expect((await fetch(demo.loopbackUrl + '/', { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await fetch(demo.loopbackUrl + '/cart', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('lets the demo write key send from localhost and 127.0.0.1 on its port, and no other origin', async () => {
    const preflight = (origin: string) =>
      fetch(demo.loopbackUrl + '/v1/batch', { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
    for (const origin of [`http://localhost:${demo.port}`, `http://127.0.0.1:${demo.port}`]) {
      const res = await preflight(origin);
      expect(res.status, origin).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    }
    expect((await preflight('http://shop.invalid')).status).toBe(403);
    expect((await preflight(`http://localhost:${demo.port + 1}`)).status).toBe(403);
    const health = await (await fetch(demo.loopbackUrl + '/healthz')).json();
    expect(health).toMatchObject({ status: 'ok' });
  });
});

describe('demo server pages without a login', () => {
  /** A raw request with its own Host and Origin headers, as a page on a rebound DNS name would send it. */
  function rawRequest(method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: demo.port, path, method, headers }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const touchpoint = JSON.stringify({ kind: 'call_center_contact', customerId: 'C-REBIND', topic: 'x' });

  it('answers the dashboard and staff pages only to this machine\'s own host names (no DNS rebinding)', async () => {
    for (const host of [`localhost:${demo.port}`, `127.0.0.1:${demo.port}`]) {
      expect(await rawRequest('GET', '/dashboard/api/profiles', { host }), host).toBe(200);
      expect(await rawRequest('GET', '/staff/till', { host }), host).toBe(200);
    }
    const rebound = { host: `attacker.example:${demo.port}` };
    expect(await rawRequest('GET', '/dashboard/api/profiles', rebound)).toBe(403);
    expect(await rawRequest('GET', '/dashboard', rebound)).toBe(403);
    expect(await rawRequest('POST', '/staff/api/touchpoint', { ...rebound, origin: `http://attacker.example:${demo.port}`, 'content-type': 'application/json' }, touchpoint)).toBe(403);
    // the shop and the collector stay reachable as before
    expect(await rawRequest('GET', '/', rebound)).toBe(200);
  });

  it('takes staff touchpoints from its own origin only', async () => {
    const host = `127.0.0.1:${demo.port}`;
    const post = (origin?: string) => rawRequest('POST', '/staff/api/touchpoint', { host, 'content-type': 'application/json', ...(origin && { origin }) }, touchpoint);
    expect(await post('http://shop.invalid')).toBe(403);
    expect(await post('null')).toBe(403);
    expect(await post(`http://${host}`)).toBe(200);
    expect(await post()).toBe(200); // a server-side client sends no Origin
  });
});
