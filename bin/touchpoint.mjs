#!/usr/bin/env node
/**
 * The `touchpoint` command: a subcommand dispatcher. `touchpoint collector` runs the reference collector alone.
 * Imports: node built-ins and the built collector (../dist/collector.mjs; under tsx, src/ when dist is missing).
 * Never starts anything at import time other than the chosen subcommand.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each subcommand: a one-line summary, its usage, and `run(argv)` resolving to an exit code (or never, for servers). */
const COMMANDS = {
  collector: {
    summary: 'run the reference collector (HTTP ingest into Postgres or embedded PGlite)',
    usage: `touchpoint collector [options]

  --port <n>            port to listen on (default 8081; 0 picks a free one)
  --host <addr>         address to bind (default 127.0.0.1; 0.0.0.0 to serve the network)
  --database-url <url>  postgres://… , memory:// or a directory for PGlite
                        (default $DATABASE_URL, else PGlite in $TOUCHPOINT_DATA_DIR or ./.touchpoint)
  --data-dir <dir>      directory of the embedded PGlite
  --write-key <key>     accepted write key (repeatable; required)
  --allow-origin <url>  origin allowed to send with every write key (repeatable), e.g. https://shop.example
  --max-body-bytes <n>  largest request body (default 524288)
  --rate-limit <r:b>    requests per second and burst per IP + key (default 50:100; "off" disables)
  --trust-proxy         take the client IP from X-Forwarded-For

  The profile API (GET /v1/profiles…, /v1/merges…) needs a secret key: set $TOUCHPOINT_SECRET_KEY.`,
    run: runCollector,
  },
  'check-config': {
    summary: 'validate a consent configuration file and print every problem with its path',
    usage: `touchpoint check-config <file.json>

  Exit code 0 when valid, 1 when the configuration has problems, 2 when the file cannot be read as JSON.`,
    run: async (argv) => {
      if (!argv[0] || argv[0] === '--help' || argv[0] === '-h') {
        process.stdout.write(`${COMMANDS['check-config'].usage}\n`);
        return argv[0] ? 0 : 2;
      }
      const cli = await loadModule('cli', join('src', 'cli.ts'));
      return cli.runCheckConfig(argv[0]);
    },
  },
  iglu: {
    summary: 'write the Iglu schemas of the Snowplow format (static registry layout), under your own vendor if you like',
    usage: `touchpoint iglu [options]

  --vendor <name>   Iglu vendor (default dev.touchpoint); set the same \`vendor\` on the snowplow destination
  --out <dir>       registry root to write schemas/<vendor>/<name>/jsonschema/1-0-0 into (default ./iglu)`,
    run: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { vendor: { type: 'string' }, out: { type: 'string', default: 'iglu' }, help: { type: 'boolean', short: 'h' } } });
      if (values.help) {
        process.stdout.write(`${COMMANDS.iglu.usage}\n`);
        return 0;
      }
      const cli = await loadModule('cli', join('src', 'cli.ts'));
      let schemas;
      try {
        schemas = cli.writeIgluSchemas(values.out, values.vendor);
      } catch (error) {
        process.stderr.write(`touchpoint iglu: ${error.message}\n`);
        return 2;
      }
      for (const s of schemas) process.stdout.write(`${s.uri} → ${join(values.out, s.path)}\n`);
      return 0;
    },
  },
};

async function loadCollectorModule() {
  return loadModule('collector', join('src', 'collector', 'index.ts'));
}

async function loadModule(name, srcPath) {
  const dist = join(ROOT, 'dist', `${name}.mjs`);
  if (existsSync(dist)) return import(pathToFileURL(dist).href);
  const src = join(ROOT, srcPath);
  if (existsSync(src)) {
    // development checkout without a build: load the TypeScript source through tsx when it is installed
    const tsx = await import('tsx/esm/api').catch(() => undefined);
    if (tsx) return tsx.tsImport(pathToFileURL(src).href, import.meta.url);
  }
  fail(`touchpoint is not built: ${dist} is missing. Run \`npm run build\` first.`);
}

function fail(message) {
  process.stderr.write(`touchpoint: ${message}\n`);
  process.exit(1);
}

async function runCollector(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8081' },
      host: { type: 'string', default: '127.0.0.1' },
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'write-key': { type: 'string', multiple: true },
      'allow-origin': { type: 'string', multiple: true },
      'max-body-bytes': { type: 'string' },
      'rate-limit': { type: 'string' },
      'trust-proxy': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(`${COMMANDS.collector.usage}\n`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0–65535, got ${values.port}`);
  const keys = values['write-key'] ?? [];
  if (!keys.length) fail('give at least one --write-key (the key your pages send with)');
  const origins = values['allow-origin'] ?? [];
  let rateLimit;
  if (values['rate-limit'] === 'off') rateLimit = false;
  else if (values['rate-limit']) {
    const [r, b] = values['rate-limit'].split(':').map(Number);
    if (!(r > 0) || !(b >= 1)) fail('--rate-limit must look like 50:100 (per second : burst) or "off"');
    rateLimit = { requestsPerSecond: r, burst: b };
  }
  const maxBodyBytes = values['max-body-bytes'] ? Number(values['max-body-bytes']) : undefined;
  if (maxBodyBytes !== undefined && !(maxBodyBytes > 0)) fail('--max-body-bytes must be a positive number');

  const { createCollector } = await loadCollectorModule();
  const collector = createCollector({
    writeKeys: Object.fromEntries(keys.map((k) => [k, { allowedOrigins: origins }])),
    databaseUrl: values['database-url'],
    dataDir: values['data-dir'],
    maxBodyBytes,
    rateLimit,
    trustProxy: values['trust-proxy'],
  });
  try {
    await collector.ready;
  } catch (error) {
    fail(`cannot open the database: ${error?.message ?? error}`);
  }
  const server = createServer(collector);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, values.host, resolve);
  }).catch((error) => fail(`cannot listen on ${values.host}:${port}: ${error.message}`));
  const address = server.address();
  process.stdout.write(`touchpoint collector listening on http://${values.host}:${address.port} (database: ${collector.db.kind})\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections?.();
    await collector.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return new Promise(() => {}); // serve until a signal
}

function help() {
  const list = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)}${c.summary}`).join('\n');
  return `usage: touchpoint <command> [options]\n\ncommands:\n${list}\n\nRun "touchpoint <command> --help" for a command's options.\n`;
}

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(help());
} else if (!Object.hasOwn(COMMANDS, name)) {
  process.stderr.write(`touchpoint: unknown command "${name}"\n\n${help()}`);
  process.exit(2);
} else {
  try {
    const code = await COMMANDS[name].run(rest);
    if (typeof code === 'number') process.exitCode = code;
  } catch (error) {
    fail(error?.message ?? String(error));
  }
}
