import { afterEach, describe, expect, it, vi } from 'vitest';
import { adoptFromUrl, createLinker, LINKER_MAX_AGE_MS, LINKER_PARAM } from '../../../src/identity/linker';

const ID = '0b9f4c1e-5d1a-4c1e-9a55-2f0f6a2c7b11';
const T0 = 1_700_000_000_000;

function linker(over: Partial<Parameters<typeof createLinker>[0]> = {}) {
  let consent = true;
  const l = createLinker({
    domains: ['shop.de', '.shop.at'],
    getDeviceId: () => ID,
    allowed: () => consent,
    now: () => T0,
    location: { href: 'https://www.shop.de/cart' },
    ...over,
  });
  return { l, revoke: () => void (consent = false) };
}

/** Landing on `url`: a location and a history that records replaceState. */
function land(url: string) {
  const calls: string[] = [];
  const history = { state: { keep: 1 }, replaceState: (_s: unknown, _t: string, u: string) => void calls.push(u) } as unknown as History;
  return { loc: { href: url } as Location, history, calls };
}

const tokenOf = (url: string) => new URL(url).searchParams.get(LINKER_PARAM);

afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = '';
});

describe('decorate', () => {
  it('adds a v1 token to links to another configured domain, keeping query and hash', () => {
    const out = createLinker({ domains: ['shop.at'], getDeviceId: () => ID, allowed: () => true, now: () => T0, location: { href: 'https://shop.de/' } })
      .decorate('https://shop.at/checkout?step=2#pay');
    const u = new URL(out);
    expect(u.origin + u.pathname + u.hash).toBe('https://shop.at/checkout#pay');
    expect(u.searchParams.get('step')).toBe('2');
    expect(tokenOf(out)).toMatch(new RegExp(`^v1\\.${ID}\\.${Math.floor(T0 / 1000).toString(36)}\\.[0-9a-z]+$`));
  });

  it('matches subdomains of configured domains and replaces an old token', () => {
    const { l } = linker();
    const out = l.decorate(`https://checkout.shop.at/pay?${LINKER_PARAM}=v1.old.1.x`);
    expect(tokenOf(out)).toContain(ID);
    expect(out.split(LINKER_PARAM).length).toBe(2);
  });

  it('leaves links within the current domain, to other sites and non-http links alone', () => {
    const { l } = linker();
    for (const url of ['https://shop.de/p/1', 'https://img.shop.de/x.png', '/p/2', 'https://notshop.at/', 'https://shop.at.evil.example/', 'mailto:a@shop.at', 'javascript:void(0)', 'not a url']) {
      expect(l.decorate(url), url).toBe(url);
    }
  });

  it('never decorates without consent or without a device id', () => {
    const { l, revoke } = linker();
    revoke();
    expect(l.decorate('https://shop.at/')).toBe('https://shop.at/');
    expect(linker({ getDeviceId: () => undefined }).l.decorate('https://shop.at/')).toBe('https://shop.at/');
  });
});

