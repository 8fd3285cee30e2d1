// Rewriting JSON schemas without touching the input: the definitions a resource brings are shared
// with the rest of the server, so every transformation copies what it changes.
import type { JSONSchemaProps } from '../../api/schema.ts';

/** A shallow copy of `schema` whose nested schemas are replaced by `f` of each. */
export function mapChildren(schema: JSONSchemaProps, f: (child: JSONSchemaProps) => JSONSchemaProps): JSONSchemaProps {
  const out: JSONSchemaProps = { ...schema };
  if (schema.properties) {
    out.properties = {};
    for (const [name, property] of Object.entries(schema.properties)) out.properties[name] = f(property);
  }
  if (schema.items && typeof schema.items === 'object') out.items = f(schema.items);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    out.additionalProperties = f(schema.additionalProperties);
  }
  for (const junctor of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[junctor];
    if (Array.isArray(list)) out[junctor] = list.map(f);
  }
  if (schema.not && typeof schema.not === 'object') out.not = f(schema.not);
  return out;
}

/** Every `#/definitions/<name>` a schema refers to, at any depth. */
export function collectReferences(schema: JSONSchemaProps, into: Set<string>): Set<string> {
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith(DEFINITIONS)) into.add(schema.$ref.slice(DEFINITIONS.length));
  mapChildren(schema, (child) => {
    collectReferences(child, into);
    return child;
  });
  return into;
}

/** The internal reference form (Swagger 2.0's); the OpenAPI v3 renderer rewrites it. */
export const DEFINITIONS = '#/definitions/';

export function ref(name: string, siblings: JSONSchemaProps = {}): JSONSchemaProps {
  return { ...siblings, $ref: `${DEFINITIONS}${name}` };
}
