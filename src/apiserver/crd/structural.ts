// Structural schemas, as apiextensions.k8s.io/v1 requires them: every field has a type given
// outside of allOf/anyOf/oneOf/not (those may only restrict values of fields specified elsewhere),
// metadata may only restrict name and generateName, and the x-kubernetes-* extensions are used
// consistently. Pruning and defaulting are only well-defined on such schemas.
import type { StatusCause } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { child, fieldError, isRecord, key } from '../validation/field.ts';
import { jsonEqual, compilePattern } from './openapi-validation.ts';
import { ownValue } from '../../common/own-properties.ts';

type Level = 'root' | 'item' | 'field';

const INT_OR_STRING_ANY_OF = [{ type: 'integer' }, { type: 'string' }];

/** Non-structural parts of a schema, sorted as Kubernetes sorts them. */
export function validateStructural(schema: JSONSchemaProps, path: string): StatusCause[] {
  const causes = [...invariants(schema, 'root', path), ...completeness(schema, schema, path, path)];
  const text = (c: StatusCause) => `${c.field}: ${c.message}`;
  return causes.sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
}

const isIntOrStringAnyOf = (s: JSONSchemaProps | undefined) => s?.anyOf !== undefined && jsonEqual(s.anyOf, INT_OR_STRING_ANY_OF);
const isIntOrStringAllOf = (s: JSONSchemaProps) => s.allOf !== undefined && s.allOf.length >= 1 && isIntOrStringAnyOf(s.allOf[0]);

