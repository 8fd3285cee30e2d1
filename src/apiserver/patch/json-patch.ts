// JSON Patch (RFC 6902, application/json-patch+json). As in Kubernetes, a patch that is not a
// well-formed list of operations is a 400 BadRequest, an operation that cannot be applied (a
// missing path, a failed test) is a 422 Invalid, and more than 10000 operations is a 413.
import { ApiError, errors } from '../errors.ts';
import { jsonSize } from '../decode/bounds.ts';
import { setOwn } from '../../common/own-properties.ts';
import { MAX_JSON_PATCH_COPY_BYTES, MAX_JSON_PATCH_OPERATIONS } from '../decode/limits.ts';
import { isJsonObject, jsonEqual, type JsonObject } from './json-value.ts';

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/**
 * Applies a JSON patch to a copy of `doc` and returns the result. As in Kubernetes, what the copy
 * operations add is bounded (each copy may double the document: 25 of them once exhausted the heap).
 */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const ops = parseOperations(patch);
  let result = structuredClone(doc);
  const copied = { bytes: 0 };
  for (const op of ops) result = applyOperation(result, op, copied);
  return result;
}

function parseOperations(patch: unknown): JsonPatchOperation[] {
  if (!Array.isArray(patch)) throw errors.badRequest('invalid JSON patch: the body must be a JSON list of operations, e.g. [{"op": "replace", "path": "/spec/replicas", "value": 3}]');
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.tooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  return patch.map((raw, i) => {
    const where = `operation ${i}`;
    if (!isJsonObject(raw)) throw errors.badRequest(`invalid JSON patch: ${where} must be an object`);
    if (typeof raw.op !== 'string' || !OPS.has(raw.op)) {
      throw errors.badRequest(`invalid JSON patch: ${where} has unknown op ${JSON.stringify(raw.op)}; expected one of add, remove, replace, move, copy, test`);
    }
    if (typeof raw.path !== 'string') throw errors.badRequest(`invalid JSON patch: ${where} (${raw.op}) is missing its "path"`);
    if ((raw.op === 'add' || raw.op === 'replace' || raw.op === 'test') && !Object.hasOwn(raw, 'value')) {
      throw errors.badRequest(`invalid JSON patch: ${where} (${raw.op} ${raw.path}) is missing its "value"`);
    }
    if ((raw.op === 'move' || raw.op === 'copy') && typeof raw.from !== 'string') {
      throw errors.badRequest(`invalid JSON patch: ${where} (${raw.op} ${raw.path}) is missing its "from"`);
    }
    return raw as unknown as JsonPatchOperation;
  });
}

