// Schema-aware operations on whole JSON values that server-side apply is built from: the set of
// fields a value sets, the difference between two values as field sets, merging an applied
// configuration into a live object, and removing fields. Lists are atomic, sets (by value) or
// maps (by key fields) as the schema says; maps are granular unless marked atomic.
import type { JSONSchemaProps } from '../../api/schema.ts';
import { FieldSet, field, keyElement, pathToString, serializeElement, type FieldPath, type PathElement } from './field-set.ts';
import { isJsonObject, jsonEqual, type JsonObject } from './json-value.ts';
import { fieldOf, isAtomicMap, isDeclaredField, itemType, keyDefault, listRelation, rootType, type ListRelation, type NodeType } from './schema-shape.ts';
import { ownValue, setOwn } from '../../common/own-properties.ts';

/** A value that does not fit its schema in a way that makes field paths impossible to name. */
export class FieldPathError extends Error {
  readonly path: string;

  constructor(path: FieldPath, message: string) {
    super(`${pathToString(path) || '.'}: ${message}`);
    this.path = pathToString(path);
  }
}

/** What changed between two values, as field sets. */
export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** The path element naming one item of the granular list typed `t` (key defaults come from its items). */
export function itemElement(item: unknown, relation: ListRelation, t: NodeType, path: FieldPath, index: number): PathElement {
  if (relation.kind !== 'map') {
    if (item === null || typeof item === 'object') {
      throw new FieldPathError(path, `element ${index}: items of a set must be strings, numbers or booleans`);
    }
    return { kind: 'value', value: item };
  }
  const names = JSON.stringify(relation.keys);
  if (!isJsonObject(item)) throw new FieldPathError(path, `element ${index}: items of a list keyed by ${names} must be objects`);
  const keys: Record<string, unknown> = {};
  for (const k of relation.keys) {
    const value = ownValue(item, k) ?? keyDefault(t, k);
    if (value !== undefined) setOwn(keys, k, value);
  }
  if (Object.keys(keys).length === 0) {
    throw new FieldPathError(path, `element ${index}: associative list with keys has an element that omits all key fields ${names}`);
  }
  return keyElement(keys);
}

function granularList(t: NodeType): ListRelation | undefined {
  const relation = listRelation(t);
  return relation.kind === 'atomic' ? undefined : relation;
}

// ---- field sets -------------------------------------------------------------------------------

/** The set of fields `obj` sets, as managedFields records them (leaves, list items, empty maps). */
export function fieldsOf(obj: unknown, schema: JSONSchemaProps | undefined): FieldSet {
  const set = new FieldSet();
  collectFields(obj, rootType(schema), [], set);
  return set;
}

function collectFields(v: unknown, t: NodeType, path: PathElement[], set: FieldSet): void {
  if (Array.isArray(v)) {
    const relation = granularList(t);
    if (!relation) {
      set.insert(path);
      return;
    }
    const items = itemType(t);
    v.forEach((item, i) => {
      const itemPath = [...path, itemElement(item, relation, t, path, i)];
      collectFields(item, items, itemPath, set);
      set.insert(itemPath);
    });
    return;
  }
  if (isJsonObject(v)) {
    if (isAtomicMap(t)) {
      set.insert(path);
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      const { type, declared } = fieldOf(t, k);
      const childPath = [...path, field(k)];
      collectFields(child, type, childPath, set);
      // Struct fields are implied by what they contain; map entries and empty values are not.
      if (child === null || (isJsonObject(child) && Object.keys(child).length === 0) || !declared) set.insert(childPath);
    }
    return;
  }
  set.insert(path);
}

/** Adds as members the struct fields that lead to members (so pruning may remove them too). */
export function withNamedParents(set: FieldSet, t: NodeType): FieldSet {
  const out = set.copy();
  addNamedParents(out, t);
  return out;
}

function addNamedParents(set: FieldSet, t: NodeType): void {
  for (const { element, set: below } of set.childEntries()) {
    let childType: NodeType;
    if (element.kind === 'field') {
      if (isDeclaredField(t, element.name)) set.addMember(element);
      childType = fieldOf(t, element.name).type;
    } else {
      childType = itemType(t);
    }
    addNamedParents(below, childType);
  }
}

// ---- comparison -------------------------------------------------------------------------------

/** Which fields `next` adds, changes and removes relative to `prev` (undefined: no object). */
export function compareValues(prev: unknown, next: unknown, schema: JSONSchemaProps | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareNode(prev ?? {}, next ?? {}, rootType(schema), [], c);
  return c;
}

type Shape = 'list' | 'map' | 'scalar';

function shapeOf(v: unknown): Shape {
  return Array.isArray(v) ? 'list' : isJsonObject(v) ? 'map' : 'scalar';
}

