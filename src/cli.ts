/** Node entry for the command line's non-server commands (check-config, iglu). Imports: node:fs, the checker, the Iglu schemas. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { igluSchemas, type IgluSchema } from './schema/iglu';

export { checkConfig, runCheckConfig } from './consent/check-config';

/**
 * Writes the Snowplow format's Iglu schemas under `root` as a static Iglu registry lays them out
 * (`schemas/<vendor>/<name>/jsonschema/1-0-0`); throws for a vendor Iglu cannot name, before writing anything.
 * @returns the schemas written, with their paths relative to `root`
 * @example writeIgluSchemas('./iglu', 'com.shop');
 */
export function writeIgluSchemas(root: string, vendor?: string): IgluSchema[] {
  const schemas = igluSchemas(vendor);
  for (const s of schemas) {
    mkdirSync(join(root, dirname(s.path)), { recursive: true });
    writeFileSync(join(root, s.path), JSON.stringify(s.schema, null, 2) + '\n');
  }
  return schemas;
}
