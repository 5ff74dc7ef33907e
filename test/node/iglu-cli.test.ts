/** `npx touchpoint iglu`: the Snowplow format's Iglu schemas written as a static registry, under any vendor. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/touchpoint.mjs', 'iglu', ...args], { encoding: 'utf8' });

describe('touchpoint iglu', () => {
  it('writes every schema under the chosen vendor, each naming itself', () => {
    const out = mkdtempSync(join(tmpdir(), 'tp-iglu-'));
    const r = run('--vendor', 'com.shop', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    for (const name of ['track', 'screen', 'identify', 'alias', 'group', 'context']) {
      const file = join(out, 'schemas/com.shop', name, 'jsonschema/1-0-0');
      expect(JSON.parse(readFileSync(file, 'utf8')).self).toEqual({ vendor: 'com.shop', name, format: 'jsonschema', version: '1-0-0' });
    }
    expect(r.stdout).toContain('iglu:com.shop/track/jsonschema/1-0-0');
  });

  it('exits 2 with a clear message for a vendor Iglu cannot name', () => {
    const r = run('--vendor', 'com/shop', '--out', mkdtempSync(join(tmpdir(), 'tp-iglu-')));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not an Iglu vendor/);
  });

  it('the build ships the default vendor\'s registry in dist/iglu', () => {
    expect(existsSync('dist/iglu/schemas/dev.touchpoint/context/jsonschema/1-0-0')).toBe(true);
  });
});
