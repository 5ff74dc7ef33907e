/**
 * Script-tag boot: turns `window.touchpoint` (the snippet's stub, or nothing) into the real API, configured by
 * `touchpoint.init({...})` or the script tag's `data-*` attributes, and replays queued calls in order with their
 * original timestamps. Imports: core. Never throws into the page.
 */
import { createTracker, type Touchpoint } from '../core/tracker';
import type { TouchpointConfig } from '../core/config';
import { wire } from '../core/wire';
import { createLog } from '../util/log';
import { touchpointPolicy } from '../util/trusted-types';

type QueuedCall = [path: string, args: unknown[], time: number, done?: (result: unknown) => void];

const w = window as unknown as { touchpoint?: Record<string, unknown> & { _q?: QueuedCall[]; __touchpoint?: boolean } };
const script = document.currentScript as HTMLScriptElement | null;
const existing = w.touchpoint;

/** Reads `data-write-key`, `data-collector-url`, `data-debug`, … from the script tag. */
function fromAttributes(el: HTMLScriptElement | null): Partial<TouchpointConfig> {
  if (!el) return {};
  const d = el.dataset;
  const out: Record<string, unknown> = {
    // comma separated; the linker trims and skips empty names
    linkDomains: d.linkDomains?.split(','),
    nonce: el.nonce || undefined,
  };
  for (const k of ['writeKey', 'collectorUrl', 'locale', 'cookieDomain']) out[k] = d[k];
  for (const k of ['debug', 'autoPageViews', 'webVitals', 'banner']) out[k] = d[k] === undefined ? undefined : d[k] !== 'false' && d[k] !== '0';
  // the privacy officer's config can sit in the page: <script type="application/json" id="touchpoint-consent">
  const ref = d.consentConfig;
  const json = ref ? document.querySelector(ref)?.textContent : undefined;
  if (json) {
    try {
      out.consent = JSON.parse(json);
    } catch {
      out.consent = { invalid: 'data-consent-config is not valid JSON' };
    }
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as Partial<TouchpointConfig>;
}

/** Calls `path` (e.g. 'track' or 'consent.set') on the API; a queued call carries its original time. */
function invoke(api: Touchpoint, path: string, args: unknown[], time?: number) {
  const [ns, name] = path.split('.');
  const target = (name ? (api as unknown as Record<string, Record<string, unknown>>)[ns] : api) as Record<string, unknown>;
  const fn = target?.[name ?? ns];
  if (typeof fn !== 'function') return;
  if (time !== undefined && ['page', 'track', 'identify', 'alias'].includes(path)) {
    const a = args.slice();
    a.length = Math.max(a.length, 3);
    a[2] = { timestamp: time, ...(a[2] as object | undefined) };
    args = a;
  }
  return fn.apply(target, args);
}

/**
 * The sha384 of touchpoint-sri.mjs, the manifest of every chunk's sha384; scripts/postbuild.mjs writes it over this
 * placeholder of the same length (so the source map stays right).
 */
const MANIFEST_SRI = 'sha384-TOUCHPOINT-MANIFEST-INTEGRITY-PLACEHOLDER-WRITTEN-BY-POSTBUILD-0';

/**
 * Loads a module through a `<script type="module" integrity>` tag, then imports it: the import takes the module the tag
 * fetched and checked from the document's module map, so an altered chunk never runs. Rejects when it does not load
 * or fails its check. Under Trusted Types the URL goes through the `touchpoint` policy (shared with the embeds); a CSP
 * that allows no such policy gets the chunk by plain import, with one console error saying how to restore the check.
 */
function loadPinned(url: string, integrity: string, nonce?: string): Promise<Record<string, unknown>> {
  return new Promise<void>((ok, fail) => {
    const s = document.createElement('script');
    s.type = 'module';
    s.integrity = integrity;
    if (nonce) s.nonce = nonce;
    s.onload = () => (s.remove(), ok());
    s.onerror = () => (s.remove(), fail(Error(url + ' did not load or failed its integrity check')));
    try {
      (s as unknown as { src: unknown }).src = touchpointPolicy(window)?.createScriptURL(url) ?? url;
    } catch {
      // Trusted Types refused the URL (no "touchpoint" policy allowed): load as before this check existed, and say so
      unpinnedWarned ||= (createLog(true).error('Trusted Types: chunks load without their SRI check; allow "trusted-types touchpoint"'), true);
      return ok();
    }
    document.head.append(s);
  }).then(() => import(/* @vite-ignore */ url));
}
let unpinnedWarned = false;

function boot() {
  if (existing?.__touchpoint) return;
  const attrs = fromAttributes(script);
  const base = attrs.assetBaseUrl ?? (script?.src ? new URL('.', script.src).href : new URL('/', location.href).href);
  // a page that pinned this bundle with SRI gets every chunk pinned too, through the hashes in touchpoint-sri.mjs
  let manifest: Promise<Record<string, unknown>> | undefined;
  let nonce: string | undefined;
  const pinned = (file: string) =>
    (manifest ||= loadPinned(base + 'touchpoint-sri.mjs', MANIFEST_SRI, nonce).catch((e) => {
      manifest = undefined;
      throw e;
    })).then((m) => {
      const sri = (m.default as Record<string, string>)[file];
      if (!sri) throw Error(file + ' is not in touchpoint-sri.mjs');
      return loadPinned(base + file, sri, nonce);
    });
  const load = (file: string) => (script?.integrity ? pinned(file) : import(/* @vite-ignore */ base + file));
  let instance: Touchpoint | undefined;
  const before: QueuedCall[] = [];

  const init = (config?: Partial<TouchpointConfig>) => {
    if (instance) return createLog(!!config?.debug).warn('init() called twice; the first config stays');
    const merged = { ...attrs, ...(config && typeof config === 'object' ? config : {}) } as TouchpointConfig;
    if (!merged.assetBaseUrl) merged.assetBaseUrl = base;
    nonce = merged.nonce;
    instance = createTracker(merged, wire(merged, {
      loadVitals: () => load('touchpoint-vitals.mjs'),
      loadBanner: () => load('touchpoint-banner.mjs'),
      loadTexts: () => load('touchpoint-banner.mjs').then((m) => m.DEFAULT_TEXTS),
      loadInterop: () => load('touchpoint-interop.mjs'),
      loadHashing: () => load('touchpoint-identity.mjs'),
      loadFormat: (format) => load(`touchpoint-${format}.mjs`),
      loadLinker: () => load('touchpoint-linker.mjs'),
      loadProfiles: () => load('touchpoint-profile.mjs'),
    }));
    before.splice(0).forEach(([p, a, t, done]) => done?.(invoke(instance!, p, a, t)));
  };

  const call = (path: string) => (...args: unknown[]) => {
    if (instance) return invoke(instance, path, args);
    before.push([path, args, Date.now()]);
  };
  const api = {
    __touchpoint: true,
    init,
    page: call('page'),
    track: call('track'),
    identify: call('identify'),
    alias: call('alias'),
    reset: call('reset'),
    flush: (...a: unknown[]) => (instance ? instance.flush() : Promise.resolve(void call('flush')(...a))),
    ready: call('ready'),
    on: (...a: unknown[]) => (instance ? invoke(instance, 'on', a) : (call('on')(...a), () => {})),
    // no profile before init: there is no consent or device id yet
    profile: () => (instance ? instance.profile() : Promise.resolve()),
    debug: (...a: unknown[]) => (instance ? instance.debug() : Promise.resolve({ initialized: false, queued: before.length, args: a })),
    consent: {
      get: () => instance?.consent.get(),
      set: call('consent.set'),
      open: call('consent.open'),
    },
    get commerce() {
      return instance?.commerce;
    },
  };

  const queue = Array.isArray(existing?._q) ? existing!._q! : [];
  w.touchpoint = api as never;
  const initCall = queue.find(([p]) => p === 'init');
  if (initCall) init(initCall[1][0] as Partial<TouchpointConfig>);
  else if (attrs.writeKey) init();
  // a snippet call's promise gets the real call's result
  for (const q of queue) if (q[0] !== 'init') (instance ? q[3]?.(invoke(instance, q[0], q[1], q[2])) : before.push(q));
}

try {
  boot();
} catch (e) {
  createLog(true).error('failed to start', e);
}
