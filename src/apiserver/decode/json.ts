// JSON request data, decoded within bounds. One linear pass over the text checks what JSON.parse
// would not: nesting depth and member count (before anything is built), keys that could reach a
// prototype, numbers outside the range of a float64 (JSON.parse makes Infinity of them, which
// would be stored as null), and duplicate keys (JSON.parse keeps the last silently; Kubernetes
// reports them under fieldValidation). Then V8's own parser builds the value.
import { ApiError, errors } from '../errors.ts';
import { FORBIDDEN_KEY } from './keys.ts';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './limits.ts';

export interface Decoded {
  value: unknown;
  /** Paths of keys given more than once, e.g. `metadata.name` (the last value counts). */
  duplicates: string[];
}

/** Decodes request JSON; a 400 (or 413 for too many members) says what is wrong and where. */
export function decodeJson(text: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS, what = 'JSON'): Decoded {
  const decoded = decodeWellFormedJson(text, limits, what);
  if ('syntaxError' in decoded) throw errors.badRequest(`error decoding ${what}: ${decoded.syntaxError}`);
  return decoded;
}

/**
 * As decodeJson, but text that is not JSON at all comes back as its syntax error (for YAML bodies,
 * which are tried as JSON first); bounds and forbidden keys still throw.
 */
export function decodeWellFormedJson(text: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS, what = 'JSON'): Decoded | { syntaxError: string } {
  const duplicates = scan(text, limits, what);
  try {
    return { value: JSON.parse(text), duplicates };
  } catch (err) {
    return { syntaxError: (err as Error).message };
  }
}

interface Frame {
  object: boolean;
  /** Keys seen so far (objects only). */
  keys?: Set<string>;
  /** In an object: whether the next string is a key. */
  expectKey: boolean;
  /** The current key, or the current index of a list. */
  key: string;
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Checks the bounds and keys of `text` and returns the duplicate key paths. Syntax errors are
 * left to JSON.parse, which reports them with a position.
 */
function scan(text: string, limits: DecodeLimits, what: string): string[] {
  const stack: Frame[] = [];
  const duplicates: string[] = [];
  let members = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        const key = stringValue(text, i, end);
        if (key === FORBIDDEN_KEY) throw forbiddenKey(what, pathOf(stack, key));
        if (top.keys!.has(key)) duplicates.push(pathOf(stack, key));
        else top.keys!.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end + 1;
      continue;
    }
    switch (c) {
      case 0x7b: // {
      case 0x5b: // [
        if (stack.length >= limits.maxDepth) throw tooDeep(what, limits.maxDepth);
        if (++members > limits.maxMembers) throw tooManyMembers(what, limits.maxMembers);
        stack.push({ object: c === 0x7b, keys: c === 0x7b ? new Set() : undefined, expectKey: true, key: '', index: 0 });
        break;
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop();
        break;
      case 0x2c: { // ,
        const top = stack[stack.length - 1];
        if (top) {
          if (top.object) top.expectKey = true;
          else top.index++;
        }
        if (++members > limits.maxMembers) throw tooManyMembers(what, limits.maxMembers);
        break;
      }
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          let end = i + 1;
          while (end < n && isNumberChar(text.charCodeAt(end))) end++;
          // Only exponents and numbers of more than 300 digits can leave the float64 range.
          if ((end - i > 300 || hasExponent(text, i, end)) && !Number.isFinite(Number(text.slice(i, end)))) {
            throw errors.badRequest(`error decoding ${what}: the number ${text.slice(i, Math.min(end, i + 40))} at ${pathOf(stack) || 'the top level'} is out of range`);
          }
          i = end;
          continue;
        }
    }
    i++;
  }
  return duplicates;
}

function hasExponent(text: string, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if ((text.charCodeAt(at) | 0x20) === 0x65) return true;
  return false;
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** Index of the quote that closes the string opening at `start` (or the end of the text). */
function stringEnd(text: string, start: number): number {
  let at = start;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

function stringValue(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(text.slice(start, end + 1)) as string;
  } catch {
    return raw; // a bad escape: JSON.parse of the whole body reports it
  }
}

/** `spec.containers[0].name`, as Kubernetes writes field paths. */
function pathOf(stack: Frame[], last?: string): string {
  let path = '';
  const parts = last === undefined ? stack : stack.slice(0, -1);
  for (const frame of parts) {
    if (frame.object) path = path ? `${path}.${frame.key}` : frame.key;
    else path = `${path}[${frame.index}]`;
  }
  if (last !== undefined) path = path ? `${path}.${last}` : last;
  return path;
}

function forbiddenKey(what: string, path: string): ApiError {
  return errors.badRequest(`error decoding ${what}: the key "${FORBIDDEN_KEY}" (at ${path}) is not allowed in request data`);
}

function tooDeep(what: string, limit: number): ApiError {
  return errors.badRequest(`error decoding ${what}: objects and lists nest deeper than ${limit} levels`);
}

function tooManyMembers(what: string, limit: number): ApiError {
  return errors.tooLarge(`error decoding ${what}: the body holds more than ${limit} keys and list items`);
}
