/**
 * The engine-neutral surface the cross-engine scenarios drive: an engine launches profiles (isolated storage), a
 * profile opens tabs and can go offline, a tab loads pages, evaluates expressions and presses keys. One thin driver per
 * engine implements it (chromium.ts, firefox.ts, webkit.ts). Imports: node:fs (the process table, to crash a tab's
 * renderer), the drivers. Never asserts anything itself.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';

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
  /** Reloads the page and waits for its load event. */
  reload(): Promise<void>;
  /**
   * Closes the tab. With `runBeforeUnload` it closes as a user closing the tab does: `beforeunload`, `pagehide` and
   * `unload` run, and the call resolves once the tab is gone.
   */
  close(options?: CloseOptions): Promise<void>;
  /**
   * Kills the tab's renderer process at once, as a renderer crash does: no handler of the page runs. Works while the
   * page's main thread is busy or hung. Missing where the engine cannot crash one tab.
   */
  crash?(): Promise<void>;
}

export interface CloseOptions {
  /** Run the page's `beforeunload` handlers (and with them its unload handlers), as closing a tab by hand does. */
  runBeforeUnload?: boolean;
}

export interface Profile {
  /**
   * Opens a tab; with `url` the tab loads it as its first and only history entry, as a tab the user opened on that
   * address (WebKit lets only such a tab, or a script-opened one, close with `beforeunload`).
   */
  newTab(url?: string): Promise<Tab>;
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
  reload(options: { waitUntil: 'load'; timeout: number }): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  keyboard: { press(key: string): Promise<void> };
}

/** A {@link Tab} over a Playwright or Puppeteer page; `close` is the engine's own (tab bookkeeping differs). */
export function pageTab(page: AutomationPage, close: (options?: CloseOptions) => Promise<void>): Tab {
  const evaluate = <T>(e: string) => page.evaluate(asyncExpression(e)) as Promise<T>;
  return {
    goto: async (url) => void (await page.goto(url, { waitUntil: 'load', timeout: LAUNCH_TIMEOUT_MS })),
    evaluate,
    waitFor: (e, t, what) => poll(() => evaluate(e), t, what ?? e),
    press: (key) => page.keyboard.press(key === 'Space' ? ' ' : key),
    reload: async () => void (await page.reload({ waitUntil: 'load', timeout: LAUNCH_TIMEOUT_MS })),
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

/** Resolves as `promise` does, or rejects after `timeoutMs` naming `what`. */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** One process of this machine as /proc shows it; `cpuTicks` is its user + system CPU time in clock ticks. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string[];
  cpuTicks: number;
}

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const end = stat.lastIndexOf(')');
    const fields = stat.slice(end + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid: +fields[1]!, comm: stat.slice(stat.indexOf('(') + 1, end), cmdline, cpuTicks: +fields[11]! + +fields[12]! };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Every live descendant of process `root` (Linux /proc). */
export function processTree(root: number): ProcessInfo[] {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => processInfo(+d)).filter((p): p is ProcessInfo => !!p);
  const out: ProcessInfo[] = [];
  for (let queue = [root]; queue.length; ) {
    const parent = queue.shift();
    for (const p of all) if (p.ppid === parent) out.push(p), queue.push(p.pid);
  }
  return out;
}

/**
 * Which of `candidates` renders `tab`: the page keeps its main thread busy for `spinMs` (a page that is already hung
 * is busy anyway) and the process whose CPU time grew by far the most is the one. Engines share renderers between tabs
 * and keep spare ones, so the process table alone cannot tell. Throws when no process stands out.
 */
export async function rendererOf(tab: Pick<Tab, 'evaluate'>, candidates: () => ProcessInfo[], spinMs = 400): Promise<number> {
  let seen = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = new Map(candidates().map((p) => [p.pid, p.cpuTicks]));
    // not awaited: a hung page answers only once it is killed
    void tab.evaluate(`(() => { const t = performance.now(); while (performance.now() - t < ${spinMs}) {} return 1 })()`).catch(() => {});
    await new Promise((r) => setTimeout(r, spinMs + 100));
    const grown = candidates()
      .filter((p) => before.has(p.pid))
      .map((p) => ({ pid: p.pid, ticks: p.cpuTicks - before.get(p.pid)! }))
      .sort((a, b) => b.ticks - a.ticks);
    const [best, next] = grown;
    // at least a quarter of the spin on the CPU (ticks are 10 ms), and twice any other candidate
    if (best && best.ticks >= spinMs / 40 && (!next || best.ticks >= 2 * next.ticks)) return best.pid;
    seen = JSON.stringify(grown);
  }
  throw new Error(`no renderer process stood out while the page kept busy: ${seen}`);
}

/** Kills process `pid` with SIGKILL (a crash: no handler runs) and waits until it is gone. */
export async function killProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await poll(async () => !existsSync(`/proc/${pid}`) || !processInfo(pid), 10_000, `process ${pid} to end`);
}
