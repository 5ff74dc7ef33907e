/**
 * The consent manager: reads the own consent record (the only storage access before a decision, R1), honours GPC/DNT,
 * refuses consent in a cross-origin frame, decides, writes proof records, drives the banner and the GCM bridge, and
 * starts the lazy interop chunk (embeds, TCF, GPP) only when the page needs it. Imports: util, schema types and the
 * files of src/consent. Never touches any storage but the consent record and never sends anything itself.
 */
import type { ConsentMethod, ConsentRecord } from '../schema/consent-record';
import type { Log } from '../util/log';
import { uuid } from '../util/ids';
import type { BannerHandle, BannerModule, BannerOptions, Category, ConsentConfig, ConsentManager, ConsentState, ConsentStorage } from './types';
import { validateConfig } from './validate-config';
import { defaultPolicy } from './default-policy';
import type { DefaultTexts } from './default-texts';
import { cookieStorage } from './cookie-storage';
import { readSignals } from './signals';
import { fingerprint, sha256Hex } from './hash';
import { resolveLocale } from './locale';
import { EMBED_SELECTOR, type EmbedActivator } from './embed';
import { createGcmBridge, type GcmBridge } from './bridges/gcm';

/** The lazily loaded interop chunk (src/consent/interop.ts). */
export type InteropModule = typeof import('./interop');

/** Name of the window event dispatched on every change; `detail` is the new state. */
export const CONSENT_EVENT = 'touchpoint:consent_updated';

const DAY_MS = 864e5;

/** What `createConsentManager` needs; every seam is injectable. */
export interface ConsentManagerDeps {
  /** The privacy officer's JSON configuration; validated here, a bad one fails closed. `undefined` = the shipped DE/EN default. */
  config: unknown;
  log: Log;
  sdkVersion: string;
  /** Receives each proof record; core POSTs it to `/v1/consent` without credentials or tracking ids. */
  postRecord: (record: ConsentRecord) => void;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** Where the decision is kept. @defaultValue the first-party cookie `tp_consent` */
  storage?: ConsentStorage;
  /** Loads the banner chunk, e.g. `() => import('./consent/banner')`; without it no banner shows and the visitor stays undecided. */
  loadBanner?: () => Promise<BannerModule>;
  /** Loads the shipped DE/EN texts, needed only with the default config (to show the banner and hash the texts for proof). */
  loadTexts?: () => Promise<DefaultTexts>;
  /** Loads the interop chunk (embeds, TCF and GPP readers); called only when the page has embeds or the config a CMP. */
  loadInterop?: () => Promise<InteropModule>;
  /** For GPC/DNT and language. @defaultValue `window.navigator` */
  navigator?: Navigator;
  /** @defaultValue `window` */
  window?: Window;
  /** Locale to show instead of the page's `<html lang>` and the browser's languages. */
  locale?: string;
  /** Nonce for the banner's `<style>` under a CSP without constructable-stylesheet support. */
  nonce?: string;
  /** Activate `data-consent` embeds. @defaultValue true */
  embeds?: boolean;
}

/** The cookie's content: only the decision, with short keys to keep the cookie small. */
interface Stored {
  v: 1;
  id: string;
  g: string[];
  m: ConsentMethod;
  t: number;
  e: number;
  p: string;
  f: string;
}

/**
 * Creates the consent service. A configuration that fails validation logs one `console.error` and returns
 * `{ failed }`: core then tracks nothing and the page keeps working.
 * @param deps - configuration, logger, record sink and injectable seams
 * @returns the manager, or `{ failed: "path: message" }`
 * @example
 * const m = createConsentManager({ config, log, sdkVersion: '1.0.0', postRecord: send, loadBanner: () => import('./banner') });
 * if (!('failed' in m) && m.allows('analytics')) startTracking();
 */