function invariants(s: JSONSchemaProps, level: Level, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (s.type === 'array' && !s.items) causes.push(fieldError.required(child(path, 'items'), 'must be specified'));
  if (s.items && !Array.isArray(s.items)) causes.push(...invariants(s.items, 'item', child(path, 'items')));
  for (const [k, property] of Object.entries(s.properties ?? {})) {
    causes.push(...invariants(property, 'field', key(child(path, 'properties'), k)));
  }
  const additional = s.additionalProperties;
  if (additional !== undefined && additional !== null) {
    if (level === 'root') causes.push(fieldError.forbidden(child(path, 'additionalProperties'), 'must not be used at the root'));
    if (isRecord(additional)) causes.push(...invariants(additional, 'field', child(path, 'additionalProperties')));
  }

  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (intOrString && preserve) causes.push(fieldError.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), true, 'must be false if x-kubernetes-int-or-string is true'));
  if (intOrString && embedded) causes.push(fieldError.invalid(child(path, 'x-kubernetes-embedded-resource'), true, 'must be false if x-kubernetes-int-or-string is true'));

  causes.push(...valueValidation(s, isIntOrStringAnyOf(s), isIntOrStringAllOf(s), path));

  if (embedded && s.type !== 'object') {
    const detail = 'must be object if x-kubernetes-embedded-resource is true';
    causes.push(s.type ? fieldError.invalid(child(path, 'type'), s.type, detail) : fieldError.required(child(path, 'type'), detail));
  } else if (!s.type && !intOrString && !preserve) {
    const where = { root: 'at the root', item: 'for specified array items', field: 'for specified object fields' }[level];
    causes.push(fieldError.required(child(path, 'type'), `must not be empty ${where}`));
  }
  if (embedded && additional !== undefined && additional !== null) {
    causes.push(fieldError.forbidden(child(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (level === 'root' && s.type && s.type !== 'object') causes.push(fieldError.invalid(child(path, 'type'), s.type, 'must be object at the root'));

  const checkMetadata = level === 'root' || embedded;
  const properties = s.properties ?? {};
  for (const meta of ['kind', 'apiVersion']) {
    if (checkMetadata && properties[meta] && properties[meta].type !== 'string') {
      causes.push(fieldError.invalid(child(key(child(path, 'properties'), meta), 'type'), properties[meta].type ?? '', 'must be string'));
    }
  }
  if (properties.metadata) causes.push(...metadataInvariants(properties.metadata, checkMetadata, level, key(child(path, 'properties'), 'metadata')));
  if (embedded && !preserve && Object.keys(properties).length === 0) {
    causes.push(fieldError.required(child(path, 'properties'), 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
  return causes;
}

/** At the root, metadata may say it is an object and restrict name and generateName, nothing else. */
function metadataInvariants(s: JSONSchemaProps, checkMetadata: boolean, level: Level, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (checkMetadata && s.type !== 'object') causes.push(fieldError.invalid(child(path, 'type'), s.type ?? '', 'must be object'));
  if (level === 'root') {
    const rest: Record<string, unknown> = { ...s };
    delete rest.type;
    delete rest.default;
    const names = Object.keys(s.properties ?? {});
    if (names.length > 0 && names.every((n) => n === 'name' || n === 'generateName')) delete rest.properties;
    if (Object.values(rest).some(isSet)) {
      causes.push(fieldError.forbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  return causes;
}

/** allOf/anyOf/oneOf/not of a node, and its pattern. */
function valueValidation(s: JSONSchemaProps, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!skipAnyOf) s.anyOf?.forEach((v, i) => causes.push(...nested(v, false, `${child(path, 'anyOf')}[${i}]`)));
  s.allOf?.forEach((v, i) => causes.push(...nested(v, skipFirstAllOfAnyOf && i === 0, `${child(path, 'allOf')}[${i}]`)));
  s.oneOf?.forEach((v, i) => causes.push(...nested(v, false, `${child(path, 'oneOf')}[${i}]`)));
  if (s.not) causes.push(...nested(s.not, false, child(path, 'not')));
  if (s.pattern !== undefined) {
    const compiled = compilePattern(s.pattern);
    if (compiled instanceof Error) causes.push(fieldError.invalid(child(path, 'pattern'), s.pattern, `must be a valid regular expression, but isn't: ${compiled.message}`));
  }
  return causes;
}

const NESTED_FORBIDDEN: [keyof JSONSchemaProps, string][] = [
  ['title', 'must be empty to be structural'],
  ['description', 'must be empty to be structural'],
  ['nullable', 'must be false to be structural'],
  ['x-kubernetes-preserve-unknown-fields', 'must be false to be structural'],
  ['x-kubernetes-embedded-resource', 'must be false to be structural'],
  ['x-kubernetes-int-or-string', 'must be false to be structural'],
  ['x-kubernetes-list-map-keys', 'must be empty to be structural'],
  ['x-kubernetes-list-type', 'must be undefined to be structural'],
  ['x-kubernetes-map-type', 'must be undefined to be structural'],
  ['x-kubernetes-validations', 'must be empty to be structural'],
];

const isSet = (v: unknown) => v !== undefined && v !== null && v !== false && v !== '' && !(Array.isArray(v) && v.length === 0);

/** A schema under allOf/anyOf/oneOf/not: it may only restrict values, never shape them. */
function nested(v: JSONSchemaProps, skipAnyOf: boolean, path: string): StatusCause[] {
  const causes = valueValidation(v, skipAnyOf, false, path);
  if (v.items && !Array.isArray(v.items)) causes.push(...nested(v.items, false, child(path, 'items')));
  for (const [k, property] of Object.entries(v.properties ?? {})) causes.push(...nested(property, false, key(child(path, 'properties'), k)));
  if (v.type) causes.push(fieldError.forbidden(child(path, 'type'), 'must be empty to be structural'));
  if (isRecord(v.additionalProperties) || v.additionalProperties === true) {
    causes.push(fieldError.forbidden(child(path, 'additionalProperties'), 'must be undefined to be structural'));
  }
  if (v.default !== undefined && v.default !== null) causes.push(fieldError.forbidden(child(path, 'default'), 'must be undefined to be structural'));
  for (const [field, detail] of NESTED_FORBIDDEN) {
    if (isSet(v[field])) causes.push(fieldError.forbidden(child(path, field), detail));
  }
  if (v.properties?.metadata) causes.push(fieldError.forbidden(key(child(path, 'properties'), 'metadata'), 'must not be specified in a nested context'));
  return causes;
}

/** Every property or items a value validation mentions must also be specified structurally. */
function completeness(v: JSONSchemaProps, s: JSONSchemaProps | undefined, sPath: string, vPath: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const clauses: [JSONSchemaProps, string][] = [
    ...(v.not ? [[v.not, child(vPath, 'not')] as [JSONSchemaProps, string]] : []),
    ...(v.allOf ?? []).map((c, i): [JSONSchemaProps, string] => [c, `${child(vPath, 'allOf')}[${i}]`]),
    ...(v.anyOf ?? []).map((c, i): [JSONSchemaProps, string] => [c, `${child(vPath, 'anyOf')}[${i}]`]),
    ...(v.oneOf ?? []).map((c, i): [JSONSchemaProps, string] => [c, `${child(vPath, 'oneOf')}[${i}]`]),
  ];
  for (const [clause, clausePath] of clauses) causes.push(...nestedCompleteness(clause, s, sPath, clausePath));
  return causes;
}

function nestedCompleteness(v: JSONSchemaProps, s: JSONSchemaProps | undefined, sPath: string, vPath: string): StatusCause[] {
  if (!s) return [fieldError.required(sPath, `because it is defined in ${vPath}`)];
  const causes = completeness(v, s, sPath, vPath);
  if (v.items && !Array.isArray(v.items)) {
    const sItems = s.items && !Array.isArray(s.items) ? s.items : undefined;
    causes.push(...nestedCompleteness(v.items, sItems, child(sPath, 'items'), child(vPath, 'items')));
  }
  for (const [k, property] of Object.entries(v.properties ?? {})) {
    const sProperty = ownValue(s.properties, k);
    const sPropertyPath = key(child(sPath, 'properties'), k);
    const vPropertyPath = key(child(vPath, 'properties'), k);
    if (!sProperty) causes.push(fieldError.required(sPropertyPath, `because it is defined in ${vPropertyPath}`));
    else causes.push(...nestedCompleteness(property, sProperty, sPropertyPath, vPropertyPath));
  }
  return causes;
}
