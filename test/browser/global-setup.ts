// Builds dist once when it is missing, so a direct `vitest run --project browser` works too (npm test builds first).
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

export default function setup() {
  if (!existsSync('dist/touchpoint.js') || !existsSync('dist/snippet.min.js')) execSync('npm run --silent build', { stdio: 'inherit' });
}
