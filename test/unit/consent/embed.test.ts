import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEmbeds } from '../../../src/consent/embed';
import { flush } from './helpers';

const granted = new Set<string>();
const allows = (c: string) => granted.has(c);
let stop: (() => void) | undefined;
afterEach(() => {
  stop?.();
  granted.clear();
  document.body.textContent = '';
  delete (window as unknown as { trustedTypes?: unknown }).trustedTypes;
});

const placeholder = (attrs: Record<string, string>, text = '') => {
  const s = document.createElement('script');
  for (const k in attrs) s.setAttribute(k, attrs[k]);
  s.text = text;
  document.body.append(s);
  return s;
};

describe('consent-aware embeds', () => {
  it('activates src and inline scripts only when every listed category is granted', () => {
    placeholder({ type: 'text/plain', 'data-consent': 'marketing', src: 'https://cdn.example/pixel.js', id: 'px', 'data-x': '1' });
    placeholder({ type: 'text/plain', 'data-consent': 'analytics marketing', 'data-type': 'module' }, 'window.__ran = 1');
    const e = startEmbeds({ document, window, allows });
    stop = e.stop;
    expect(document.querySelectorAll('script[type="text/plain"]')).toHaveLength(2);
    granted.add('marketing');
    e.scan();
    const live = document.getElementById('px') as HTMLScriptElement;
    expect(live.type).toBe('text/javascript');
    expect(live.src).toBe('https://cdn.example/pixel.js');
    expect(live.getAttribute('data-x')).toBe('1');
    expect(live.hasAttribute('data-consent')).toBe(false);
    expect(document.querySelectorAll('script[type="text/plain"]')).toHaveLength(1);
    granted.add('analytics');
    e.scan();
    const inline = [...document.scripts].find((s) => s.text.includes('__ran'))!;
    expect(inline.type).toBe('module');
  });

  it('activates iframes from data-src, but never a javascript: URL', () => {
    document.body.append(Object.assign(document.createElement('iframe'), { id: 'yt' }));
    const f = document.getElementById('yt')!;
    f.setAttribute('data-consent', 'marketing');
    f.setAttribute('data-src', 'https://www.youtube-nocookie.com/embed/x');
    const bad = document.createElement('iframe');
    bad.setAttribute('data-consent', 'marketing');
    bad.setAttribute('data-src', 'javascript:alert(1)');
    document.body.append(bad);
    granted.add('marketing');
    const onSkip = vi.fn();
    stop = startEmbeds({ document, window, allows, onSkip }).stop;
    expect(f.getAttribute('src')).toBe('https://www.youtube-nocookie.com/embed/x');
    expect(bad.hasAttribute('src')).toBe(false);
    expect(onSkip).toHaveBeenCalledWith(bad, 'unsafe iframe URL');
  });

  it('activates tags added later (MutationObserver)', async () => {
    granted.add('analytics');
    stop = startEmbeds({ document, window, allows }).stop;
    placeholder({ type: 'text/plain', 'data-consent': 'analytics', src: '/late.js', id: 'late' });
    await flush();
    expect((document.getElementById('late') as HTMLScriptElement).type).toBe('text/javascript');
  });

  it('goes through a Trusted Types policy named "touchpoint", and skips gracefully when the CSP refuses it', () => {
    const created: string[] = [];
    const tt = {
      createPolicy: vi.fn((name: string, rules: { createScriptURL(u: string): string }) => {
        created.push(name);
        return { createScriptURL: (u: string) => rules.createScriptURL(u), createScript: (s: string) => s };
      }),
    };
    (window as unknown as { trustedTypes: unknown }).trustedTypes = tt;
    granted.add('marketing');
    placeholder({ type: 'text/plain', 'data-consent': 'marketing', src: 'https://cdn.example/a.js', id: 'a' });
    stop = startEmbeds({ document, window, allows }).stop;
    expect(created).toEqual(['touchpoint']);
    expect((document.getElementById('a') as HTMLScriptElement).type).toBe('text/javascript');
  });

  it('leaves embeds inactive when the CSP does not allow the "touchpoint" policy', () => {
    const fakeWin = { trustedTypes: { createPolicy: () => { throw new TypeError('refused by CSP'); } }, location: window.location } as unknown as Window;
    granted.add('marketing');
    const el = placeholder({ type: 'text/plain', 'data-consent': 'marketing', src: 'https://cdn.example/b.js' });
    const onSkip = vi.fn();
    stop = startEmbeds({ document, window: fakeWin, allows, onSkip }).stop;
    expect(el.isConnected).toBe(true);
    expect(el.type).toBe('text/plain');
    expect(onSkip).toHaveBeenCalledWith(el, 'Trusted Types policy "touchpoint" not allowed');
  });
});
