// Field sets: the sets of field paths that managedFields records per manager, with their
// FieldsV1 wire form (`f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`, and `.` for a node that is
// itself a member while also having members below it) and the path notation conflicts are
// reported in (`.spec.containers[name="c"].image`).
import { canonicalJson, compareJson, compareSequences, isJsonObject, type JsonObject } from './json-value.ts';
import { decodeJson } from '../decode/json.ts';

export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  /** A list-map item, by its key fields sorted by name. */
  | { readonly kind: 'key'; readonly fields: readonly [string, unknown][] }
  /** A set item, by its value. */
  | { readonly kind: 'value'; readonly value: unknown }
  /** An item of an atomic list; only ever seen in field sets written by others. */
  | { readonly kind: 'index'; readonly index: number };

export type FieldPath = readonly PathElement[];

export const field = (name: string): PathElement => ({ kind: 'field', name });

export function keyElement(fields: Record<string, unknown>): PathElement {
  return { kind: 'key', fields: Object.keys(fields).sort().map((k): [string, unknown] => [k, fields[k]]) };
}

/** The FieldsV1 spelling of one element; also the identity of the element inside a set. */
export function serializeElement(pe: PathElement): string {
  switch (pe.kind) {
    case 'field': return `f:${pe.name}`;
    case 'key': return `k:${canonicalJson(Object.fromEntries(pe.fields))}`;
    case 'value': return `v:${canonicalJson(pe.value)}`;
    case 'index': return `i:${pe.index}`;
  }
}

export function parseElement(text: string): PathElement {
  const prefix = text.slice(0, 2);
  const rest = text.slice(2);
  switch (prefix) {
    case 'f:': return field(rest);
    case 'k:': {
      const parsed = parseJson(rest, text);
      if (!isJsonObject(parsed) || Object.keys(parsed).length === 0) throw new Error(`invalid key element ${JSON.stringify(text)}: expected a JSON object of key fields`);
      return keyElement(parsed);
    }
    case 'v:': return { kind: 'value', value: parseJson(rest, text) };
    case 'i:': {
      if (!/^\d+$/.test(rest)) throw new Error(`invalid index element ${JSON.stringify(text)}`);
      return { kind: 'index', index: Number(rest) };
    }
    default: throw new Error(`unknown path element ${JSON.stringify(text)}: expected one of the prefixes f:, k:, v:, i:`);
  }
}

function parseJson(text: string, element: string): unknown {
  try {
    return decodeJson(text).value;
  } catch {
    throw new Error(`invalid path element ${JSON.stringify(element)}: not valid JSON after the prefix`);
  }
}

const KIND_ORDER = { field: 0, key: 1, value: 2, index: 3 } as const;

/** The order structured-merge-diff sorts elements in: fields, then keys, values, indices. */
export function compareElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  switch (a.kind) {
    case 'field': { const n = (b as typeof a).name; return a.name < n ? -1 : a.name > n ? 1 : 0; }
    case 'key': return compareSequences(a.fields as [string, unknown][], (b as typeof a).fields as [string, unknown][]);
    case 'value': return compareJson(a.value, (b as typeof a).value);
    case 'index': return a.index - (b as typeof a).index;
  }
}

function displayValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(displayValue).join(',')}]`;
  if (isJsonObject(v)) return Object.keys(v).map((k) => `${k}=${displayValue(v[k])}`).join('');
  return String(v);
}

/** `.spec.containers[name="c"].image`, the notation of conflict messages. */
export function pathToString(path: FieldPath): string {
  return path.map((pe) => {
    switch (pe.kind) {
      case 'field': return `.${pe.name}`;
      case 'key': return `[${pe.fields.map(([k, v]) => `${k}=${displayValue(v)}`).join(',')}]`;
      case 'value': return `[=${displayValue(pe.value)}]`;
      case 'index': return `[${pe.index}]`;
    }
  }).join('');
}

/** A set of field paths, stored as a tree: members end here, children continue below. */
export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, { element: PathElement; set: FieldSet }>();

  static of(...paths: FieldPath[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: FieldPath): void {
    if (path.length === 0) return;
    const [head, ...rest] = path;
    const id = serializeElement(head);
    if (rest.length === 0) {
      this.members.set(id, head);
      return;
    }
    let child = this.children.get(id);
    if (!child) this.children.set(id, (child = { element: head, set: new FieldSet() }));
    child.set.insert(rest);
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    const id = serializeElement(path[0]);
    if (path.length === 1) return this.members.has(id);
    return this.children.get(id)?.set.has(path.slice(1)) ?? false;
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(serializeElement(pe));
  }

  /** The paths below `pe`, relative to it (undefined when there are none). */
  child(pe: PathElement): FieldSet | undefined {
    return this.children.get(serializeElement(pe))?.set;
  }

  isEmpty(): boolean {
    return this.members.size === 0 && this.children.size === 0;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    for (const [id, pe] of other.members) out.members.set(id, pe);
    for (const [id, c] of other.children) {
      const mine = out.children.get(id);
      out.children.set(id, { element: c.element, set: mine ? mine.set.union(c.set) : c.set.copy() });
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (other.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const theirs = other.children.get(id);
      if (!theirs) continue;
      const both = c.set.intersection(theirs.set);
      if (!both.isEmpty()) out.children.set(id, { element: c.element, set: both });
    }
    return out;
  }

  /** Paths in this set that are not in `other` (exact paths; see withoutPrefixes for subtrees). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!other.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const theirs = other.children.get(id);
      const rest = theirs ? c.set.difference(theirs.set) : c.set.copy();
      if (!rest.isEmpty()) out.children.set(id, { element: c.element, set: rest });
    }
    return out;
  }

  /** Drops every path that starts with a top-level field for which `reset` says true. */
  withoutTopLevelFields(reset: (name: string) => boolean): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!(pe.kind === 'field' && reset(pe.name))) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      if (!(c.element.kind === 'field' && reset(c.element.name))) out.children.set(id, { element: c.element, set: c.set.copy() });
    }
    return out;
  }

  /** Every path in the set: the members of a node first, then its children, each sorted. */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    this.collect([], out);
    return out;
  }

  private collect(prefix: PathElement[], out: FieldPath[]): void {
    for (const pe of sortedElements(this.members.values())) out.push([...prefix, pe]);
    for (const c of sortedEntries(this.children.values())) c.set.collect([...prefix, c.element], out);
  }

  /** The direct children of this node, each with the set below it. */
  childEntries(): { element: PathElement; set: FieldSet }[] {
    return sortedEntries(this.children.values());
  }

  copy(): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) out.members.set(id, pe);
    for (const [id, c] of this.children) out.children.set(id, { element: c.element, set: c.set.copy() });
    return out;
  }

  /** Adds a member for `pe` (used to make named parents members). */
  addMember(pe: PathElement): void {
    this.members.set(serializeElement(pe), pe);
  }

  toFieldsV1(): JsonObject {
    return this.encode(false);
  }

  private encode(includeSelf: boolean): JsonObject {
    const out: JsonObject = {};
    if (includeSelf) out['.'] = {};
    const ids = new Set([...this.members.keys(), ...this.children.keys()]);
    const elements = [...ids].map((id) => this.members.get(id) ?? this.children.get(id)!.element);
    for (const pe of sortedElements(elements)) {
      const id = serializeElement(pe);
      const child = this.children.get(id);
      out[id] = child ? child.set.encode(this.members.has(id)) : {};
    }
    return out;
  }

  /** Reads a FieldsV1 object; throws an Error saying what is wrong with it. */
  static fromFieldsV1(fields: unknown): FieldSet {
    if (!isJsonObject(fields)) throw new Error('fieldsV1 must be a JSON object');
    const out = new FieldSet();
    for (const [text, value] of Object.entries(fields)) {
      if (text === '.') continue;
      if (!isJsonObject(value)) throw new Error(`fieldsV1 entry ${JSON.stringify(text)} must be an object`);
      const pe = parseElement(text);
      const id = serializeElement(pe);
      const below = Object.keys(value).filter((k) => k !== '.');
      if (below.length === 0 || Object.hasOwn(value, '.')) out.members.set(id, pe);
      if (below.length > 0) out.children.set(id, { element: pe, set: FieldSet.fromFieldsV1(value) });
    }
    return out;
  }
}

function sortedElements(elements: Iterable<PathElement>): PathElement[] {
  return [...elements].sort(compareElements);
}

function sortedEntries<T extends { element: PathElement }>(entries: Iterable<T>): T[] {
  return [...entries].sort((a, b) => compareElements(a.element, b.element));
}
