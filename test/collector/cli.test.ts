/**
 * The `touchpoint` command: the dispatcher's help and errors, and `touchpoint collector` serving on loopback until SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { post, trackEvent } from './helpers';

const BIN = join(__dirname, '..', '..', 'bin', 'touchpoint.mjs');

describe('touchpoint CLI', () => {
  it('lists its commands and rejects unknown ones', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('collector');
    const bad = spawnSync(process.execPath, [BIN, 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown command "nope"');
    const noKey = spawnSync(process.execPath, [BIN, 'collector', '--port', '0'], { encoding: 'utf8' });
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toContain('--write-key');
  });

  it('runs the collector alone and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'collector', '--port', '0', '--database-url', 'memory://', '--write-key', 'wk_test_1', '--allow-origin', 'https://shop.example'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 50_000);
        child.stdout.on('data', (c: Buffer) => {
          out += c;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.stderr.on('data', (c: Buffer) => (out += c));
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const res = await post(`${url}/v1/batch`, { batch: [trackEvent()] }, { origin: 'https://shop.example' });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    expect(child.exitCode).toBe(0);
  });
});
