// Objects nested in a custom resource that the schema marks x-kubernetes-embedded-resource (a
// pod template, a raw manifest) are themselves Kubernetes objects: they need apiVersion and
// kind, and their metadata obeys the object metadata rules (names as path segments, labels, ...).
import type { StatusCause } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { child, fieldError, index, isRecord, key } from '../validation/field.ts';
import { isDns1035Label } from '../validation/names.ts';
import { validateObjectMeta } from '../validation/objectmeta.ts';
import { ownValue } from '../../common/own-properties.ts';

/** Validates every embedded resource within `value` (the value itself only if its schema says so). */
export function validateEmbeddedResources(value: unknown, schema: JSONSchemaProps | undefined, path: string): StatusCause[] {
  if (!schema) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => validateEmbeddedResources(item, schema.items, index(path, i)));
  if (!isRecord(value)) return [];
  const causes = schema['x-kubernetes-embedded-resource'] ? validateEmbeddedResource(value, path) : [];
  const additional = isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined;
  for (const [k, v] of Object.entries(value)) {
    const property = ownValue(schema.properties, k);
    if (property) causes.push(...validateEmbeddedResources(v, property, child(path, k)));
    else if (additional) causes.push(...validateEmbeddedResources(v, additional, key(path, k)));
  }
  return causes;
}

export function validateEmbeddedResource(obj: Record<string, unknown>, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!Object.hasOwn(obj, 'apiVersion')) causes.push(fieldError.required(child(path, 'apiVersion')));
  if (!Object.hasOwn(obj, 'kind')) causes.push(fieldError.required(child(path, 'kind')));
  const { apiVersion, kind, metadata } = obj;
  if (Object.hasOwn(obj, 'apiVersion')) {
    if (typeof apiVersion !== 'string') causes.push(fieldError.invalid(child(path, 'apiVersion'), apiVersion, 'must be a string'));
    else if (apiVersion === '') causes.push(fieldError.invalid(child(path, 'apiVersion'), apiVersion, 'must not be empty'));
    else if (apiVersion.split('/').length > 2) causes.push(fieldError.invalid(child(path, 'apiVersion'), apiVersion, `unexpected GroupVersion string: ${apiVersion}`));
  }
  if (Object.hasOwn(obj, 'kind')) {
    if (typeof kind !== 'string') causes.push(fieldError.invalid(child(path, 'kind'), kind, 'must be a string'));
    else if (kind === '') causes.push(fieldError.invalid(child(path, 'kind'), kind, 'must not be empty'));
    else {
      const errs = isDns1035Label(kind.toLowerCase());
      if (errs.length > 0) causes.push(fieldError.invalid(child(path, 'kind'), kind, `may have mixed case, but should otherwise match: ${errs.join(',')}`));
    }
  }
  if (metadata !== undefined && metadata !== null) {
    // An embedded object need not be named yet; Kubernetes validates it as if it were.
    const named = isRecord(metadata) && !metadata.name ? { ...metadata, name: 'fakename' } : metadata;
    const namespaced = isRecord(metadata) && typeof metadata.namespace === 'string' && metadata.namespace !== '';
    causes.push(...validateObjectMeta(named, { namespaced, nameRule: 'path-segment' }, child(path, 'metadata')));
  }
  return causes;
}
