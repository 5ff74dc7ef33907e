/**
 * The first look at every event and consent record, on the value JSON.parse made and before zod, JSON.stringify or the
 * database see it: refuses what the call stack or Postgres cannot hold, repairs lone UTF-16 surrogates.
 * Imports: schema. Never recurses, never throws, never changes the item it is given.
 */
import { MAX_EVENT_DEPTH, type Rejection } from '../schema/event';

type Problem = Rejection['problems'][number];

/** What {@link sanitizeItem} made of one item. */
export interface SanitizedItem {
  /** A copy with every lone surrogate replaced by U+FFFD; not to be used when `refused` is not empty. */
  value: unknown;
  /** Why the item cannot be stored; empty when it can. */
  refused: Problem[];
  /** Where lone surrogates were replaced. */
  repaired: Problem[];
}

/** Each list names this many paths, then one line counts the rest, so a hostile item cannot bloat the response. */
const MAX_LISTED = 10;
/** A path is cut after this many segments and each key after this many characters, so it stays printable. */
const MAX_PATH_SEGMENTS = 8;
const MAX_KEY_CHARS = 40;

const REPAIRED = 'had a lone UTF-16 surrogate, replaced by U+FFFD';
const KEY_REPAIRED = 'key had a lone UTF-16 surrogate, replaced by U+FFFD';
const NUL = 'contains the character U+0000, which cannot be stored';
const KEY_NUL = 'key contains the character U+0000, which cannot be stored';

// Node 20 has both (ES2024); the project's lib is ES2022
type WellFormed = string & { isWellFormed(): boolean; toWellFormed(): string };
const isWellFormed = (s: string) => (s as WellFormed).isWellFormed();
const toWellFormed = (s: string) => (s as WellFormed).toWellFormed();

/**
 * `identities[0].type` style paths, so a developer can find the field; long paths and keys are cut with `…`.
 *
 * @example
 * ```ts
 * formatPath(['identities', 0, 'type']); // 'identities[0].type'
 * ```
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const [i, p] of path.entries()) {
    if (i === MAX_PATH_SEGMENTS) return `${out}…`;
    const key = String(p).length > MAX_KEY_CHARS ? `${String(p).slice(0, MAX_KEY_CHARS)}…` : String(p);
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

/** A container still to be copied: where it came from, the copy being filled, and where it sits. */
interface Frame {
  source: Record<string, unknown> | unknown[];
  target: Record<string, unknown> | unknown[];
  path: PropertyKey[];
  depth: number;
}

/**
 * Checks and repairs one raw item with an explicit stack: refuses nesting deeper than {@link MAX_EVENT_DEPTH}, U+0000
 * in strings or keys, numbers JSON cannot carry (`1e400` parses to Infinity), the key `__proto__` (zod drops it from
 * objects but keeps it inside records' values) and values that are not JSON; replaces lone surrogates by U+FFFD in
 * strings and keys (Postgres refuses them in jsonb), refusing an object in which two keys become one.
 *
 * @param item - one element of a batch or a consent body, as JSON.parse made it
 * @returns the repaired copy, the refusals and the repairs, each with the path where it was found
 * @example
 * ```ts
 * sanitizeItem({ type: 'page', properties: { title: 'a\ud800' } }).repaired; // [{ path: 'properties.title', … }]
 * ```
 */
export function sanitizeItem(item: unknown): SanitizedItem {
  const refused: Problem[] = [];
  const repaired: Problem[] = [];
  let moreRefused = 0;
  let moreRepaired = 0;
  const refuse = (path: PropertyKey[], message: string) => {
    if (refused.length < MAX_LISTED) refused.push({ path: formatPath(path), message });
    else moreRefused++;
  };
  const repair = (path: PropertyKey[], message: string) => {
    if (repaired.length < MAX_LISTED) repaired.push({ path: formatPath(path), message });
    else moreRepaired++;
  };
  let tooDeep = false;
  const stack: Frame[] = [];

  /** The clean copy of a scalar, or the empty copy of a container (filled when its frame is popped). */
  const copy = (value: unknown, path: PropertyKey[], depth: number): unknown => {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) refuse(path, NUL);
      if (isWellFormed(value)) return value;
      repair(path, REPAIRED);
      return toWellFormed(value);
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) refuse(path, 'is a number beyond ±1.8e308, which cannot be stored');
      return value;
    }
    if (value === null || typeof value === 'boolean') return value;
    if (typeof value !== 'object') {
      refuse(path, 'is not a JSON value');
      return undefined;
    }
    if (depth > MAX_EVENT_DEPTH) {
      // one report is enough, and nothing below it is looked at
      if (!tooDeep) refuse(path, `nests deeper than ${MAX_EVENT_DEPTH} levels`);
      tooDeep = true;
      return undefined;
    }
    const source = value as Record<string, unknown> | unknown[];
    const target = Array.isArray(source) ? [] : {};
    stack.push({ source, target, path, depth });
    return target;
  };

  const value = copy(item, [], 1);
  while (stack.length) {
    const { source, target, path, depth } = stack.pop()!;
    if (Array.isArray(source)) {
      const list = target as unknown[];
      for (let i = 0; i < source.length; i++) list.push(copy(source[i], [...path, i], depth + 1));
      continue;
    }
    const object = target as Record<string, unknown>;
    for (const key of Object.keys(source)) {
      const child = source[key];
      if (child === undefined) continue; // as JSON.stringify does: only a JavaScript caller can pass it
      const clean = isWellFormed(key) ? key : toWellFormed(key);
      const at = [...path, clean];
      if (key === '__proto__') {
        refuse(at, 'is the key __proto__, which cannot be stored as sent');
        continue;
      }
      if (key.includes('\u0000')) refuse(at, KEY_NUL);
      if (clean !== key) repair(at, KEY_REPAIRED);
      if (Object.hasOwn(object, clean)) {
        refuse(at, 'is a key twice once lone UTF-16 surrogates are replaced by U+FFFD');
        continue;
      }
      object[clean] = copy(child, at, depth + 1);
    }
  }

  if (moreRefused) refused.push({ path: '', message: `and ${moreRefused} more problems like these` });
  if (moreRepaired) repaired.push({ path: '', message: `and ${moreRepaired} more lone UTF-16 surrogates replaced by U+FFFD` });
  return { value, refused, repaired };
}
