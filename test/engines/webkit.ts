/**
 * WebKit driver: Debian's WebKitGTK (MiniBrowser) through its WebKitWebDriver and webdriverio, under an Xvfb display
 * this driver starts and stops. WebKitWebDriver holds one session, so each profile gets its own driver process (and
 * with it a fresh browser profile). No BiDi: no network emulation, so `canGoOffline` is false, and no init scripts
 * (scenarios inject their init code through the fixture page). Tabs are windows of the session; every call switches
 * to its tab first, one call at a time. Imports: webdriverio, node. Never asserts.
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

    return {
      async newTab(): Promise<Tab> {
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
        return {
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
          close: () =>
            serial(async () => {
              await on(handle);
              await b.closeWindow();
              handles.delete(handle);
              const rest = [...handles];
              current = undefined;
              if (rest[0]) await on(rest[0]);
            }),
        };
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
