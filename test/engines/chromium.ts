/**
 * Chromium driver: Debian's Chromium through playwright-core; a profile is a browser context (or a persistent context
 * on a directory, for restarts), offline is emulated by the context, a tab's renderer crashes by CDP `Page.crash`.
 * Imports: playwright-core, the browser harness's launch flags. Never asserts.
 */
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../browser/harness';
import { LAUNCH_TIMEOUT_MS, pageTab, within, type Engine, type Profile, type Tab } from './driver';

function profileOf(context: BrowserContext): Profile {
  return {
    async newTab(url): Promise<Tab> {
      const page = await context.newPage();
      const tab = pageTab(page, async (options) => {
        if (!options?.runBeforeUnload) return page.close({ runBeforeUnload: false });
        // with beforeunload Playwright only asks the page to close; the page's own handlers decide when it goes
        const closed = new Promise((r) => page.once('close', r));
        await page.close({ runBeforeUnload: true });
        await within(closed, LAUNCH_TIMEOUT_MS, 'the tab to close');
      });
      // attached now: a session attached while the page hangs never gets its commands through
      const cdp = context.newCDPSession(page);
      cdp.catch(() => {});
      tab.crash = async () => {
        const crashed = new Promise((r) => page.once('crash', r));
        // the browser has the renderer's IO thread crash it, whatever the page's main thread is doing; it never answers
        void (await cdp).send('Page.crash').catch(() => {});
        await within(crashed, 15_000, 'the renderer to crash');
      };
      if (url) await tab.goto(url);
      return tab;
    },
    setOffline: (offline) => context.setOffline(offline),
    cookies: async (url) => (await context.cookies(url)).map((c) => ({ name: c.name, value: c.value, httpOnly: c.httpOnly, sameSite: c.sameSite, secure: c.secure, expires: c.expires })),
    close: () => context.close(),
  };
}

export async function launchChromium(): Promise<Engine> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, timeout: LAUNCH_TIMEOUT_MS });
  return {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    canGoOffline: true,
    newProfile: async () => profileOf(await browser.newContext()),
    persistentProfile: async (dir) =>
      profileOf(await chromium.launchPersistentContext(dir, { executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, timeout: LAUNCH_TIMEOUT_MS })),
    close: () => browser.close(),
  };
}
