// Small helpers over plain JSON values (what JSON.parse returns), shared by the patch modules.
import { setOwn } from '../../common/own-properties.ts';

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of two JSON values; key order of objects does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

export function cloneJson<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

/**
 * JSON text with object keys sorted and HTML-sensitive characters escaped, as Go's encoding/json
 * writes it: Kubernetes stores such text in managedFields keys and in annotations, so ours must
 * read the same byte for byte.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) setOwn(out, k, sortKeys(v[k]));
  return out;
}

/** The rank of a JSON value's type in the total order structured-merge-diff sorts values by. */
function typeRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isJsonObject(v)) return 4;
  return 5; // null
}

/** A total order over JSON values: numbers, strings, booleans, lists, maps, then null. */
export function compareJson(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === 'number' || typeof a === 'string') return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a)) return compareSequences(a.map((x) => ['', x]), (b as unknown[]).map((x) => ['', x]));
  if (isJsonObject(a)) {
    const entries = (o: JsonObject) => Object.keys(o).sort().map((k): [string, unknown] => [k, o[k]]);
    return compareSequences(entries(a), entries(b as JsonObject));
  }
  return 0;
}

/** Lexical order of (name, value) sequences: the shorter one first when one is a prefix of the other. */
export function compareSequences(a: [string, unknown][], b: [string, unknown][]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i][0] !== b[i][0]) return a[i][0] < b[i][0] ? -1 : 1;
    const c = compareJson(a[i][1], b[i][1]);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
