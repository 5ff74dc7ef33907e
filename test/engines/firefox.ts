/**
 * Firefox driver: Debian's Firefox ESR through puppeteer-core over WebDriver BiDi (no geckodriver); a profile is a
 * BiDi user context (or a browser process on a profile directory, for restarts), offline is emulated per page (and
 * applied to tabs opened while offline). A tab's renderer crashes by SIGKILL to the content process that runs it
 * (found by its CPU time while the page keeps busy; puppeteer's Firefox prefs turn site isolation off, so the process
 * may host other tabs of the browser too). Imports: puppeteer-core, node. Never asserts.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type BrowserContext, type Page } from 'puppeteer-core';
import { killProcess, LAUNCH_TIMEOUT_MS, pageTab, processTree, rendererOf, type Engine, type Profile, type Tab } from './driver';

export function firefoxPath(): string {
  return execSync('command -v firefox-esr || command -v firefox', { shell: '/bin/sh' }).toString().trim();
}

const launch = (userDataDir: string) =>
  puppeteer.launch({ browser: 'firefox', executablePath: firefoxPath(), headless: true, userDataDir, timeout: LAUNCH_TIMEOUT_MS, protocolTimeout: LAUNCH_TIMEOUT_MS });

/** The web content processes of the Firefox whose parent process is `root` (named by Firefox itself; forked ones keep the fork server's command line). */
const contentProcesses = (root: number) => () => processTree(root).filter((p) => p.comm === 'Web Content' || p.comm === 'Isolated Web Co');

function profileOf(context: BrowserContext, close: () => Promise<void>, root?: number): Profile {
  const pages = new Set<Page>();
  let offline = false;
  return {
    async newTab(url): Promise<Tab> {
      const page = await context.newPage();
      pages.add(page);
      if (offline) await page.setOfflineMode(true);
      const tab = pageTab(page, async (options) => {
        pages.delete(page);
        // BiDi browsingContext.close with promptUnload: beforeunload, pagehide and unload run
        await page.close({ runBeforeUnload: !!options?.runBeforeUnload });
      });
      if (root)
        tab.crash = async () => killProcess(await rendererOf(tab, contentProcesses(root)));
      if (url) await tab.goto(url);
      return tab;
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
      return profileOf(context, () => context.close(), browser.process()?.pid);
    },
    async persistentProfile(dir) {
      const own = await launch(dir);
      return profileOf(own.defaultBrowserContext(), () => own.close(), own.process()?.pid);
    },
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
