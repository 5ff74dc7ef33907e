// `npm run bench`: builds when needed, then runs each benchmark (SDK in headless Chromium, collector on PGlite and
// Postgres, identity resolution) and leaves tables on stdout and JSON in bench-results/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('dist/touchpoint.js') || process.argv.includes('--build')) spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const benches = ['test/bench/sdk-bench.ts', 'test/bench/collector-bench.ts', 'test/bench/identity-bench.ts'].filter((f) => existsSync(f));
let failed = 0;
for (const b of benches) {
  console.log(`\n## ${b}`);
  const r = spawnSync('npx', ['tsx', b], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
