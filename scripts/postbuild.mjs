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

const sri = {};
for (const f of readdirSync(dist).sort()) {
  if (!/\.(m?js|json)$/.test(f) || f === 'sri.json' || !statSync(join(dist, f)).isFile()) continue;
  sri[f] = 'sha384-' + createHash('sha384').update(readFileSync(join(dist, f))).digest('base64');
}
writeFileSync(join(dist, 'sri.json'), JSON.stringify(sri, null, 2) + '\n');
console.log(`postbuild: ${Object.keys(sri).length} files hashed into dist/sri.json`);
