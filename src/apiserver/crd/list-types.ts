// Uniqueness of list items that x-kubernetes-list-type declares: a "set" holds no value twice, and
// a "map" holds no two items with the same values for x-kubernetes-list-map-keys. Reported as
// Kubernetes does: one "Duplicate value" per repeated value, at the index of its second occurrence.
import type { StatusCause } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { child, fieldError, goJson, index, isRecord, key } from '../validation/field.ts';
import { ownValue } from '../../common/own-properties.ts';

export function validateListTypes(value: unknown, schema: JSONSchemaProps | undefined, path: string): StatusCause[] {
  if (!schema) return [];
  if (Array.isArray(value)) return validateList(value, schema, path);
  if (!isRecord(value)) return [];
  const causes: StatusCause[] = [];
  const additional = isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined;
  for (const [k, v] of Object.entries(value)) {
    if (additional) causes.push(...validateListTypes(v, additional, key(path, k)));
    const property = ownValue(schema.properties, k);
    if (property) causes.push(...validateListTypes(v, property, child(path, k)));
  }
  return causes;
}

function validateList(list: unknown[], schema: JSONSchemaProps, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set') {
    for (const i of repeatedIndices(list)) causes.push(fieldError.duplicate(index(path, i), list[i]));
  } else if (listType === 'map') {
    causes.push(...validateListMap(list, schema['x-kubernetes-list-map-keys'] ?? [], path));
  }
  if (schema.items) list.forEach((item, i) => causes.push(...validateListTypes(item, schema.items, index(path, i))));
  return causes;
}

function validateListMap(list: unknown[], keyFields: string[], path: string): StatusCause[] {
  const notObject = list.findIndex((x) => x !== null && !isRecord(x));
  if (notObject >= 0) return [fieldError.invalid(index(path, notObject), list[notObject], 'must be an object for an array of list-type map')];
  // An item's key: the values it has for the key fields (a missing field is part of the key too).
  const keys = list.map((item) => {
    const k: Record<string, unknown> = {};
    for (const f of keyFields) if (isRecord(item) && Object.hasOwn(item, f)) k[f] = item[f];
    return k;
  });
  return repeatedIndices(keys).map((i) => fieldError.duplicate(index(path, i), keys[i]));
}

/** Indices where a value is seen for the second time (later repeats are not reported again). */
function repeatedIndices(values: unknown[]): number[] {
  const seen = new Map<string, number>();
  const repeated: number[] = [];
  values.forEach((v, i) => {
    const identity = v !== null && typeof v === 'object' ? `json:${goJson(v)}` : `${typeof v}:${String(v)}`;
    const times = seen.get(identity) ?? 0;
    if (times === 1) repeated.push(i);
    seen.set(identity, times + 1);
  });
  return repeated;
}
