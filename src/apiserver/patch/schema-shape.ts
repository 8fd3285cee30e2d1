// Reads what a schema says about the shape of one node for patching and field management:
// is a map granular or atomic, is a list atomic, a set or a map keyed by some fields, and which
// merge strategy a strategic merge patch uses. Where the schema says nothing (no schema, or
// x-kubernetes-preserve-unknown-fields), Kubernetes deduces: maps are granular, lists atomic.
import type { JSONSchemaProps } from '../../api/schema.ts';
import { ownValue } from '../../common/own-properties.ts';

/** How one node is typed: by a schema, deduced from its value, or a single atomic unit. */
export interface NodeType {
  /** undefined: no schema covers this node. */
  readonly schema?: JSONSchemaProps;
  /** Deduced nodes: maps are granular with deduced children, lists are atomic. */
  readonly deduced: boolean;
  /** Atomic untyped nodes (items of lists without an items schema) are never looked into. */
  readonly atomic: boolean;
  /** Inherited from an ancestor with x-kubernetes-preserve-unknown-fields: unknown keys are deduced. */
  readonly preserveUnknown: boolean;
}

export type ListRelation =
  | { kind: 'atomic' }
  | { kind: 'set' }
  | { kind: 'map'; keys: string[] };

const stringSchema: JSONSchemaProps = { type: 'string' };
const stringMap: JSONSchemaProps = { type: 'object', additionalProperties: { type: 'string' } };

/** ObjectMeta as Kubernetes publishes it, for the parts that matter to merging and ownership. */
export const objectMetaSchema: JSONSchemaProps = {
  type: 'object',
  properties: {
    name: stringSchema,
    generateName: stringSchema,
    namespace: stringSchema,
    selfLink: stringSchema,
    uid: stringSchema,
    resourceVersion: stringSchema,
    generation: { type: 'integer' },
    creationTimestamp: stringSchema,
    deletionTimestamp: stringSchema,
    deletionGracePeriodSeconds: { type: 'integer' },
    labels: stringMap,
    annotations: stringMap,
    ownerReferences: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['uid'],
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'uid',
      items: {
        type: 'object',
        'x-kubernetes-map-type': 'atomic',
        required: ['apiVersion', 'kind', 'name', 'uid'],
        properties: {
          apiVersion: stringSchema, kind: stringSchema, name: stringSchema, uid: stringSchema,
          controller: { type: 'boolean' }, blockOwnerDeletion: { type: 'boolean' },
        },
      },
    },
    finalizers: { type: 'array', items: stringSchema, 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
    managedFields: { type: 'array', 'x-kubernetes-list-type': 'atomic', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  },
};

/** Schemas with the standard fields added, made once per schema (every write of a kind asks again). */
const withMeta = new WeakMap<JSONSchemaProps, JSONSchemaProps>();
const untypedObject: JSONSchemaProps = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

/** Gives a schema of a whole object (or an embedded resource) the standard apiVersion, kind and metadata. */
export function withObjectMeta(schema: JSONSchemaProps | undefined): JSONSchemaProps {
  const base = schema ?? untypedObject;
  let full = withMeta.get(base);
  if (!full) {
    full = { ...base, properties: { ...base.properties, apiVersion: stringSchema, kind: stringSchema, metadata: objectMetaSchema } };
    withMeta.set(base, full);
  }
  return full;
}

export function rootType(schema: JSONSchemaProps | undefined): NodeType {
  const s = withObjectMeta(schema);
  return { schema: s, deduced: false, atomic: false, preserveUnknown: s['x-kubernetes-preserve-unknown-fields'] === true };
}

const DEDUCED: NodeType = { deduced: true, atomic: false, preserveUnknown: true };
const ATOMIC: NodeType = { deduced: false, atomic: true, preserveUnknown: false };

function typed(schema: JSONSchemaProps, inheritedPreserve: boolean): NodeType {
  const own = schema['x-kubernetes-embedded-resource'] === true ? withObjectMeta(schema) : schema;
  return { schema: own, deduced: false, atomic: false, preserveUnknown: inheritedPreserve || own['x-kubernetes-preserve-unknown-fields'] === true };
}

/** True when the whole map is one unit (x-kubernetes-map-type: atomic). */
export function isAtomicMap(t: NodeType): boolean {
  return t.atomic || t.schema?.['x-kubernetes-map-type'] === 'atomic';
}

/** The type of a map's value under `key`, and whether the key is a declared field (a property). */
export function fieldOf(t: NodeType, key: string): { type: NodeType; declared: boolean } {
  if (t.atomic) return { type: ATOMIC, declared: false };
  const s = t.schema;
  if (!s) return { type: DEDUCED, declared: false };
  const property = ownValue(s.properties, key);
  if (property) return { type: typed(property, t.preserveUnknown), declared: true };
  const extra = s.additionalProperties;
  if (typeof extra === 'object') return { type: typed(extra, t.preserveUnknown), declared: false };
  return { type: DEDUCED, declared: false };
}

/** True when `key` is a property the schema declares (a struct field rather than a map entry). */
export function isDeclaredField(t: NodeType, key: string): boolean {
  return !t.atomic && ownValue(t.schema?.properties, key) !== undefined;
}

/** How list items are told apart, as server-side apply sees the list. */
export function listRelation(t: NodeType): ListRelation {
  const s = t.schema;
  if (t.atomic || !s) return { kind: 'atomic' };
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'atomic') return { kind: 'atomic' };
  if (listType === 'set') return { kind: 'set' };
  if (listType === 'map') return { kind: 'map', keys: s['x-kubernetes-list-map-keys'] ?? [] };
  // Built-in kinds describe older lists only by their strategic merge patch strategy.
  const strategies = patchStrategies(s);
  if (strategies.includes('merge')) {
    const mergeKey = s['x-kubernetes-patch-merge-key'];
    return mergeKey ? { kind: 'map', keys: [mergeKey] } : { kind: 'set' };
  }
  return { kind: 'atomic' };
}

export function itemType(t: NodeType): NodeType {
  const items = t.schema?.items;
  return items && !t.atomic ? typed(items, t.preserveUnknown) : ATOMIC;
}

/** The default of a list-map key field, used when an item omits it (e.g. a port's protocol). */
export function keyDefault(t: NodeType, key: string): unknown {
  return ownValue(t.schema?.items?.properties, key)?.default;
}

/** The strategic merge patch strategies of a field, e.g. ["merge", "retainKeys"]. */
export function patchStrategies(s: JSONSchemaProps | undefined): string[] {
  const raw = s?.['x-kubernetes-patch-strategy'];
  return raw ? raw.split(',').map((x) => x.trim()).filter(Boolean) : [];
}

/** The schema of a property for strategic merge patch purposes (no deduction needed there). */
export function propertySchema(s: JSONSchemaProps | undefined, key: string): JSONSchemaProps | undefined {
  if (!s) return undefined;
  const property = ownValue(s.properties, key);
  if (property) return property['x-kubernetes-embedded-resource'] === true ? withObjectMeta(property) : property;
  return typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
}

/** The schema of a list's items for strategic merge patch purposes. */
export function itemsSchemaOf(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  const items = s?.items;
  return items?.['x-kubernetes-embedded-resource'] === true ? withObjectMeta(items) : items;
}
