// The JSON types of a built-in kind's body, checked against its structural schema as Go's decoder
// checks them: Kubernetes refuses `"ports": "x"` or `"port": 1.5` with 400 before any validation
// runs, so a kind's strategy only ever sees the types its fields have. A null list item becomes
// the item's zero value (an empty object, "", 0 or false), as Go decodes it; null fields have been
// dropped already (defaulting). Custom resources are validated against their schema instead (422).
import type { JSONSchemaProps } from '../../api/schema.ts';

export interface TypeMismatch {
  /** Where, e.g. spec.ports[0].port. */
  path: string;
  /** The JSON type found: string, number, bool, array, object. */
  found: string;
  /** The Go type expected, roughly: string, int32, int64, float64, bool, array, map, struct, intstr.IntOrString. */
  expected: string;
}

const jsonType = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v);

function expectedType(s: JSONSchemaProps): string {
  if (s['x-kubernetes-int-or-string']) return 'intstr.IntOrString';
  switch (s.type) {
    case 'integer':
      return s.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'array':
      return 'array';
    case 'object':
      return s.additionalProperties ? 'map' : 'struct';
    default:
      return s.type ?? 'value';
  }
}

function matches(v: unknown, s: JSONSchemaProps): boolean {
  // Quantities are int-or-string too, and take any number (0.5): leave fractions to validation.
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || typeof v === 'number';
  switch (s.type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return true;
  }
}

function zeroValue(s: JSONSchemaProps): unknown {
  switch (s.type) {
    case 'object':
      return {};
    case 'array':
      return [];
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

/** The first place `value` does not have the type `schema` gives it; null list items become zero values on the way. */
export function firstTypeMismatch(value: unknown, schema: JSONSchemaProps, path = ''): TypeMismatch | undefined {
  if (value === null || value === undefined) return undefined;
  if (!matches(value, schema)) return { path: path || '(root)', found: jsonType(value), expected: expectedType(schema) };
  if (schema['x-kubernetes-preserve-unknown-fields'] && !schema.properties && !schema.additionalProperties && !schema.items) return undefined;
  if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null) value[i] = zeroValue(schema.items);
      const found = firstTypeMismatch(value[i], schema.items, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const sub = Object.hasOwn(schema.properties ?? {}, key) ? schema.properties![key] : typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
      if (!sub) continue;
      const found = firstTypeMismatch(child, sub, schema.additionalProperties && !schema.properties ? `${path}[${key}]` : path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}