export function createConsentManager(deps: ConsentManagerDeps): ConsentManager | { failed: string } {
  const { log, postRecord, sdkVersion } = deps;
  const now = deps.now || Date.now;
  const win: Window | undefined = deps.window || globalThis.window;
  const doc = win?.document;
  const nav = deps.navigator || win?.navigator;
  // the default policy is valid by construction; its texts load only when shown or hashed for a proof record
  const config: ConsentConfig | string = deps.config === undefined ? defaultPolicy() : validateConfig(deps.config);
  if (typeof config == 'string') {
    log.error('consent config rejected, nothing is tracked: ' + config);
    return { failed: config };
  }
  const { categories, policyVersion, lifetimeDays } = config;
  const ids = categories.map((c) => c.id);
  const optional = ids.filter((c) => c != 'necessary');
  const fp = fingerprint([config.materialVersion || policyVersion, ...ids.slice().sort()].join('|'));
  const storage = deps.storage || (doc && cookieStorage(doc, lifetimeDays * 86400));
  const locale = resolveLocale(config, [deps.locale, doc?.documentElement.lang, ...(nav?.languages || [nav?.language])]);
  // a missing loader is a rejected load, like a failed import()
  const load = <T>(loader?: () => Promise<T>) => new Promise<T>((resolve) => resolve(loader!()));
  let texts = config.texts[locale];
  let textsLoaded: Promise<unknown> | undefined;
  const withTexts = () =>
    (textsLoaded ||=
      deps.config !== undefined
        ? Promise.resolve()
        : load(deps.loadTexts).then((d) => {
            config.texts = d.texts;
            categories.forEach((c) => Object.assign(c, d.categories[c.id]));
            texts = config.texts[locale];
          }));
  const cmpConfig = config.tcf || config.gpp;
  // GPC first; a signal is honoured as a refusal unless the policy says to ignore it (R16)
  const signals = readSignals(nav, win);
  const signal = signals[0];
  const honoured = signals.find((k) => config.signals[k] == 'deny');
  const handlers = new Set<(s: ConsentState, p: ConsentState) => void>();
  const pending = (): ConsentState => ({ status: 'pending', granted: ['necessary'], denied: optional, policyVersion, signal });
  const iso = (t: number) => new Date(t).toISOString();
  const decided = (g: readonly string[], method: ConsentMethod, t: number, consentId: string, p = policyVersion): ConsentState => {
    const granted = ['necessary', ...optional.filter((c) => g.includes(c))];
    return { status: 'decided', granted, denied: optional.filter((c) => !granted.includes(c)), method, policyVersion: p, decidedAt: iso(t), consentId, signal };
  };
  let state = pending();
  let expiresAt = 0;
  let last: ConsentRecord | undefined;
  let banner: Promise<BannerHandle | undefined> | undefined;
  let textHash: Promise<string | undefined> | undefined;
  let embeds: EmbedActivator | undefined;
  let gcm: GcmBridge | undefined;
  let reader: { stop(): void } | undefined;
  let watcher: MutationObserver | undefined;
  let destroyed = false;
  let interop: Promise<InteropModule | undefined> | undefined;
  const loadInterop = () =>
    (interop ||= load(deps.loadInterop).then(
      (m) => (destroyed ? undefined : m),
      (e) => void log.warn('interop chunk failed', e),
    ));

  const copy = (s: ConsentState): ConsentState => ({ ...s, granted: s.granted.slice(), denied: s.denied.slice() });
  // a failing hook, banner or storage is logged (in debug mode) with its stack and never reaches the page
  const safe = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      log.warn('consent step failed', e);
    }
  };

  // R1: the one storage read before a decision; a record of another policy or an expired one counts as none
  let stored: Stored | undefined;
  safe(() => {
    const s = JSON.parse(storage?.read() || 'null') as Stored | null;
    if (s && s.v == 1 && s.f == fp && s.e > now() && Array.isArray(s.g) && typeof s.id == 'string') stored = s;
  });
  const fromStored = (s: Stored) => ((expiresAt = s.e), decided(s.g, s.m, s.t, s.id, s.p));
  // a decision that only mirrored a browser signal lapses when the signal is gone; TCF decisions wait for the CMP (R18)
  if (stored && !cmpConfig && !((stored.m == 'gpc' || stored.m == 'dnt') && stored.m != honoured)) state = fromStored(stored);

  // the categories as the banner shows them; call after withTexts()
  const shownCategories = () => categories.map((c) => ({ id: c.id, label: c.label[locale], description: c.description[locale], required: c.id == 'necessary' }));
  // what the proof's text hash covers; the serialization is part of the hash, so it never changes
  const shown = () =>
    JSON.stringify([
      locale,
      Object.keys(texts).sort().map((k) => [k, texts[k as keyof typeof texts]]),
      shownCategories().map((c) => [c.id, c.label, c.description]),
      config.privacyPolicyUrl,
      config.imprintUrl,
    ]);

  // every change reaches Consent Mode, the embeds, the page's handlers and event, and the banner, in that order
  const change = (next: ConsentState) => {
    const previous = state;
    const s = copy((state = next));
    safe(() => gcm?.update(s));
    safe(() => embeds?.scan());
    handlers.forEach((h) => safe(() => h(copy(s), copy(previous))));
    safe(() => win?.dispatchEvent(new CustomEvent(CONSENT_EVENT, { detail: copy(s) })));
    banner?.then((b) => safe(() => b?.update(s.granted, s.status == 'pending')));
  };

  const decide = (grantedIn: readonly string[], method: ConsentMethod, layer: NonNullable<ConsentRecord['layer']>, cmpString?: string) => {
    const t = now();
    const consentId = uuid();
    const e = (expiresAt = t + lifetimeDays * DAY_MS);
    const next = decided(grantedIn, method, t, consentId);
    const { granted, denied } = next;
    // R9/R11: taking back anything granted before is recorded as a withdrawal
    if (state.status == 'decided' && state.granted.some((c) => !granted.includes(c))) next.method = method = 'withdrawal';
    safe(() => storage?.write(JSON.stringify({ v: 1, id: consentId, g: granted.slice(1), m: method, t, e, p: policyVersion, f: fp } satisfies Stored)));
    change(next);
    // the hash covers the texts of the shown locale, loaded first when they are the shipped defaults
    // a failed load is not cached, so the next decision of this page tries again
    (textHash ||= withTexts().then(() => sha256Hex(shown()), () => (textHash = textsLoaded = undefined))).then((textHash) => {
      if (!textHash) return log.warn('proof record not sent: no consent texts or no SubtleCrypto (insecure context?)');
      const r: ConsentRecord = { consentId, timestamp: iso(t), policyVersion, textHash, locale, granted, denied, method, layer, sdkVersion, expiresAt: iso(e) };
      // the CMP's own proof: the TCF TC string, or the GPP string when a GPP CMP decided
      if (cmpString) r[config.gpp ? 'gppString' : 'tcString'] = cmpString;
      safe(() => postRecord((last = r)));
    });
  };

  // clickjacking guard: in a frame of another origin a visitor may be tricked into clicking an invisible banner, so
  // consent is not collected there (CONSENT-RULES "Clickjacking"); same-origin frames and consent.set() still work
  let framed: unknown;
  try {
    framed = win && win.top !== win.self && !win.top!.location.href;
  } catch {
    framed = true;
  }
  if (framed) log.warn('framed by another origin: consent is not collected here');
  const mount = (show: BannerOptions['show']): Promise<BannerHandle | undefined> =>
    framed
      ? Promise.resolve(undefined)
      : (banner ||= Promise.all([load(deps.loadBanner), deps.loadBanner && withTexts()])
          .then(([m]) =>
            m.mountBanner({
              locale,
              texts,
              categories: shownCategories(),
              privacyPolicyUrl: config.privacyPolicyUrl,
              imprintUrl: config.imprintUrl,
              granted: state.granted,
              show,
              nonce: deps.nonce,
              document: doc,
              onDecision: (d) => safe(() => decide(d.granted, d.action, d.layer)),
            }),
          )
          .catch((e) => void ((banner = undefined), log.error('consent banner failed; visitor stays undecided', e))));

  const expired = () => {
    if (state.status == 'decided' && now() >= expiresAt) {
      change(pending());
      if (!cmpConfig) mount('banner');
    }
  };

  const open = (opener?: Element | null) => {
    if (cmpConfig) return log.warn('consent comes from the CMP: open its settings');
    mount(state.status == 'pending' ? 'banner' : 'none').then((b) => safe(() => b?.open(opener)));
  };

  const onDocClick = (e: Event) => {
    const el = (e.target as Element | null)?.closest?.('[data-touchpoint-consent="open"]');
    if (el) {
      e.preventDefault();
      open(el);
    }
  };

  const manager: ConsentManager = {
    get: () => (expired(), copy(state)),
    // granted always holds `necessary`, and nothing else while pending
    allows: (c) => (expired(), state.granted.includes(c)),
    set(choices, options) {
      // R18: only categories the configuration knows and the caller explicitly granted; everything else is denied
      safe(() => decide(optional.filter((c) => choices?.[c] === true), options?.method == 'cmp' ? 'cmp' : 'api', 'none'));
      return copy(state);
    },
    open: (opener) => safe(() => open(opener)),
    onChange(handler) {
      handlers.add(handler);
      return () => void handlers.delete(handler);
    },
    record: () => last && { ...last },
    config: () => config,
    destroy() {
      doc?.removeEventListener('click', onDocClick);
      destroyed = true;
      watcher?.disconnect();
      embeds?.stop();
      reader?.stop();
      banner?.then((b) => b?.destroy());
      handlers.clear();
    },
  };

  if (doc && win) {
    doc.addEventListener('click', onDocClick);
    // the Consent Mode default goes out at once, then the stored decision (the bridge skips a pending one)
    if (config.googleConsentMode) safe(() => (gcm = createGcmBridge({ config: config.googleConsentMode!, window: win })).update(copy(state)));
    if (deps.embeds !== false) {
      // the embed activator loads with the interop chunk once the page has a data-consent placeholder, now or later
      const start = () =>
        loadInterop().then((m) => m && safe(() => (embeds = m.startEmbeds({ document: doc, window: win, allows: manager.allows, onSkip: (el, why) => log.warn('embed not activated: ' + why, el) }))));
      if (doc.querySelector(EMBED_SELECTOR)) start();
      else if (typeof MutationObserver == 'function') {
        // only the added subtrees are searched, so a busy page without embeds pays little per mutation
        const has = (n: Node) => n.nodeType == 1 && ((n as Element).matches(EMBED_SELECTOR) || !!(n as Element).querySelector(EMBED_SELECTOR));
        watcher = new MutationObserver((list) => list.some((r) => [...r.addedNodes].some(has)) && (watcher!.disconnect(), start()));
        watcher.observe(doc.documentElement, { childList: true, subtree: true });
      }
    }
  }

  // R18: a TCF or GPP CMP decides; until its final answer the visitor stays pending (denied), and a broken CMP keeps it so
  const fromCmp = (granted: string[], cmpString?: string) => {
    const same = (s: readonly string[]) => s.length == granted.length && s.every((c) => granted.includes(c));
    // each page load repeats the CMP's answer; only a changed choice makes a new proof record
    if (state.method == 'tcf' && same(state.granted.slice(1))) return;
    if (state.status == 'pending' && stored && stored.m == 'tcf' && same(stored.g)) return change(fromStored(stored));
    decide(granted, 'tcf', 'none', cmpString);
  };
  if (cmpConfig && win) {
    const onFail = (why: string) => log.warn(`consent CMP gave no answer (${why}); staying denied`);
    loadInterop().then((m) => {
      if (!m) return onFail('no interop chunk');
      // the GPP and TCF readers take the same deps; gpp and tcf never come together (validate-config)
      const start = (config.gpp ? m.startGppReader : m.startTcfReader) as InteropModule['startTcfReader'];
      safe(() => (reader = start({ config: cmpConfig, window: win, onFail, onDecision: (g, tc) => safe(() => fromCmp(g, tc)) })));
    });
  } else if (state.status == 'pending') mount(honoured ? (decide([], honoured, 'none'), 'notice') : 'banner');

  return manager;
}
