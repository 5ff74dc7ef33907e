// `npm test`: installs what the real-browser and Postgres tests need when it is missing (Debian, as root: Chromium,
// Firefox ESR, WebKitGTK's WebKitWebDriver and Xvfb, Postgres), builds, runs every vitest project (the cross-engine
// suite in the engines TP_ENGINES names, all three by default), and ends with one plain line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', ...opts });
const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// TP_ENGINES=chromium,firefox narrows the cross-engine suite (test/engines) to some of chromium, firefox, webkit
const ENGINE_PACKAGES = { chromium: ['chromium'], firefox: ['firefox-esr'], webkit: ['webkit2gtk-driver', 'xvfb'] };
const engineInstalled = {
  chromium: () => has('chromium'),
  firefox: () => has('firefox-esr') || has('firefox'),
  webkit: () => has('WebKitWebDriver') && has('Xvfb'),
};
const named = (process.env.TP_ENGINES || 'chromium,firefox,webkit').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
// an unknown name is left for the suite to report
const engines = named.every((e) => e in ENGINE_PACKAGES || e === 'none') ? named.filter((e) => e in ENGINE_PACKAGES) : [];

const missing = [];
if (!has('chromium')) missing.push('chromium');
for (const e of engines) if (e !== 'chromium' && !engineInstalled[e]()) missing.push(...ENGINE_PACKAGES[e]);
if (spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/initdb'], { stdio: 'ignore' }).status !== 0) missing.push('postgresql');
if (missing.length) {
  if (isRoot && has('apt-get')) {
    console.log(`installing ${missing.join(', ')} from apt …`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    console.warn(`missing ${missing.join(', ')}: install them (apt-get install -y ${missing.join(' ')}) or run as root`);
  }
}
// locally, run the engines that are here and say which are not; CI runs them all and fails on a missing one
const runnable = engines.filter((e) => engineInstalled[e]());
if (runnable.length < engines.length && !process.env.CI) {
  console.warn(`cross-engine suite without ${engines.filter((e) => !runnable.includes(e)).join(', ')} (not installed)`);
  process.env.TP_ENGINES = runnable.join(',') || 'none';
} else if (engines.length || named.includes('none')) process.env.TP_ENGINES = engines.join(',') || 'none';

const build = run('npm', ['run', '--silent', 'build']);
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

mkdirSync('test-results', { recursive: true });
const extra = process.argv.slice(2);
const vitest = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json', ...extra]);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + countFilesFailedWithoutFailedTests(r);
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
} catch {
  failed = Math.max(1, failed);
}
if (vitest.status !== 0 && failed === 0) failed = 1;
// skips on a line of their own: the last line stays exactly "N passed, N failed" for CI
if (skipped) console.log(`(${skipped} skipped: engine limits, see the README's compatibility table)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || vitest.status ? 1 : 0);

// a test file that failed to load (or failed in a hook) has no failed test of its own; count it once as a failure.
// (numFailedTestSuites counts describe blocks too, so it cannot be used: one failed test would count two or three)
function countFilesFailedWithoutFailedTests(r) {
  const files = r.testResults ?? [];
  return files.filter((file) => file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed')).length;
}
