/**
 * Chromium driver: Debian's Chromium through playwright-core; a profile is a browser context (or a persistent context
 * on a directory, for restarts), offline is emulated by the context. Imports: playwright-core, the browser harness's
 * launch flags. Never asserts.
 */
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../browser/harness';
import { LAUNCH_TIMEOUT_MS, pageTab, type Engine, type Profile, type Tab } from './driver';

function profileOf(context: BrowserContext): Profile {
  return {
    async newTab(): Promise<Tab> {
      const page = await context.newPage();
      return pageTab(page, () => page.close({ runBeforeUnload: false }));
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
