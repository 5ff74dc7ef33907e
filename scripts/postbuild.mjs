// After rollup: JSON Schema files for editors and other collectors, and dist/sri.json with the sha384 of each file.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const schema = await import(join(dist, 'schema.mjs'));
const { z } = await import('zod');
const write = (name, s) => writeFileSync(join(dist, name), JSON.stringify(z.toJSONSchema(s, { unrepresentable: 'any', io: 'input' }), null, 2) + '\n');
write('event.schema.json', schema.eventSchema);
write('consent-record.schema.json', schema.consentRecordSchema);
if (schema.consentConfigSchema) write('consent-config.schema.json', schema.consentConfigSchema);
// the Snowplow format's own Iglu schemas, laid out as a static Iglu registry (dist/iglu/schemas/dev.touchpoint/…)
(await import(join(dist, 'cli.mjs'))).writeIgluSchemas(join(dist, 'iglu'));

const sha384 = (buf) => 'sha384-' + createHash('sha384').update(buf).digest('base64');

// the chunks' manifest: a page that pins touchpoint.js with SRI loads every chunk pinned by these hashes; the core
// carries the manifest's own hash in place of a placeholder of the same length (the source map stays right)
const chunks = readdirSync(dist).filter((f) => /^touchpoint-.+\.mjs$/.test(f) && f !== 'touchpoint-sri.mjs').sort();
const manifest = `export default ${JSON.stringify(Object.fromEntries(chunks.map((f) => [f, sha384(readFileSync(join(dist, f)))])))};\n`;
writeFileSync(join(dist, 'touchpoint-sri.mjs'), manifest);
const PLACEHOLDER = 'sha384-TOUCHPOINT-MANIFEST-INTEGRITY-PLACEHOLDER-WRITTEN-BY-POSTBUILD-0';
const core = readFileSync(join(dist, 'touchpoint.js'), 'utf8');
const at = core.split(PLACEHOLDER).length - 1;
const hash = sha384(manifest);
if (hash.length !== PLACEHOLDER.length) throw new Error('postbuild: the placeholder is not as long as a sha384 SRI hash');
if (at === 1) writeFileSync(join(dist, 'touchpoint.js'), core.replace(PLACEHOLDER, hash));
// a partial build (TP_ONLY) that left touchpoint.js alone: it must already carry this manifest's hash
else if (at !== 0 || !core.includes(hash)) throw new Error('postbuild: dist/touchpoint.js does not carry the chunks\' manifest hash; build it again');

const sri = {};
for (const f of readdirSync(dist).sort()) {
  if (!/\.(m?js|json)$/.test(f) || f === 'sri.json' || !statSync(join(dist, f)).isFile()) continue;
  sri[f] = sha384(readFileSync(join(dist, f)));
}
writeFileSync(join(dist, 'sri.json'), JSON.stringify(sri, null, 2) + '\n');
console.log(`postbuild: ${Object.keys(sri).length} files hashed into dist/sri.json`);
