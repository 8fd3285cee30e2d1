// Strategic merge patch (application/strategic-merge-patch+json), the patch kubectl sends for
// built-in kinds: like a merge patch, except that lists the schema marks with patch strategy
// "merge" merge item by item (by their merge key, or by value for lists of primitives), and the
// patch may carry directives: `$patch: replace | delete | merge`, `$retainKeys`,
// `$deleteFromPrimitiveList/<list>` and `$setElementOrder/<list>`.
import type { JSONSchemaProps } from '../../api/schema.ts';
import { ApiError, errors } from '../errors.ts';
import { ownValue, setOwn } from '../../common/own-properties.ts';
import { canonicalJson, cloneJson, isJsonObject, jsonEqual, type JsonObject } from './json-value.ts';
import { itemsSchemaOf, patchStrategies, propertySchema, withObjectMeta } from './schema-shape.ts';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

/** Applies a strategic merge patch to a copy of `doc`; `schema` describes the whole object. */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, schema: JSONSchemaProps | undefined): unknown {
  if (!isJsonObject(patch)) throw errors.badRequest('invalid JSON document: a strategic merge patch must be a JSON object');
  const original = isJsonObject(doc) ? structuredClone(doc) : {};
  return mergeMap(original, structuredClone(patch), withObjectMeta(schema));
}

type ValueKind = 'map' | 'list' | 'string' | 'number' | 'boolean' | 'null';

function kindOf(v: unknown): ValueKind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isJsonObject(v)) return 'map';
  return typeof v as 'string' | 'number' | 'boolean';
}

function describe(v: unknown): string {
  return JSON.stringify(v);
}

interface ListStrategy { merge: boolean; mergeKey?: string }

function listStrategy(s: JSONSchemaProps | undefined): ListStrategy {
  return { merge: patchStrategies(s).includes('merge'), mergeKey: s?.['x-kubernetes-patch-merge-key'] };
}

/** Merges `patch` into `original` (which it changes) and returns the result. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: JSONSchemaProps | undefined): JsonObject {
  if (Object.hasOwn(patch, PATCH)) {
    const directive = patch[PATCH];
    delete patch[PATCH];
    if (directive === 'replace') return cleanPatchValue(patch) as JsonObject;
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw errors.badRequest(`unknown patch type: ${describe(directive)} in map: ${describe(patch)}`);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, schema);
  for (const [patchKey, patchValue] of Object.entries(patch)) {
    let key = patchKey;
    let deleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = directiveTarget(patchKey, DELETE_FROM_PRIMITIVE_LIST, 'invalid patch format of primitive list');
      deleteList = true;
    }
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const current = ownValue(original, key);
    if (!Object.hasOwn(original, key) || kindOf(current) !== kindOf(patchValue)) {
      if (!deleteList) setOrDelete(original, key, cleanPatchValue(patchValue));
      continue;
    }
    const fieldSchema = propertySchema(schema, key);
    if (Array.isArray(current)) {
      const strategy = listStrategy(fieldSchema);
      setOwn(original, key, strategy.merge || deleteList
        ? mergeList(current, patchValue as unknown[], strategy, fieldSchema, key, deleteList)
        : cleanPatchValue(patchValue));
    } else if (isJsonObject(current)) {
      setOwn(original, key, patchStrategies(fieldSchema).includes('replace')
        ? cleanPatchValue(patchValue)
        : mergeMap(current, patchValue as JsonObject, fieldSchema));
    } else if (!deleteList) {
      setOwn(original, key, patchValue);
    }
  }
  return original;
}

function setOrDelete(obj: JsonObject, key: string, value: unknown): void {
  if (value === undefined) delete obj[key];
  else setOwn(obj, key, value);
}

/** "$setElementOrder/containers" → "containers". */
function directiveTarget(key: string, prefix: string, error: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw errors.badRequest(error);
  return key.slice(slash + 1);
}

