/**
 * The privacy officer's config checker behind `npx touchpoint check-config <file>`: validates a consent configuration
 * with the full zod schema and lists every problem with its path. Imports: node:fs, schema. Never runs in the browser.
 */
import { readFileSync } from 'node:fs';
import { consentConfigSchema, type ConsentConfig } from '../schema/consent-config';

/** One problem found in a configuration; `path` is dotted (`categories.1.default`), empty for the root. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** The outcome of `checkConfig`. */
export type CheckConfigResult = { ok: true; config: ConsentConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * Validates a parsed consent configuration and reports every problem, each with its path.
 * @param json - the parsed configuration
 * @returns the configuration with defaults applied, or all problems
 * @example
 * const r = checkConfig(JSON.parse(text));
 * if (!r.ok) for (const p of r.problems) console.error(`${p.path}: ${p.message}`);
 */
export function checkConfig(json: unknown): CheckConfigResult {
  const r = consentConfigSchema.safeParse(json);
  if (r.success) return { ok: true, config: r.data };
  const problems: ConfigProblem[] = [];
  for (const issue of r.error.issues) {
    const at = issue.path.map(String);
    // zod reports unknown keys once per object; a privacy officer wants each key's own path
    if (issue.code === 'unrecognized_keys') for (const k of issue.keys) problems.push({ path: [...at, k].join('.'), message: 'unknown key' });
    else problems.push({ path: at.join('.'), message: issue.message });
  }
  return { ok: false, problems };
}

/**
 * Reads a JSON consent configuration from `filePath`, prints every problem with its path to stderr (or a one-line OK to
 * stdout) and returns the process exit code: 0 valid, 1 invalid, 2 unreadable or not JSON.
 * @param filePath - path of the JSON file
 * @example
 * process.exitCode = runCheckConfig(process.argv[3]);
 */
export function runCheckConfig(filePath: string): number {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(filePath, 'utf8'));
  } catch (e) {
    console.error(`${filePath}: cannot read JSON: ${(e as Error).message}`);
    return 2;
  }
  const r = checkConfig(json);
  if (r.ok) {
    console.log(`${filePath}: OK (policyVersion ${r.config.policyVersion}, ${r.config.categories.length} categories, locales ${Object.keys(r.config.texts).join(', ')})`);
    return 0;
  }
  for (const p of r.problems) console.error(`${filePath}: ${p.path || '(root)'}: ${p.message}`);
  console.error(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} found`);
  return 1;
}
