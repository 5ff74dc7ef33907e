/**
 * `npm start`: builds dist/ when the bundle or the collector is missing, then runs the demo server (shop, dashboard, SDK
 * files and the reference collector with embedded PGlite) on http://localhost:8080 and prints the URLs.
 * Env: PORT (8080), HOST (127.0.0.1), TOUCHPOINT_DATA_DIR (.touchpoint), DATABASE_URL (postgres://… or memory://),
 * TOUCHPOINT_DEBUG=1 (SDK debug logging in the shop). Imports: node built-ins, demo/server.mjs. Never deletes data.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const needed = ['dist/touchpoint.js', 'dist/snippet.min.js', 'dist/collector.mjs'];
if (needed.some((f) => !existsSync(join(root, f)))) {
  console.log('dist/ is incomplete: running npm run build …');
  const built = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit', cwd: root, shell: process.platform === 'win32' });
  if (built.status !== 0) {
    console.error('npm run build failed; fix the build and run npm start again.');
    process.exit(1);
  }
}

const { startDemo, DEMO_WRITE_KEY } = await import('../demo/server.mjs');
const port = Number(process.env.PORT || 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT=${process.env.PORT} is not a port number`);
  process.exit(1);
}
const dataDir = process.env.TOUCHPOINT_DATA_DIR || '.touchpoint';

let demo;
try {
  demo = await startDemo({ port, dataDir, debug: process.env.TOUCHPOINT_DEBUG === '1' });
} catch (error) {
  if (error?.code === 'EADDRINUSE') console.error(`port ${port} is in use: stop the other process or run PORT=8081 npm start`);
  else console.error('the demo could not start:', error?.message ?? error);
  process.exit(1);
}

const db = process.env.DATABASE_URL ? process.env.DATABASE_URL.replace(/\/\/[^@/]*@/, '//***@') : `PGlite in ${resolve(dataDir)}`;
console.log(`
Touchpoint demo is running

  Shop        ${demo.url}/
  Dashboard   ${demo.url}/dashboard
  Collector   ${demo.url}/v1/batch   (health: ${demo.url}/healthz)
  SDK         ${demo.url}/touchpoint.js
  Write key   ${DEMO_WRITE_KEY}   (origins http://localhost:${demo.port}, http://127.0.0.1:${demo.port})
  Database    ${db}

Press Ctrl+C to stop.
`);

let stopping = false;
const stop = async (signal) => {
  if (stopping) process.exit(1); // a second Ctrl+C does not wait
  stopping = true;
  console.log(`\n${signal}: stopping …`);
  const timer = setTimeout(() => process.exit(1), 5000);
  await demo.close().catch((e) => console.error(e));
  clearTimeout(timer);
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