/** `$retainKeys: [a, b]` clears every other key of the original map. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw errors.badRequest('invalid patch format of retainKeys');
  const kept = new Set(retain);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!kept.has(k)) throw errors.badRequest(`invalid patch format of retainKeys: ${describe(k)} is in the patch but not in $retainKeys`);
  }
  for (const k of Object.keys(original)) if (!kept.has(k)) delete original[k];
}

/**
 * `$setElementOrder/<list>` gives the order of the items the patch author knows about; the list
 * is merged with the patch's items for it, then put in that order, server-only items keeping
 * their place relative to the others.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject, schema: JSONSchemaProps | undefined): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    const key = directiveTarget(directiveKey, SET_ELEMENT_ORDER, 'invalid patch format of setElementOrder list');
    if (!Array.isArray(order)) throw errors.badRequest(`invalid patch format of setElementOrder list: ${directiveKey} must be a list`);
    const hasOriginal = Object.hasOwn(original, key) && original[key] !== null;
    const hasPatch = Object.hasOwn(patch, key) && patch[key] !== null;
    const originalList = hasOriginal ? ownValue(original, key) : [];
    const patchList = hasPatch ? ownValue(patch, key) : [];
    if (!Array.isArray(originalList) || !Array.isArray(patchList)) {
      throw errors.badRequest(`invalid patch format of setElementOrder list: ${key} is not a list`);
    }
    const fieldSchema = propertySchema(schema, key);
    const strategy = listStrategy(fieldSchema);
    checkOrderMatchesPatch(patchList, order, strategy.mergeKey);
    if (!hasOriginal && !hasPatch) continue;
    let merged: unknown[];
    if (!hasPatch) merged = originalList;
    else if (!hasOriginal) merged = cleanPatchValue(patchList) as unknown[];
    else merged = strategy.merge ? mergeList(originalList, patchList, strategy, fieldSchema, key, false) : cleanPatchValue(patchList) as unknown[];
    const identify = itemIdentity(merged, strategy.mergeKey);
    const ordered = new Set(order.map(identify));
    const inOrder = (item: unknown) => ordered.has(identify(item));
    setOwn(original, key, orderItems(merged.filter(inOrder), merged.filter((x) => !inOrder(x)), order, originalList, identify));
    delete patch[key];
  }
}

/** The items a patch lists must appear in the same relative order in its $setElementOrder list. */
function checkOrderMatchesPatch(patchList: unknown[], order: unknown[], mergeKey: string | undefined): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = patchList.filter((item) => !(isJsonObject(item) && Object.hasOwn(item, PATCH)));
  const keyOf = (item: unknown) => {
    if (!mergeKey) return item;
    if (!isJsonObject(item) || !Object.hasOwn(item, mergeKey)) throw errors.badRequest(`map: ${describe(item)} does not contain declared merge key: ${mergeKey}`);
    return item[mergeKey];
  };
  let p = 0;
  for (let o = 0; p < items.length && o < order.length; o++) {
    if (jsonEqual(keyOf(items[p]), keyOf(order[o]))) p++;
  }
  if (p < items.length) {
    throw errors.badRequest(`The order in patch list:\n${describe(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${describe(order)}\n`);
  }
}

/**
 * How items of a list are matched: by merge key for lists of maps, by value otherwise. The
 * identity is a string (canonical JSON), so that lists are matched through maps and sets in
 * linear time, whatever their length.
 */
function itemIdentity(items: unknown[], mergeKey: string | undefined): (item: unknown) => string {
  const maps = items.some(isJsonObject);
  return (item) => valueIdentity(maps && mergeKey && isJsonObject(item) ? ownValue(item, mergeKey) : item);
}

/** The identity of a value itself (for lists of primitives); a missing value is one of its own. */
function valueIdentity(item: unknown): string {
  switch (typeof item) {
    case 'string': return `s${item}`;
    case 'number': return `n${item}`;
    case 'boolean': return `b${item}`;
    case 'undefined': return 'u';
    default: return `j${canonicalJson(item)}`;
  }
}

/** Where each identity first occurs in `list`. */
function firstIndexes(list: unknown[], identify: (item: unknown) => string): Map<string, number> {
  const at = new Map<string, number>();
  list.forEach((item, i) => {
    const id = identify(item);
    if (!at.has(id)) at.set(id, i);
  });
  return at;
}

/** Checks that all items of the lists are of one kind, and that kind is not a list. */
function elementKind(lists: unknown[][], field: string): ValueKind | undefined {
  let kind: ValueKind | undefined;
  for (const list of lists) {
    for (const item of list) {
      const k = kindOf(item);
      if (k === 'list') throw new ApiError(422, 'Invalid', `lists of lists are not supported (in ${field})`);
      if (kind !== undefined && kind !== k) throw errors.badRequest(`list element types are not identical in ${field}: ${describe(lists)}`);
      kind = k;
    }
  }
  return kind;
}

