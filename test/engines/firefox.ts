/**
 * Firefox driver: Debian's Firefox ESR through puppeteer-core over WebDriver BiDi (no geckodriver); a profile is a
 * BiDi user context (or a browser process on a profile directory, for restarts), offline is emulated per page (and
 * applied to tabs opened while offline). Imports: puppeteer-core. Never asserts.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type BrowserContext, type Page } from 'puppeteer-core';
import { LAUNCH_TIMEOUT_MS, pageTab, type Engine, type Profile, type Tab } from './driver';

export function firefoxPath(): string {
  return execSync('command -v firefox-esr || command -v firefox', { shell: '/bin/sh' }).toString().trim();
}

const launch = (userDataDir: string) =>
  puppeteer.launch({ browser: 'firefox', executablePath: firefoxPath(), headless: true, userDataDir, timeout: LAUNCH_TIMEOUT_MS, protocolTimeout: LAUNCH_TIMEOUT_MS });

function profileOf(context: BrowserContext, close: () => Promise<void>): Profile {
  const pages = new Set<Page>();
  let offline = false;
  return {
    async newTab(): Promise<Tab> {
      const page = await context.newPage();
      pages.add(page);
      if (offline) await page.setOfflineMode(true);
      return pageTab(page, async () => {
        pages.delete(page);
        await page.close();
      });
    },
    async setOffline(v) {
      offline = v;
      await Promise.all([...pages].map((p) => p.setOfflineMode(v)));
    },
    cookies: async (url) =>
      (await context.cookies())
        .filter((c) => new URL(url).hostname.endsWith(c.domain.replace(/^\./, '')))
        .map((c) => ({ name: c.name, value: c.value, httpOnly: !!c.httpOnly, sameSite: c.sameSite, secure: c.secure, expires: c.expires })),
    close,
  };
}

export async function launchFirefox(): Promise<Engine> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'tp-firefox-'));
  const browser = await launch(userDataDir);
  const version = (await browser.version()).replace('firefox/', 'Firefox ');
  return {
    name: 'firefox',
    version,
    canGoOffline: true,
    async newProfile() {
      const context = await browser.createBrowserContext();
      return profileOf(context, () => context.close());
    },
    async persistentProfile(dir) {
      const own = await launch(dir);
      return profileOf(own.defaultBrowserContext(), () => own.close());
    },
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