function compareNode(l: unknown, r: unknown, t: NodeType, path: PathElement[], c: Comparison): void {
  if (l === undefined && r === undefined) return;
  const ls = l === undefined ? undefined : shapeOf(l);
  const rs = r === undefined ? undefined : shapeOf(r);
  let shape = ls ?? rs!;
  if (ls && rs && ls !== rs) {
    // null next to a container compares as that container, empty.
    if (l === null && rs !== 'scalar') shape = rs;
    else if (r === null && ls !== 'scalar') shape = ls;
    else {
      // The value changed its shape: the node is modified, whatever was below it is gone or new.
      c.modified.insert(path);
      compareChildren(l, undefined, ls, t, path, c);
      compareChildren(undefined, r, rs, t, path, c);
      return;
    }
  }
  const atomic = shape === 'scalar' || (shape === 'list' ? !granularList(t) : isAtomicMap(t));
  if (atomic || (isEmptyOrNothing(l) && isEmptyOrNothing(r))) {
    leaf(l, r, path, c);
    return;
  }
  compareChildren(l, r, shape, t, path, c);
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
}

function isEmptyOrNothing(v: unknown): boolean {
  return v === undefined || v === null || isEmptyContainer(v);
}

function isEmptyContainer(v: unknown): boolean {
  return Array.isArray(v) ? v.length === 0 : isJsonObject(v) && Object.keys(v).length === 0;
}

function leaf(l: unknown, r: unknown, path: PathElement[], c: Comparison): void {
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
  else if (!jsonEqual(l, r)) c.modified.insert(path);
}

function compareChildren(l: unknown, r: unknown, shape: Shape, t: NodeType, path: PathElement[], c: Comparison): void {
  if (shape === 'map') {
    const lm = isJsonObject(l) ? l : {};
    const rm = isJsonObject(r) ? r : {};
    if (isAtomicMap(t)) return;
    for (const k of new Set([...Object.keys(lm), ...Object.keys(rm)])) {
      compareNode(ownValue(lm, k), ownValue(rm, k), fieldOf(t, k).type, [...path, field(k)], c);
    }
    return;
  }
  if (shape === 'list') {
    const relation = granularList(t);
    if (!relation) return;
    compareListItems(Array.isArray(l) ? l : [], Array.isArray(r) ? r : [], relation, t, path, c);
  }
}

interface Group { element: PathElement; items: unknown[] }

function groupItems(list: unknown[], relation: ListRelation, t: NodeType, path: FieldPath, into: Map<string, { l: Group; r: Group }>, side: 'l' | 'r'): void {
  list.forEach((item, i) => {
    const pe = itemElement(item, relation, t, path, i);
    const id = serializeElement(pe);
    let entry = into.get(id);
    if (!entry) into.set(id, (entry = { l: { element: pe, items: [] }, r: { element: pe, items: [] } }));
    entry[side].items.push(item);
  });
}

function compareListItems(l: unknown[], r: unknown[], relation: ListRelation, t: NodeType, path: PathElement[], c: Comparison): void {
  const items = itemType(t);
  const groups = new Map<string, { l: Group; r: Group }>();
  groupItems(l, relation, t, path, groups, 'l');
  groupItems(r, relation, t, path, groups, 'r');
  for (const { l: lg, r: rg } of groups.values()) {
    const itemPath = [...path, lg.element];
    const [ln, rn] = [lg.items.length, rg.items.length];
    if (ln <= 1 && rn <= 1) {
      compareNode(lg.items[0], rg.items[0], items, itemPath, c);
    } else if (ln >= 2 && rn >= 2) {
      // Duplicated keys are compared as one unit.
      if (!jsonEqual(lg.items, rg.items)) c.modified.insert(itemPath);
    } else if (ln >= 2) {
      if (rn === 1) compareNode(undefined, rg.items[0], items, itemPath, c);
      c.removed.insert(itemPath);
    } else {
      if (ln === 1) compareNode(lg.items[0], undefined, items, itemPath, c);
      c.added.insert(itemPath);
    }
  }
}

// ---- merging ----------------------------------------------------------------------------------

/**
 * Merges an applied configuration into a live object: the configuration wins at every leaf and
 * atomic node, granular maps merge key by key, list maps and sets merge item by item. An explicit
 * null in the configuration removes the field.
 */
export function mergeValues(live: unknown, config: unknown, schema: JSONSchemaProps | undefined): unknown {
  return mergeNode(live, config, rootType(schema), []);
}

