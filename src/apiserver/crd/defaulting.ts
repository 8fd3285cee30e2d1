// Schema defaults, applied as Kubernetes applies them to custom resources on every read from a
// request body and from storage: first nulls that the schema neither allows nor defaults are
// dropped, then every absent (or null but non-nullable) property with a default gets a copy of
// it, at any depth: in properties, in additionalProperties values and in array items.
import type { JSONSchemaProps } from '../../api/schema.ts';
import { isRecord } from '../validation/field.ts';
import { ownValue } from '../../common/own-properties.ts';

/** Applies `schema`'s defaults to `obj` in place. */
export function applyDefaults(obj: unknown, schema: JSONSchemaProps): void {
  dropDisallowedNulls(obj, schema);
  fillDefaults(obj, schema);
}

const hasDefault = (s: JSONSchemaProps | undefined) => s?.default !== undefined && s.default !== null;

const fieldSchema = (s: JSONSchemaProps | undefined, k: string): JSONSchemaProps | undefined =>
  ownValue(s?.properties, k) ?? (isRecord(s?.additionalProperties) ? s.additionalProperties : undefined);

function dropDisallowedNulls(x: unknown, s: JSONSchemaProps | undefined): void {
  if (Array.isArray(x)) {
    for (const item of x) dropDisallowedNulls(item, s?.items);
    return;
  }
  if (!isRecord(x)) return;
  for (const [k, v] of Object.entries(x)) {
    const sub = fieldSchema(s, k);
    if (v === null && sub && !sub.nullable && !hasDefault(sub)) delete x[k];
    else dropDisallowedNulls(v, sub);
  }
}

/** A null the schema does not allow, which its default (if any) replaces. */
const isDisallowedNull = (v: unknown, s: JSONSchemaProps | undefined) => v === null && s !== undefined && !s.nullable;

function fillDefaults(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(x)) {
    x.forEach((item, i) => {
      if (isDisallowedNull(item, s.items) && hasDefault(s.items)) x[i] = structuredClone(s.items!.default);
      fillDefaults(x[i], s.items);
    });
    return;
  }
  if (!isRecord(x)) return;
  for (const [k, property] of Object.entries(s.properties ?? {})) {
    if (!hasDefault(property)) continue;
    if (!Object.hasOwn(x, k) || isDisallowedNull(x[k], property)) x[k] = structuredClone(property.default);
  }
  const additional = isRecord(s.additionalProperties) ? s.additionalProperties : undefined;
  for (const k of Object.keys(x)) {
    const property = ownValue(s.properties, k);
    if (property) {
      fillDefaults(x[k], property);
    } else if (additional) {
      if (isDisallowedNull(x[k], additional) && hasDefault(additional)) x[k] = structuredClone(additional.default);
      fillDefaults(x[k], additional);
    }
  }
}