function mergeList(original: unknown[], patch: unknown[], strategy: ListStrategy, listSchema: JSONSchemaProps | undefined, field: string, deleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind([original, patch], field);
  if (kind !== 'map') {
    const inPatchList = new Set(patch.map(valueIdentity));
    if (deleteList) return original.filter((x) => !inPatchList.has(valueIdentity(x)));
    const seen = new Set<string>();
    const merged: unknown[] = [];
    for (const x of [...original, ...patch]) {
      const id = valueIdentity(x);
      if (!seen.has(id)) seen.add(id), merged.push(x);
    }
    const inPatch = (x: unknown) => inPatchList.has(valueIdentity(x));
    return orderItems(merged.filter(inPatch), merged.filter((x) => !inPatch(x)), patch, original, valueIdentity);
  }
  const mergeKey = strategy.mergeKey;
  if (!mergeKey) throw errors.badRequest(`cannot merge lists without merge key for ${field}`);
  const { remaining, items } = applyListDirectives(original, patch as JsonObject[], mergeKey);
  const itemSchema = itemsSchemaOf(listSchema);
  const merged = [...remaining];
  const keyOf = (m: unknown) => (isJsonObject(m) && Object.hasOwn(m, mergeKey) ? valueIdentity(m[mergeKey]) : undefined);
  const byKey = new Map<string, number>();
  merged.forEach((m, i) => {
    const k = keyOf(m);
    if (k !== undefined && !byKey.has(k)) byKey.set(k, i);
  });
  for (const item of items) {
    if (!Object.hasOwn(item, mergeKey)) throw errors.badRequest(`map: ${describe(item)} does not contain declared merge key: ${mergeKey}`);
    const k = valueIdentity(item[mergeKey]);
    const at = byKey.get(k);
    if (at !== undefined) merged[at] = mergeMap(merged[at] as JsonObject, item, itemSchema);
    else byKey.set(k, merged.push(mergeMap({}, item, itemSchema)) - 1);
  }
  const identify = itemIdentity(merged, mergeKey);
  const patched = new Set(items.map(identify));
  const inPatch = (x: unknown) => patched.has(identify(x));
  return orderItems(merged.filter(inPatch), merged.filter((x) => !inPatch(x)), items, remaining, identify);
}

/**
 * Handles the items of a patch list that are directives: `{$patch: delete, <key>: v}` removes the
 * item with that key, `{$patch: replace}` makes the patch's items the whole list.
 */
function applyListDirectives(original: unknown[], patch: JsonObject[], mergeKey: string): { remaining: unknown[]; items: JsonObject[] } {
  const deleted = new Set<string>();
  let replace = false;
  const items: JsonObject[] = [];
  for (const item of patch) {
    if (!Object.hasOwn(item, PATCH)) {
      items.push(item);
      continue;
    }
    const directive = item[PATCH];
    if (directive === 'delete') {
      if (!Object.hasOwn(item, mergeKey)) throw errors.badRequest(`map: ${describe(item)} does not contain declared merge key: ${mergeKey}`);
      deleted.add(valueIdentity(item[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive !== 'merge') {
      throw errors.badRequest(`unknown patch type: ${describe(directive)} in map: ${describe(item)}`);
    }
  }
  if (replace) return { remaining: items.map((x) => cleanPatchValue(x)), items: [] };
  const remaining = deleted.size === 0 ? original : original.filter((x) => !(isJsonObject(x) && Object.hasOwn(x, mergeKey) && deleted.has(valueIdentity(x[mergeKey]))));
  return { remaining, items };
}

/**
 * Puts the patch's items in the patch's order and the other items in the original order, then
 * interleaves them: a server-only item goes before a patch item it preceded in the original.
 */
function orderItems(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], identify: (x: unknown) => string): unknown[] {
  const inServerOrder = firstIndexes(serverOrder, identify);
  const indexIn = (positions: Map<string, number>, x: unknown) => positions.get(identify(x)) ?? -1;
  const sortBy = (items: unknown[], positions: Map<string, number>) => items
    .map((item, i) => ({ item, i, at: indexIn(positions, item) }))
    .sort((a, b) => (a.at < 0 || b.at < 0 ? a.i - b.i : a.at - b.at || a.i - b.i))
    .map((x) => x.item);
  const left = sortBy(serverOnly, inServerOrder);
  const right = sortBy(patchItems, firstIndexes(patchOrder, identify));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = indexIn(inServerOrder, left[i]);
      const ri = indexIn(inServerOrder, right[j]);
      out.push(li >= 0 && ri >= 0 && li < ri ? left[i++] : right[j++]);
    }
  }
  return out;
}

/**
 * A patch value taken as is (nothing to merge it with): directives are resolved against nothing
 * and dropped, and nulls (deletions of nothing) vanish. undefined means "no value".
 */
function cleanPatchValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cleanPatchValue).filter((x) => x !== undefined);
  if (!isJsonObject(v)) return cloneJson(v);
  if (Object.hasOwn(v, PATCH) && v[PATCH] === 'delete') return undefined;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || k === PATCH || k === RETAIN_KEYS || k.startsWith(`${SET_ELEMENT_ORDER}/`) || k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`)) continue;
    const cleaned = cleanPatchValue(x);
    if (cleaned !== undefined) setOwn(out, k, cleaned);
  }
  return out;
}
