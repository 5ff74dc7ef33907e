/** `npx touchpoint check-config <file>`: every problem with its path, exit codes a CI step can rely on. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DEFAULT_CONSENT_CONFIG } from '../../src/consent/default-config';

const dir = mkdtempSync(join(tmpdir(), 'tp-check-'));
const run = (file: string) => spawnSync(process.execPath, ['bin/touchpoint.mjs', 'check-config', file], { encoding: 'utf8' });

describe('touchpoint check-config', () => {
  it('accepts the shipped default configuration', () => {
    const file = join(dir, 'good.json');
    writeFileSync(file, JSON.stringify(DEFAULT_CONSENT_CONFIG));
    const r = run(file);
    expect(r.status).toBe(0);
  });

  it('prints every problem with its path and exits 1', () => {
    const file = join(dir, 'bad.json');
    const bad = structuredClone(DEFAULT_CONSENT_CONFIG) as Record<string, any>;
    bad.privacyPolicyUrl = 'javascript:alert(1)';
    bad.categories[1].default = true;
    bad.surprise = 1;
    writeFileSync(file, JSON.stringify(bad));
    const r = run(file);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain('privacyPolicyUrl');
    expect(r.stdout + r.stderr).toContain('categories.1.default');
    expect(r.stdout + r.stderr).toContain('surprise');
  });

  it('exits 2 for a file that is not JSON', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ nope');
    expect(run(file).status).toBe(2);
  });
});