/** An operation that cannot be applied: Kubernetes answers 422 with this generic wording first. */
function unprocessable(detail: string): ApiError {
  return new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${detail}`);
}

/** "/a/b~1c" → ["a", "b/c"]; "" → []. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`JSON pointer ${JSON.stringify(pointer)} must be empty or start with "/"`);
  return pointer.slice(1).split('/').map((token) => {
    if (/~[^01]|~$/.test(token)) throw unprocessable(`JSON pointer ${JSON.stringify(pointer)} has an invalid escape (only ~0 and ~1 are allowed)`);
    return token.replace(/~1/g, '/').replace(/~0/g, '~');
  });
}

interface Location { container: JsonObject | unknown[]; token: string }

/** The container holding the last token of `path`, which must exist. */
function locate(doc: unknown, tokens: string[], op: string, pointer: string): Location {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(node, token, false, op, pointer)];
    else if (isJsonObject(node) && Object.hasOwn(node, token)) node = node[token];
    else throw unprocessable(`${op} operation does not apply: doc is missing path: ${pointer}`);
  }
  if (!Array.isArray(node) && !isJsonObject(node)) throw unprocessable(`${op} operation does not apply: doc is missing path: ${pointer}`);
  return { container: node, token: tokens[tokens.length - 1] };
}

/** A list index; negative indices count from the end, "-" (for add) means after the last item. */
function arrayIndex(list: unknown[], token: string, forInsert: boolean, op: string, pointer: string): number {
  if (forInsert && token === '-') return list.length;
  if (!/^(0|-?[1-9]\d*)$/.test(token)) throw unprocessable(`${op} operation does not apply: invalid index ${JSON.stringify(token)} in ${pointer}`);
  let index = Number(token);
  if (index < 0) index += list.length;
  const limit = forInsert ? list.length : list.length - 1;
  if (index < 0 || index > limit) throw unprocessable(`${op} operation does not apply: index ${token} is out of bounds in ${pointer}`);
  return index;
}

function get(doc: unknown, pointer: string, op: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const { container, token } = locate(doc, tokens, op, pointer);
  if (Array.isArray(container)) return container[arrayIndex(container, token, false, op, pointer)];
  if (!Object.hasOwn(container, token)) throw unprocessable(`${op} operation does not apply: doc is missing key: ${pointer}`);
  return container[token];
}

function add(doc: unknown, pointer: string, value: unknown, op: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { container, token } = locate(doc, tokens, op, pointer);
  if (Array.isArray(container)) container.splice(arrayIndex(container, token, true, op, pointer), 0, value);
  else setOwn(container, token, value);
  return doc;
}

function remove(doc: unknown, pointer: string, op: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw unprocessable(`${op} operation does not apply: the whole document cannot be removed`);
  const { container, token } = locate(doc, tokens, op, pointer);
  if (Array.isArray(container)) container.splice(arrayIndex(container, token, false, op, pointer), 1);
  else if (Object.hasOwn(container, token)) delete container[token];
  else throw unprocessable(`${op} operation does not apply: doc is missing key: ${pointer}`);
  return doc;
}

function replace(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { container, token } = locate(doc, tokens, 'replace', pointer);
  if (Array.isArray(container)) container[arrayIndex(container, token, false, 'replace', pointer)] = value;
  else if (Object.hasOwn(container, token)) setOwn(container, token, value);
  else throw unprocessable(`replace operation does not apply: doc is missing key: ${pointer}`);
  return doc;
}

function applyOperation(doc: unknown, o: JsonPatchOperation, copied: { bytes: number }): unknown {
  switch (o.op) {
    case 'add':
      return add(doc, o.path, structuredClone(o.value), 'add');
    case 'remove':
      return remove(doc, o.path, 'remove');
    case 'replace':
      return replace(doc, o.path, structuredClone(o.value));
    case 'move': {
      if (o.path !== o.from && o.path.startsWith(`${o.from}/`)) {
        throw unprocessable(`move operation does not apply: ${o.path} is inside ${o.from}`);
      }
      const value = get(doc, o.from!, 'move');
      return add(remove(doc, o.from!, 'move'), o.path, value, 'move');
    }
    case 'copy': {
      const value = get(doc, o.from!, 'copy');
      copied.bytes += jsonSize(value, MAX_JSON_PATCH_COPY_BYTES - copied.bytes);
      if (copied.bytes > MAX_JSON_PATCH_COPY_BYTES) {
        throw errors.tooLarge(`Unable to complete the copy, the accumulated size increase of copy is more than the limit ${MAX_JSON_PATCH_COPY_BYTES}`);
      }
      return add(doc, o.path, structuredClone(value), 'copy');
    }
    case 'test':
      test(doc, o);
      return doc;
  }
}

function test(doc: unknown, o: JsonPatchOperation): void {
  const tokens = parsePointer(o.path);
  let actual: unknown = doc;
  if (tokens.length > 0) {
    const { container, token } = locate(doc, tokens, 'test', o.path);
    if (Array.isArray(container)) actual = container[arrayIndex(container, token, false, 'test', o.path)];
    // As in Kubernetes, a missing key equals null.
    else actual = Object.hasOwn(container, token) ? container[token] : null;
  }
  if (!jsonEqual(actual, o.value)) throw unprocessable(`testing value ${o.path} failed`);
}