describe('adoptFromUrl', () => {
  const decorated = (over = {}) => linker(over).l.decorate('https://shop.at/landing?utm_source=x#top');

  it('adopts a fresh valid token and removes it from the address bar', () => {
    const { loc, history, calls } = land(decorated());
    expect(adoptFromUrl(loc, history, { allowed: true, now: () => T0 + 5_000 })).toBe(ID);
    expect(calls).toEqual(['/landing?utm_source=x#top']);
  });

  it('accepts a token up to 2 minutes old and rejects it after', () => {
    const url = decorated();
    expect(adoptFromUrl(land(url).loc, land(url).history, { allowed: true, now: () => T0 + LINKER_MAX_AGE_MS })).toBe(ID);
    const late = land(url);
    expect(adoptFromUrl(late.loc, late.history, { allowed: true, now: () => T0 + LINKER_MAX_AGE_MS + 1_000 })).toBeUndefined();
    expect(late.calls).toEqual(['/landing?utm_source=x#top']);
    expect(LINKER_MAX_AGE_MS).toBe(120_000);
  });

  it('rejects a tampered, truncated or malformed token but still removes it', () => {
    const token = tokenOf(decorated())!;
    const [v, id, ts, sum] = token.split('.');
    const other = 'aaaaaaaa-5d1a-4c1e-9a55-2f0f6a2c7b11';
    for (const bad of [
      [v, other, ts, sum].join('.'), // another id
      [v, id, (parseInt(ts, 36) + 1).toString(36), sum].join('.'), // another time
      [v, id, ts, sum.slice(0, -1)].join('.'), // truncated
      [v, id, ts].join('.'),
      ['v2', id, ts, sum].join('.'),
      token + '.x',
      '',
      'garbage',
    ]) {
      const { loc, history, calls } = land(`https://shop.at/landing?${LINKER_PARAM}=${encodeURIComponent(bad)}&a=1`);
      expect(adoptFromUrl(loc, history, { allowed: true, now: () => T0 }), bad).toBeUndefined();
      expect(calls).toEqual(['/landing?a=1']);
    }
  });

  it('does not adopt without consent, and still removes the parameter', () => {
    const { loc, history, calls } = land(decorated());
    expect(adoptFromUrl(loc, history, { allowed: false, now: () => T0 })).toBeUndefined();
    expect(calls).toEqual(['/landing?utm_source=x#top']);
  });

  it('rejects a token opened in another browser (a shared link) or made with another secret', () => {
    const url = decorated({ secret: 's1' });
    expect(adoptFromUrl(land(url).loc, land(url).history, { allowed: true, now: () => T0, secret: 's2' })).toBeUndefined();
    expect(adoptFromUrl(land(url).loc, land(url).history, { allowed: true, now: () => T0, secret: 's1' })).toBe(ID);
    vi.stubGlobal('navigator', { userAgent: 'SomeOtherBrowser/1.0' });
    expect(adoptFromUrl(land(url).loc, land(url).history, { allowed: true, now: () => T0, secret: 's1' })).toBeUndefined();
  });

  it('does nothing on a URL without a token', () => {
    const { loc, history, calls } = land('https://shop.at/landing?a=1');
    expect(adoptFromUrl(loc, history, { allowed: true })).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('never throws when history refuses', () => {
    const history = { state: null, replaceState: () => { throw new Error('SecurityError'); } } as unknown as History;
    expect(adoptFromUrl({ href: decorated() } as Location, history, { allowed: true, now: () => T0 })).toBe(ID);
  });
});

describe('start (delegated decoration at click and submit time)', () => {
  const mount = (html: string) => {
    document.body.innerHTML = html;
    return document.body.firstElementChild as HTMLElement;
  };

  it('decorates a link to another domain on mousedown, inner elements included', () => {
    const { l } = linker();
    const stop = l.start(document);
    const a = mount('<a href="https://shop.at/p/1"><span>Go</span></a>') as HTMLAnchorElement;
    a.querySelector('span')!.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, composed: true }));
    expect(tokenOf(a.href)).toContain(ID);
    stop();
  });

  it('reaches links inside an open shadow root', () => {
    const { l } = linker();
    const stop = l.start(document);
    const host = mount('<div></div>');
    host.attachShadow({ mode: 'open' }).innerHTML = '<a href="https://shop.at/p/9">In shadow</a>';
    const a = host.shadowRoot!.querySelector('a')!;
    a.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, composed: true }));
    expect(tokenOf(a.href)).toContain(ID);
    stop();
  });

  it('decorates on Enter only, and leaves same-domain links alone', () => {
    const { l } = linker();
    const stop = l.start(document);
    const a = mount('<a href="https://shop.at/p/1">Go</a>') as HTMLAnchorElement;
    a.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true }));
    expect(a.href).toBe('https://shop.at/p/1');
    a.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    expect(tokenOf(a.href)).toContain(ID);
    const own = mount('<a href="https://shop.de/p/2">Own</a>') as HTMLAnchorElement;
    own.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
    expect(own.href).toBe('https://shop.de/p/2');
    stop();
  });

  it('decorates even when the page stops propagation', () => {
    const { l } = linker();
    const stop = l.start(document);
    const a = mount('<a href="https://shop.at/p/1">Go</a>') as HTMLAnchorElement;
    a.addEventListener('mousedown', (e) => e.stopPropagation());
    a.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
    expect(tokenOf(a.href)).toContain(ID);
    stop();
  });

  it('puts the token in a hidden field of GET forms and in the action of POST forms', () => {
    const { l } = linker();
    const stop = l.start(document);
    document.body.innerHTML = '<form id="g" action="https://shop.at/search"><input name="q"></form><form id="p" method="post" action="https://shop.at/login"><input name="action"></form>';
    const g = document.getElementById('g') as HTMLFormElement;
    const p = document.getElementById('p') as HTMLFormElement;
    g.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    g.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    const hidden = g.querySelectorAll<HTMLInputElement>(`input[name="${LINKER_PARAM}"]`);
    expect(hidden).toHaveLength(1);
    expect(hidden[0].type).toBe('hidden');
    expect(hidden[0].value).toMatch(new RegExp(`^v1\\.${ID}\\.`));
    expect(g.getAttribute('action')).toBe('https://shop.at/search');
    p.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    expect(tokenOf(p.getAttribute('action')!)).toContain(ID);
    stop();
  });

  it('decorates nothing without consent and nothing after stop()', () => {
    const { l, revoke } = linker();
    const stop = l.start(document);
    const a = mount('<a href="https://shop.at/p/1">Go</a>') as HTMLAnchorElement;
    stop();
    a.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
    expect(a.href).toBe('https://shop.at/p/1');
    const stop2 = l.start(document);
    revoke();
    a.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
    expect(a.href).toBe('https://shop.at/p/1');
    stop2();
  });
});
