/**
 * The engine-neutral surface the cross-engine scenarios drive: an engine launches profiles (isolated storage), a
 * profile opens tabs and can go offline, a tab loads pages, evaluates expressions and presses keys. One thin driver per
 * engine implements it (chromium.ts, firefox.ts, webkit.ts). Imports: the drivers. Never asserts anything itself.
 */

/** The engines the suite knows, in the order they run. */
export const ENGINES = ['chromium', 'firefox', 'webkit'] as const;
export type EngineName = (typeof ENGINES)[number];

/** A cookie as the browser stores it. */
export interface BrowserCookie {
  name: string;
  value: string;
  httpOnly: boolean;
  sameSite?: string;
  secure?: boolean;
  /** Epoch seconds; -1 or undefined for a session cookie. */
  expires?: number;
}

export interface Tab {
  /** Loads `url` and waits for its load event. */
  goto(url: string): Promise<void>;
  /** Evaluates a JavaScript expression in the page (a promise is awaited) and returns its JSON value. */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy. */
  waitFor(expression: string, timeoutMs?: number, what?: string): Promise<void>;
  /** Presses one key (`Enter`, `Escape`, `Tab`, `Space`) as a trusted keyboard event on the focused element. */
  press(key: 'Enter' | 'Escape' | 'Tab' | 'Space'): Promise<void>;
  close(): Promise<void>;
}

export interface Profile {
  newTab(): Promise<Tab>;
  /** Cuts the network for this profile, when the engine can emulate it (`Engine.canGoOffline`). */
  setOffline(offline: boolean): Promise<void>;
  /** The cookies this profile holds for `url`. */
  cookies(url: string): Promise<BrowserCookie[]>;
  close(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  /** Browser name and version as the engine reports it, for the compatibility table. */
  version: string;
  /** Whether `Profile.setOffline` works; without it scenarios make the collector drop connections instead. */
  canGoOffline: boolean;
  /** A profile with its own storage (cookies, IndexedDB, localStorage). */
  newProfile(): Promise<Profile>;
  /**
   * A browser process of its own on profile directory `dir`; closing it ends the process, and opening `dir` again is a
   * browser restart. Missing where the engine cannot reopen a profile (WebKitWebDriver starts every session fresh).
   */
  persistentProfile?(dir: string): Promise<Profile>;
  close(): Promise<void>;
}

/** Launch timeout for every engine: cold starts on fresh CI machines take 10–20 s. */
export const LAUNCH_TIMEOUT_MS = 60_000;

/**
 * The engines to run: `TP_ENGINES=chromium,firefox` narrows the set (`none` for none); all three by default.
 * @example for (const name of selectedEngines()) describe(name, …)
 */
export function selectedEngines(env = process.env.TP_ENGINES): EngineName[] {
  if (!env?.trim()) return [...ENGINES];
  if (env.trim() === 'none') return [];
  const wanted = env.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const unknown = wanted.filter((w) => !(ENGINES as readonly string[]).includes(w));
  if (unknown.length) throw new Error(`TP_ENGINES: unknown engine ${unknown.join(', ')}; use ${ENGINES.join(', ')}`);
  return ENGINES.filter((e) => wanted.includes(e));
}

/** Launches one engine. */
export async function launchEngine(name: EngineName): Promise<Engine> {
  if (name === 'chromium') return (await import('./chromium')).launchChromium();
  if (name === 'firefox') return (await import('./firefox')).launchFirefox();
  return (await import('./webkit')).launchWebKit();
}

/** Wraps an expression so every driver evaluates it the same way: async, JSON result. */
export const asyncExpression = (expression: string) => `(async () => (${expression}))()`;

/** What the Playwright and Puppeteer page objects share, which is all a {@link Tab} needs. */
interface AutomationPage {
  goto(url: string, options: { waitUntil: 'load'; timeout: number }): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  keyboard: { press(key: string): Promise<void> };
}

/** A {@link Tab} over a Playwright or Puppeteer page; `close` is the engine's own (tab bookkeeping differs). */
export function pageTab(page: AutomationPage, close: () => Promise<void>): Tab {
  const evaluate = <T>(e: string) => page.evaluate(asyncExpression(e)) as Promise<T>;
  return {
    goto: async (url) => void (await page.goto(url, { waitUntil: 'load', timeout: LAUNCH_TIMEOUT_MS })),
    evaluate,
    waitFor: (e, t, what) => poll(() => evaluate(e), t, what ?? e),
    press: (key) => page.keyboard.press(key === 'Space' ? ' ' : key),
    close,
  };
}

/** Polls `check` until it resolves truthy; shared by the drivers' `waitFor`. */
export async function poll(check: () => Promise<unknown>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
