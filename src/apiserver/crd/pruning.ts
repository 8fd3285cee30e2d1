// Dropping the fields a structural schema does not specify, as Kubernetes prunes custom resources
// (and, by the same rules, as strict decoding finds unknown fields of built-in kinds). The paths
// of dropped fields ("spec.foo", "spec.items[0].bar") feed fieldValidation: Strict rejects the
// request with them, Warn returns them as warnings.
//
// The object root and every x-kubernetes-embedded-resource object keep apiVersion and kind as they
// are, and their metadata is reduced to the fields of ObjectMeta, whatever the schema says.
// x-kubernetes-preserve-unknown-fields keeps unspecified fields but still prunes inside specified ones.
import type { JSONSchemaProps } from '../../api/schema.ts';
import { isRecord } from '../validation/field.ts';
import { ObjectMetaSchema } from '../../api/kinds/meta.ts';
import { ownValue } from '../../common/own-properties.ts';

/** The fields of metav1.ObjectMeta, the only ones a resource's metadata keeps. */
const OBJECT_META_SCHEMA = ObjectMetaSchema as JSONSchemaProps;

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

const appendKey = (path: string, k: string) => (path ? `${path}.${k}` : k);
const appendIndex = (path: string, i: number) => `${path}[${i}]`;

/**
 * Removes, in place, every field of the resource `obj` that `schema` does not specify, and returns
 * the paths of the removed fields, sorted.
 */
export function pruneUnknownFields(obj: Record<string, unknown>, schema: JSONSchemaProps): string[] {
  return pruneValue(obj, schema, true);
}

/**
 * Prunes any JSON value in place; `isResourceRoot` says whether the value is a whole resource
 * (whose apiVersion, kind and metadata follow the embedded-resource rules).
 */
export function pruneValue(value: unknown, schema: JSONSchemaProps, isResourceRoot: boolean): string[] {
  const unknown: string[] = [];
  prune(value, schema, '', isResourceRoot, unknown);
  return unknown.sort();
}

/** The schema an object's unspecified keys fall under, if additionalProperties is set at all. */
function additionalSchema(s: JSONSchemaProps): { present: boolean; schema?: JSONSchemaProps } {
  const ap = s.additionalProperties;
  if (ap === undefined || ap === null) return { present: false };
  return { present: true, schema: isRecord(ap) ? ap : undefined };
}

function prune(x: unknown, s: JSONSchemaProps | undefined, path: string, isResourceRoot: boolean, unknown: string[]): void {
  const embedded = isResourceRoot || s?.['x-kubernetes-embedded-resource'] === true;
  if (s?.['x-kubernetes-preserve-unknown-fields']) {
    keepUnknown(x, s, path, embedded, unknown);
    return;
  }
  if (Array.isArray(x)) {
    x.forEach((item, i) => prune(item, s?.items, appendIndex(path, i), false, unknown));
    return;
  }
  if (!isRecord(x)) return;
  if (!s) {
    for (const k of Object.keys(x)) {
      unknown.push(appendKey(path, k));
      delete x[k];
    }
    return;
  }
  const additional = additionalSchema(s);
  for (const k of Object.keys(x)) {
    if (embedded && META_FIELDS.has(k)) {
      if (k === 'metadata') pruneObjectMeta(x, path, unknown);
      continue;
    }
    const property = ownValue(s.properties, k);
    if (property) prune(x[k], property, appendKey(path, k), false, unknown);
    else if (additional.present) prune(x[k], additional.schema, appendKey(path, k), false, unknown);
    else {
      unknown.push(appendKey(path, k));
      delete x[k];
    }
  }
}

/** Under x-kubernetes-preserve-unknown-fields: keep unspecified fields, prune within specified ones. */
function keepUnknown(x: unknown, s: JSONSchemaProps, path: string, embedded: boolean, unknown: string[]): void {
  if (Array.isArray(x)) {
    const items = s.items;
    if (items) x.forEach((item, i) => keepUnknown(item, items, appendIndex(path, i), items['x-kubernetes-embedded-resource'] === true, unknown));
    return;
  }
  if (!isRecord(x)) return;
  const additional = additionalSchema(s);
  for (const k of Object.keys(x)) {
    if (embedded && META_FIELDS.has(k)) {
      if (k === 'metadata') pruneObjectMeta(x, path, unknown);
      continue;
    }
    const property = ownValue(s.properties, k);
    if (property) prune(x[k], property, appendKey(path, k), false, unknown);
    else if (additional.present) prune(x[k], additional.schema, appendKey(path, k), false, unknown);
  }
}

/** metadata round-trips through ObjectMeta: unknown fields go, and so do fields set to null. */
function pruneObjectMeta(resource: Record<string, unknown>, path: string, unknown: string[]): void {
  const meta = resource.metadata;
  if (!isRecord(meta)) return;
  for (const k of Object.keys(meta)) if (meta[k] === null) delete meta[k];
  prune(meta, OBJECT_META_SCHEMA, appendKey(path, 'metadata'), false, unknown);
}
