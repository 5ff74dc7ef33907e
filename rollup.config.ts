/**
 * Builds every shipped file: the script-tag bundle (IIFE), the loader snippet, the lazy add-on chunks, the npm ESM
 * entry with bundled types, the collector and schema entries for Node, and JSON Schema files for editors.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Plugin, RollupOptions } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import nodeResolve from '@rollup/plugin-node-resolve';
import { dts } from 'rollup-plugin-dts';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; dependencies: Record<string, string> };

/** Replaces the build-time constants; a tiny plugin instead of @rollup/plugin-replace. */
const defines = (): Plugin => ({
  name: 'touchpoint-defines',
  transform(code) {
    if (!code.includes('__TOUCHPOINT_VERSION__')) return null;
    return { code: code.replace(/typeof __TOUCHPOINT_VERSION__ === 'string' \? __TOUCHPOINT_VERSION__ : '0\.0\.0-dev'/g, JSON.stringify(pkg.version)), map: null };
  },
});

const ts = () => typescript({ tsconfig: './tsconfig.json', compilerOptions: { noEmit: false, declaration: false, sourceMap: true, noEmitOnError: true }, include: ['src/**/*.ts'] });

const browserTerser = () =>
  terser({
    ecma: 2020,
    module: false,
    toplevel: true,
    compress: { passes: 3, pure_getters: true, unsafe_arrows: true, unsafe_methods: true, unsafe_comps: true, unsafe: true },
    format: { comments: false },
  });

const browser = (input: string, file: string, format: 'iife' | 'es', name?: string): RollupOptions => ({
  input,
  output: { file, format, name, sourcemap: true, inlineDynamicImports: true },
  plugins: [defines(), nodeResolve({ browser: true }), ts(), browserTerser()],
  // idb's replaceTraps() calls only add the db.get/db.count shortcuts and async iterators, which the outbox never uses
  treeshake: { moduleSideEffects: false, propertyReadSideEffects: false, manualPureFunctions: ['replaceTraps'] },
  onwarn(w, warn) {
    if (w.code === 'CIRCULAR_DEPENDENCY' && w.ids?.every((id) => id.includes('node_modules'))) return;
    warn(w);
  },
});

const nodeExternal = (id: string) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');

// the snippet's last two arguments (bundle URL, SRI hash) are edited by whoever pastes it: never inline them
const snippet: RollupOptions = {
  input: 'src/loader/snippet.ts',
  output: { file: 'dist/snippet.min.js', format: 'es', strict: false },
  treeshake: false,
  // alwaysStrict off: a "use strict" prologue would be 13 wasted bytes in every page's inline snippet
  plugins: [typescript({ tsconfig: './tsconfig.json', compilerOptions: { noEmit: false, declaration: false, sourceMap: true, noEmitOnError: true, alwaysStrict: false }, include: ['src/**/*.ts'] }), terser({ ecma: 2015, module: false, compress: false, format: { comments: false } })],
};

const config: RollupOptions[] = [
  snippet,
  browser('src/loader/boot.ts', 'dist/touchpoint.js', 'iife'),
  browser('src/capture/vitals.ts', 'dist/touchpoint-vitals.mjs', 'es'),
  browser('src/identity/hash.ts', 'dist/touchpoint-identity.mjs', 'es'),
  browser('src/consent/interop.ts', 'dist/touchpoint-interop.mjs', 'es'),
  // one lazy chunk per wire format, loaded only when a destination names it
  ...['segment', 'snowplow', 'posthog', 'custom'].map((f) => browser(`src/transport/formats/${f}.ts`, `dist/touchpoint-${f}.mjs`, 'es')),
  browser('src/identity/linker.ts', 'dist/touchpoint-linker.mjs', 'es'),
  browser('src/identity/profile-client.ts', 'dist/touchpoint-profile.mjs', 'es'),
  ...(existsSync('src/consent/banner/index.ts') ? [browser('src/consent/banner/index.ts', 'dist/touchpoint-banner.mjs', 'es')] : []),
  {
    input: 'src/index.ts',
    output: { dir: 'dist', format: 'es', entryFileNames: 'touchpoint.mjs', chunkFileNames: 'chunks/[name]-[hash].mjs', sourcemap: true },
    external: (id) => nodeExternal(id) && !id.startsWith('web-vitals') && !id.startsWith('idb'),
    plugins: [defines(), nodeResolve({ browser: true }), ts()],
  },
  {
    input: { schema: 'src/schema/index.ts', ...(existsSync('src/collector/index.ts') && { collector: 'src/collector/index.ts' }), ...(existsSync('src/cli.ts') && { cli: 'src/cli.ts' }) },
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs', sourcemap: true },
    external: nodeExternal,
    plugins: [defines(), ts()],
  },
  { input: 'src/index.ts', output: { file: 'dist/touchpoint.d.ts', format: 'es' }, plugins: [dts()] },
  ...(existsSync('src/collector/index.ts') ? [{ input: 'src/collector/index.ts', output: { file: 'dist/collector.d.ts', format: 'es' as const }, external: nodeExternal, plugins: [dts()] }] : []),
  { input: 'src/schema/index.ts', output: { file: 'dist/schema.d.ts', format: 'es' }, external: nodeExternal, plugins: [dts()] },
];

// TP_ONLY=touchpoint.js builds just the files whose name contains it (quick size checks)
const only = process.env.TP_ONLY;
export default only ? config.filter((c) => JSON.stringify(c.output).includes(only)) : config;
