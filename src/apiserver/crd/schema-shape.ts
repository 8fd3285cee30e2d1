// A CRD's openAPIV3Schema arrives as free-form JSON. Before its meaning is checked, every keyword
// must hold the JSON type JSONSchemaProps gives it (Kubernetes' typed decoding would refuse it
// otherwise); the rest of the CRD validation then reads the schema as a JSONSchemaProps.
import type { StatusCause } from '../../api/meta.ts';
import { child, fieldError, index, isRecord, key } from '../validation/field.ts';

type Shape = 'string' | 'number' | 'integer' | 'boolean' | 'strings' | 'array' | 'schema' | 'schemas' | 'schemaMap' | 'schemaOrBool' | 'schemaOrSchemas' | 'dependencies' | 'validations' | 'object' | 'any';

const KEYWORDS: Record<string, Shape> = {
  id: 'string', $schema: 'string', $ref: 'string', description: 'string', type: 'string', format: 'string', title: 'string',
  default: 'any', example: 'any', enum: 'array',
  maximum: 'number', minimum: 'number', multipleOf: 'number',
  exclusiveMaximum: 'boolean', exclusiveMinimum: 'boolean', uniqueItems: 'boolean', nullable: 'boolean',
  maxLength: 'integer', minLength: 'integer', maxItems: 'integer', minItems: 'integer', maxProperties: 'integer', minProperties: 'integer',
  pattern: 'string', required: 'strings',
  items: 'schemaOrSchemas', allOf: 'schemas', oneOf: 'schemas', anyOf: 'schemas', not: 'schema',
  properties: 'schemaMap', patternProperties: 'schemaMap', definitions: 'schemaMap',
  additionalProperties: 'schemaOrBool', additionalItems: 'schemaOrBool', dependencies: 'dependencies',
  externalDocs: 'object',
  'x-kubernetes-preserve-unknown-fields': 'boolean', 'x-kubernetes-embedded-resource': 'boolean', 'x-kubernetes-int-or-string': 'boolean',
  'x-kubernetes-list-map-keys': 'strings', 'x-kubernetes-list-type': 'string', 'x-kubernetes-map-type': 'string',
  'x-kubernetes-validations': 'validations',
};

const VALIDATION_RULE_FIELDS: Record<string, 'string' | 'boolean'> = {
  rule: 'string', message: 'string', messageExpression: 'string', reason: 'string', fieldPath: 'string', optionalOldSelf: 'boolean',
};

const wrongType = (path: string, value: unknown, type: string) => fieldError.typeInvalid(path, value, `must be of type ${type}`);

/** Type errors in the keywords of a schema node and of the nodes below it. */
export function checkSchemaShape(node: unknown, path: string): StatusCause[] {
  if (!isRecord(node)) return [wrongType(path, node, 'object')];
  const causes: StatusCause[] = [];
  for (const [keyword, value] of Object.entries(node)) {
    const shape = KEYWORDS[keyword];
    if (!shape || value === null) continue;
    causes.push(...checkKeyword(shape, value, child(path, keyword)));
  }
  return causes;
}

function checkKeyword(shape: Shape, value: unknown, path: string): StatusCause[] {
  switch (shape) {
    case 'any': return [];
    case 'string': return typeof value === 'string' ? [] : [wrongType(path, value, 'string')];
    case 'boolean': return typeof value === 'boolean' ? [] : [wrongType(path, value, 'boolean')];
    case 'number': return typeof value === 'number' ? [] : [wrongType(path, value, 'number')];
    case 'integer': return Number.isInteger(value) ? [] : [wrongType(path, value, 'integer')];
    case 'array': return Array.isArray(value) ? [] : [wrongType(path, value, 'array')];
    case 'object': return isRecord(value) ? [] : [wrongType(path, value, 'object')];
    case 'strings':
      if (!Array.isArray(value)) return [wrongType(path, value, 'array')];
      return value.flatMap((v, i) => (typeof v === 'string' ? [] : [wrongType(index(path, i), v, 'string')]));
    case 'schema': return checkSchemaShape(value, path);
    case 'schemas':
      if (!Array.isArray(value)) return [wrongType(path, value, 'array')];
      return value.flatMap((v, i) => checkSchemaShape(v, index(path, i)));
    case 'schemaOrSchemas':
      return Array.isArray(value) ? value.flatMap((v, i) => checkSchemaShape(v, index(path, i))) : checkSchemaShape(value, path);
    case 'schemaMap':
      if (!isRecord(value)) return [wrongType(path, value, 'object')];
      return Object.entries(value).flatMap(([k, v]) => checkSchemaShape(v, key(path, k)));
    case 'schemaOrBool': return typeof value === 'boolean' ? [] : checkSchemaShape(value, path);
    case 'dependencies':
      if (!isRecord(value)) return [wrongType(path, value, 'object')];
      return Object.entries(value).flatMap(([k, v]) => (Array.isArray(v) ? checkKeyword('strings', v, key(path, k)) : checkSchemaShape(v, key(path, k))));
    case 'validations':
      if (!Array.isArray(value)) return [wrongType(path, value, 'array')];
      return value.flatMap((rule, i) => {
        if (!isRecord(rule)) return [wrongType(index(path, i), rule, 'object')];
        return Object.entries(VALIDATION_RULE_FIELDS).flatMap(([f, type]) =>
          rule[f] === undefined || rule[f] === null ? [] : checkKeyword(type, rule[f], child(index(path, i), f)));
      });
  }
}
