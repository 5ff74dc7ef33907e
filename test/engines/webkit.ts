/**
 * WebKit driver: Debian's WebKitGTK (MiniBrowser) through its WebKitWebDriver and webdriverio, under an Xvfb display
 * this driver starts and stops. WebKitWebDriver holds one session, so each profile gets its own driver process (and
 * with it a fresh browser profile). No BiDi: no network emulation, so `canGoOffline` is false, and no init scripts
 * (scenarios inject their init code through the fixture page). Tabs are windows of the session; every call switches
 * to its tab first, one call at a time. WebDriver's Close Window skips `beforeunload`, so a close that runs it is the
 * page's own `window.close()`, which WebKit allows in a tab with one history entry (`newTab(url)` opens such tabs). No
 * `crash`: WebKit ends the automation session when a WebKitWebProcess dies. Imports: webdriverio, node. Never asserts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { remote, Key } from 'webdriverio';
import { asyncExpression, LAUNCH_TIMEOUT_MS, poll, type Engine, type Profile, type Tab } from './driver';

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts Xvfb on a display it picks itself (-displayfd) and resolves with `:N`. */
function startXvfb(): Promise<{ display: string; proc: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not report a display within 60 s')), LAUNCH_TIMEOUT_MS);
    proc.once('error', reject);
    proc.stdio[3]!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve({ display: ':' + out.trim(), proc });
      }
    });
  });
}

async function startDriver(display: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'], { env: { ...process.env, DISPLAY: display }, stdio: 'ignore' });
  await poll(async () => (await fetch(`http://127.0.0.1:${port}/status`)).ok, LAUNCH_TIMEOUT_MS, 'WebKitWebDriver');
  return { port, proc };
}

const KEYS = { Enter: Key.Enter, Escape: Key.Escape, Tab: Key.Tab, Space: Key.Space } as const;

export async function launchWebKit(): Promise<Engine> {
  const x = await startXvfb();
  const drivers = new Set<ChildProcess>();
  let version = 'WebKitGTK';

  async function newProfile(): Promise<Profile> {
    const driver = await startDriver(x.display);
    drivers.add(driver.proc);
    const b = await remote({
      hostname: '127.0.0.1',
      port: driver.port,
      path: '/',
      logLevel: 'error',
      connectionRetryTimeout: LAUNCH_TIMEOUT_MS,
      capabilities: { browserName: 'MiniBrowser', 'wdio:enforceWebDriverClassic': true } as WebdriverIO.Capabilities,
    });
    version = `WebKitGTK ${b.capabilities.browserVersion ?? ''}`.trim();
    await b.setTimeout({ script: LAUNCH_TIMEOUT_MS, pageLoad: LAUNCH_TIMEOUT_MS });
    let initial: string | undefined = await b.getWindowHandle();
    let current: string | undefined = initial;
    // one WebDriver command sequence at a time: tabs used in parallel must not interleave their switches
    let queue: Promise<unknown> = Promise.resolve();
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = queue.then(fn, fn);
      queue = next.catch(() => {});
      return next;
    };
    const on = async (handle: string) => {
      if (current !== handle) await b.switchToWindow(handle);
      current = handle;
    };
    const handles = new Set<string>();
    /** After `handle` went away: forget it and stand on another tab, so the session has a current window. */
    const gone = async (handle: string) => {
      handles.delete(handle);
      const rest = [...handles];
      current = undefined;
      if (rest[0]) await on(rest[0]);
    };

    return {
      async newTab(url): Promise<Tab> {
        const handle = await serial(async () => {
          if (initial) {
            const h = initial;
            initial = undefined;
            return h;
          }
          return (await b.createWindow('tab')).handle;
        });
        handles.add(handle);
        const evaluate = <T>(e: string) =>
          serial(async () => {
            await on(handle);
            const r = (await b.executeAsync(
              `const done = arguments[arguments.length - 1]; ${asyncExpression(e)}.then((v) => done({ v: v === undefined ? null : v }), (err) => done({ e: String((err && err.stack) || err) }));`,
            )) as { v?: T; e?: string };
            if (r && r.e !== undefined) throw new Error(r.e);
            return r.v as T;
          });
        const tab: Tab = {
          goto: (url) =>
            serial(async () => {
              await on(handle);
              await b.url(url);
            }),
          evaluate,
          waitFor: (e, t, what) => poll(() => evaluate(e), t, what ?? e),
          press: (key) =>
            serial(async () => {
              await on(handle);
              await b.keys(KEYS[key]);
            }),
          reload: () =>
            serial(async () => {
              await on(handle);
              await b.refresh();
            }),
          close: (options) =>
            serial(async () => {
              await on(handle);
              if (!options?.runBeforeUnload) await b.closeWindow();
              else {
                const entries = (await b.execute('return history.length')) as number;
                if (entries !== 1) throw new Error(`WebKit lets a page close itself only with one history entry (this tab has ${entries}); open it with newTab(url)`);
                await b.execute('setTimeout(function () { window.close() }, 0)');
                await poll(async () => !(await b.getWindowHandles()).includes(handle), LAUNCH_TIMEOUT_MS, 'the tab to close');
              }
              await gone(handle);
            }),
          // no crash: WebKit ends the whole automation session when a web process dies (the next command answers
          // "invalid session id"), so a tab's crash cannot be followed by the next tab in the same profile
        };
        if (url)
          await serial(async () => {
            await on(handle);
            // from the blank tab a replace: the page is the tab's only history entry, as in a tab opened on its address
            await b.execute('location.replace(arguments[0])', url);
            const href = new URL(url).href;
            await poll(async () => (await b.execute('return document.readyState === "complete" && location.href')) === href, LAUNCH_TIMEOUT_MS, `${url} to load`);
          });
        return tab;
      },
      async setOffline() {
        throw new Error('WebKitGTK has no network emulation over WebDriver classic');
      },
      cookies: (url) =>
        serial(async () => {
          const first = [...handles][0];
          if (first) await on(first);
          const host = new URL(url).hostname;
          return (await b.getCookies())
            .filter((c) => !c.domain || host.endsWith(c.domain.replace(/^\./, '')))
            .map((c) => ({ name: c.name, value: c.value, httpOnly: !!c.httpOnly, sameSite: c.sameSite, secure: c.secure, expires: c.expiry }));
        }),
      async close() {
        if (!drivers.has(driver.proc)) return;
        await b.deleteSession().catch(() => {});
        driver.proc.kill();
        drivers.delete(driver.proc);
      },
    };
  }

  // one profile up front reads the version and warms the engine (cold starts are the slow ones)
  try {
    const warm = await newProfile();
    await warm.close();
  } catch (e) {
    for (const d of drivers) d.kill();
    x.proc.kill();
    throw e;
  }
  return {
    name: 'webkit',
    version,
    canGoOffline: false,
    newProfile,
    async close() {
      for (const d of drivers) d.kill();
      x.proc.kill();
    },
  };
}