function mergeNode(l: unknown, r: unknown, t: NodeType, path: PathElement[]): unknown {
  if (r === undefined) return l;
  if (r === null) return undefined;
  if (Array.isArray(r)) {
    const relation = granularList(t);
    const lhs = Array.isArray(l) ? l : [];
    if (!relation || (lhs.length === 0 && r.length === 0)) return r.map((item) => dropNulls(item));
    return mergeListItems(lhs, r, relation, t, path);
  }
  if (isJsonObject(r)) {
    if (isAtomicMap(t)) return dropNulls(r);
    const lhs = isJsonObject(l) ? l : {};
    const out: JsonObject = {};
    for (const k of new Set([...Object.keys(lhs), ...Object.keys(r)])) {
      const merged = mergeNode(ownValue(lhs, k), ownValue(r, k), fieldOf(t, k).type, [...path, field(k)]);
      if (merged !== undefined) setOwn(out, k, merged);
    }
    return out;
  }
  return r;
}

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) setOwn(out, k, dropNulls(x));
  return out;
}

/**
 * Merges two granular lists. The result keeps the configuration's order for the items it names;
 * live-only items stay where they were relative to the items around them.
 */
function mergeListItems(lhs: unknown[], rhs: unknown[], relation: ListRelation, t: NodeType, path: PathElement[]): unknown[] {
  const items = itemType(t);
  const ids = (list: unknown[]) => list.map((item, i) => {
    const pe = itemElement(item, relation, t, path, i);
    return { pe, id: serializeElement(pe) };
  });
  const left = ids(lhs);
  const right = ids(rhs);
  const rightById = new Map<string, unknown>();
  right.forEach(({ pe, id }, i) => {
    if (rightById.has(id)) throw new FieldPathError([...path, pe], 'duplicate entries for this key in the applied configuration');
    rightById.set(id, rhs[i]);
  });
  // A live item whose key occurs twice is not merged with the configuration's item of that key.
  const leftById = new Map<string, unknown>();
  left.forEach(({ id }, i) => leftById.set(id, leftById.has(id) ? null : lhs[i]));
  const sharedOrder = right.map((x) => x.id).filter((id) => leftById.has(id));
  let nextShared = sharedOrder.shift();
  const taken = new Set<string>();
  const out: unknown[] = [];
  const emit = (l: unknown, r: unknown, pe: PathElement) => {
    const merged = mergeNode(l ?? undefined, r, items, [...path, pe]);
    if (merged !== undefined) out.push(merged);
  };
  let li = 0;
  let ri = 0;
  while (li < left.length || ri < right.length) {
    if (li < left.length && ri < right.length) {
      const { id, pe } = left[li];
      if (id === right[ri].id) {
        taken.add(id);
        emit(leftById.get(id), rightById.get(id), pe);
        li++;
        ri++;
        nextShared = sharedOrder.shift();
        continue;
      }
      // A shared item the configuration places later: wait for its turn.
      if (rightById.has(id) && nextShared !== undefined && nextShared !== id) {
        li++;
        continue;
      }
    }
    if (li < left.length) {
      const { id, pe } = left[li];
      if (!rightById.has(id)) {
        emit(lhs[li], undefined, pe);
        li++;
        continue;
      }
      if (taken.has(id)) li++;
    }
    if (ri < right.length) {
      const { id, pe } = right[ri];
      taken.add(id);
      emit(leftById.get(id), rightById.get(id), pe);
      ri++;
      if (nextShared === id) nextShared = sharedOrder.shift();
    }
  }
  return out;
}

// ---- removal ----------------------------------------------------------------------------------

/** Removes the given fields and items (with everything below them) from a whole object. */
export function removeFields(obj: unknown, set: FieldSet, schema: JSONSchemaProps | undefined): unknown {
  return removeBelow(obj, set, rootType(schema), []);
}

function removeBelow(v: unknown, set: FieldSet, t: NodeType, path: PathElement[]): unknown {
  if (Array.isArray(v)) {
    const relation = granularList(t);
    if (!relation) return v;
    const items = itemType(t);
    const out: unknown[] = [];
    v.forEach((item, i) => {
      const pe = itemElement(item, relation, t, path, i);
      if (set.hasMember(pe)) return;
      const below = set.child(pe);
      out.push(below ? removeBelow(item, below, items, [...path, pe]) : item);
    });
    return out;
  }
  if (isJsonObject(v)) {
    if (isAtomicMap(t)) return v;
    const out: JsonObject = {};
    for (const [k, child] of Object.entries(v)) {
      const pe = field(k);
      if (set.hasMember(pe)) continue;
      const below = set.child(pe);
      if (!below) {
        setOwn(out, k, child);
        continue;
      }
      const rest = removeBelow(child, below, fieldOf(t, k).type, [...path, pe]);
      // A map or list emptied by the removal goes too, as Kubernetes drops it when decoding.
      if (!(isEmptyContainer(rest) && !isEmptyContainer(child))) setOwn(out, k, rest);
    }
    return out;
  }
  return v;
}
