/**
 * Test helper: starts a throwaway real Postgres (Debian's binaries) on 127.0.0.1 and a free port, and removes it again.
 * Imports: node built-ins. Never touches a system cluster, never listens beyond loopback.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running throwaway Postgres. */
export interface PostgresInstance {
  /** `postgres://postgres@127.0.0.1:<port>/touchpoint` */
  url: string;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * The newest `/usr/lib/postgresql/<n>/bin` holding initdb and pg_ctl; with `install` and root, apt-get installs it first.
 *
 * @returns the directory, or undefined when there is none
 */
export function findPostgresBinDir(install = true): string | undefined {
  const find = () => {
    const root = '/usr/lib/postgresql';
    if (!existsSync(root)) return undefined;
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = join(root, v, 'bin');
      if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
    }
    return undefined;
  };
  let dir = find();
  if (!dir && install && isRoot()) {
    spawnSync('apt-get', ['install', '-y', '-q', 'postgresql'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000 });
    dir = find();
  }
  return dir;
}

/** Whether a test run must fail rather than skip when Postgres is missing. */
export const POSTGRES_REQUIRED = !!process.env.CI;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a fresh cluster in a temp directory (as the `postgres` user when running as root, since initdb refuses root).
 *
 * @param durable - keep fsync on (for benchmarks); tests turn it off for speed
 * @example
 * ```ts
 * const pg = await startPostgres();
 * afterAll(() => pg.stop());
 * ```
 */
export async function startPostgres(durable = false): Promise<PostgresInstance> {
  const bin = findPostgresBinDir();
  if (!bin) throw new Error('no Postgres binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'touchpoint-pg-'));
  const data = join(dir, 'data');
  const asPg = isRoot();
  if (asPg) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asPg ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout || r.error?.message}`);
    return r.stdout;
  };

  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  let port = 0;
  let started = false;
  for (let attempt = 0; attempt < 3 && !started; attempt++) {
    port = await freePort();
    const opts = [`-p ${port}`, `-k ${dir}`, `-h 127.0.0.1`, '-c max_connections=50', durable ? '' : '-c fsync=off -c synchronous_commit=off -c full_page_writes=off'].join(' ');
    try {
      run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start']);
      started = true;
    } catch (error) {
      if (attempt === 2) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  run('psql', ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-q', '-c', 'CREATE DATABASE touchpoint']);

  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/touchpoint`,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
