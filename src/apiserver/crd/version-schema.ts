// Validation of one CRD version's openAPIV3Schema, as Kubernetes does it: keyword types, the root
// restrictions of the status subresource, structurality, defaults that validate against their
// own schema and survive pruning unchanged, the keywords Kubernetes does not support, and the
// consistency of x-kubernetes-list-type / -map-type / -list-map-keys / -validations.
import type { StatusCause } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { child, fieldError, index, isRecord, key } from '../validation/field.ts';
import { checkSchemaShape } from './schema-shape.ts';
import { validateStructural } from './structural.ts';
import { pruneValue } from './pruning.ts';
import { jsonEqual, validateValue } from './openapi-validation.ts';
import { validateEmbeddedResources } from './embedded.ts';
import { ownValue } from '../../common/own-properties.ts';

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);
const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const VALIDATION_REASONS = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];

/** JSONSchemaProps fields in Go's declaration order, with the JSON keyword and Go name of each. */
const SCHEMA_FIELDS: [string, string][] = [
  ['id', 'ID'], ['$schema', 'Schema'], ['$ref', 'Ref'], ['description', 'Description'], ['type', 'Type'], ['format', 'Format'],
  ['title', 'Title'], ['default', 'Default'], ['maximum', 'Maximum'], ['exclusiveMaximum', 'ExclusiveMaximum'], ['minimum', 'Minimum'],
  ['exclusiveMinimum', 'ExclusiveMinimum'], ['maxLength', 'MaxLength'], ['minLength', 'MinLength'], ['pattern', 'Pattern'],
  ['maxItems', 'MaxItems'], ['minItems', 'MinItems'], ['uniqueItems', 'UniqueItems'], ['multipleOf', 'MultipleOf'], ['enum', 'Enum'],
  ['maxProperties', 'MaxProperties'], ['minProperties', 'MinProperties'], ['required', 'Required'], ['items', 'Items'],
  ['allOf', 'AllOf'], ['oneOf', 'OneOf'], ['anyOf', 'AnyOf'], ['not', 'Not'], ['properties', 'Properties'],
  ['additionalProperties', 'AdditionalProperties'], ['patternProperties', 'PatternProperties'], ['dependencies', 'Dependencies'],
  ['additionalItems', 'AdditionalItems'], ['definitions', 'Definitions'], ['externalDocs', 'ExternalDocs'], ['example', 'Example'],
  ['nullable', 'Nullable'], ['x-kubernetes-preserve-unknown-fields', 'XPreserveUnknownFields'],
  ['x-kubernetes-embedded-resource', 'XEmbeddedResource'], ['x-kubernetes-int-or-string', 'XIntOrString'],
  ['x-kubernetes-list-map-keys', 'XListMapKeys'], ['x-kubernetes-list-type', 'XListType'], ['x-kubernetes-map-type', 'XMapType'],
  ['x-kubernetes-validations', 'XValidations'],
];

/** What the root of a schema may use when the status subresource is enabled. */
const ALLOWED_AT_ROOT_WITH_STATUS = ['Description', 'Type', 'Format', 'Title', 'Maximum', 'ExclusiveMaximum', 'Minimum', 'ExclusiveMinimum',
  'MaxLength', 'MinLength', 'Pattern', 'MaxItems', 'MinItems', 'UniqueItems', 'MultipleOf', 'Required', 'Items', 'Properties',
  'ExternalDocs', 'Example', 'XPreserveUnknownFields', 'XValidations'];

/** Go's zero values count as unset. */
const isSet = (v: unknown) =>
  v !== undefined && v !== null && v !== false && v !== '' && v !== 0
  && !(Array.isArray(v) && v.length === 0) && !(isRecord(v) && Object.keys(v).length === 0);

/**
 * Validates `schema`, the openAPIV3Schema found at `path` ("spec.versions[0].schema.openAPIV3Schema"),
 * of a version that does (or not) enable the status subresource.
 */
export function validateVersionSchema(schema: unknown, path: string, statusEnabled: boolean): StatusCause[] {
  const shape = checkSchemaShape(schema, path);
  if (shape.length > 0) return shape;
  const s = schema as JSONSchemaProps;
  const causes: StatusCause[] = [];

  if (statusEnabled) {
    for (const [keyword, goName] of SCHEMA_FIELDS) {
      const value = (s as Record<string, unknown>)[keyword];
      if (!isSet(value) && !(keyword === 'default' && value !== undefined && value !== null)) continue;
      if (keyword === 'type') {
        if (s.type !== 'object') {
          causes.push(fieldError.invalid(child(path, 'type'), s.type, 'only "object" is allowed as the type at the root of the schema if the status subresource is enabled'));
          break;
        }
        continue;
      }
      if (!ALLOWED_AT_ROOT_WITH_STATUS.includes(goName)) {
        causes.push(fieldError.invalid(path, s, `only [${ALLOWED_AT_ROOT_WITH_STATUS.join(' ')}] fields are allowed at the root of the schema if the status subresource is enabled`));
        break;
      }
    }
  }
  if (s.nullable) causes.push(fieldError.forbidden(child(path, 'nullable'), 'nullable cannot be true at the root'));

  const structural = validateStructural(s, path);
  causes.push(...(structural.length > 0 ? structural : validateDefaults(s, path, true, false)));
  causes.push(...checkNode(s, path, { defaultsForbiddenBecause: undefined, insideResourceMeta: false }, true));
  return causes;
}

/** Defaults must validate against their schema and be left unchanged by pruning. */
function validateDefaults(s: JSONSchemaProps, path: string, isResourceRoot: boolean, insideMeta: boolean): StatusCause[] {
  const embedded = isResourceRoot || s['x-kubernetes-embedded-resource'] === true;
  if (embedded) insideMeta = false;
  const causes: StatusCause[] = [];
  if (s.default !== undefined && s.default !== null) {
    const at = child(path, 'default');
    if (insideMeta) {
      causes.push(...validateValue(s.default, s, at));
    } else {
      const pruned = structuredClone(s.default);
      pruneValue(pruned, s, embedded);
      if (!jsonEqual(pruned, s.default)) causes.push(fieldError.invalid(at, s.default, 'must not have unknown fields'));
      const embeddedErrors = validateEmbeddedResources(s.default, s, at);
      causes.push(...(embeddedErrors.length > 0 ? embeddedErrors : validateValue(s.default, s, at)));
    }
  }
  // Defaults under additionalProperties are not checked, as in Kubernetes.
  if (s.items && !Array.isArray(s.items)) causes.push(...validateDefaults(s.items, child(path, 'items'), false, insideMeta));
  for (const [k, property] of Object.entries(s.properties ?? {})) {
    causes.push(...validateDefaults(property, key(child(path, 'properties'), k), false, insideMeta || (embedded && META_FIELDS.has(k))));
  }
  return causes;
}

interface NodeContext {
  /** Why defaults may not be set here (e.g. "in top-level metadata"), or undefined if they may. */
  defaultsForbiddenBecause: string | undefined;
  /** Inside apiVersion, kind or metadata of the resource or of an embedded resource. */
  insideResourceMeta: boolean;
}

function checkNode(s: JSONSchemaProps, path: string, ctx: NodeContext, isRoot: boolean): StatusCause[] {
  const raw = s as Record<string, unknown>;
  const causes: StatusCause[] = [];
  if (s.type && !OPENAPI_TYPES.includes(s.type)) causes.push(fieldError.notSupported(child(path, 'type'), s.type, OPENAPI_TYPES));
  if (s.default !== undefined && s.default !== null && ctx.defaultsForbiddenBecause !== undefined) {
    causes.push(fieldError.forbidden(child(path, 'default'), `must not be set ${ctx.defaultsForbiddenBecause}`.trimEnd()));
  }
  if (isSet(raw.id)) causes.push(fieldError.forbidden(child(path, 'id'), 'id is not supported'));
  // Kubernetes forbids these when present at all, or (the two maps) when not empty.
  const unsupported = ['additionalItems', 'dependencies', '$ref'].filter((k) => raw[k] !== undefined && raw[k] !== null)
    .concat(['patternProperties', 'definitions'].filter((k) => isSet(raw[k])));
  for (const keyword of ['additionalItems', 'patternProperties', 'definitions', 'dependencies', '$ref'].filter((k) => unsupported.includes(k))) {
    causes.push(fieldError.forbidden(child(path, keyword), `${keyword} is not supported`));
  }
  if ((s.type as string) === 'null') causes.push(fieldError.forbidden(child(path, 'type'), 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(raw.items)) causes.push(fieldError.forbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  if (ctx.insideResourceMeta && s['x-kubernetes-embedded-resource']) {
    causes.push(fieldError.forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must not be used inside of resource meta'));
  }
  if (s.uniqueItems) causes.push(fieldError.forbidden(child(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));

  const additional = s.additionalProperties;
  const hasProperties = Object.keys(s.properties ?? {}).length > 0;
  if (additional !== undefined && additional !== null) {
    if (hasProperties && (additional === false || isRecord(additional))) {
      causes.push(fieldError.forbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
    }
    if (isRecord(additional)) {
      const sub = ctx.insideResourceMeta ? { ...ctx, defaultsForbiddenBecause: 'inside additionalProperties applying to object metadata' } : ctx;
      causes.push(...checkNode(additional, child(path, 'additionalProperties'), sub, false));
    }
  }
  for (const [k, property] of Object.entries(s.properties ?? {})) {
    let sub = ctx;
    if ((isRoot || s['x-kubernetes-embedded-resource']) && META_FIELDS.has(k)) {
      sub = { ...sub, insideResourceMeta: true };
      if (isRoot) sub = { ...sub, defaultsForbiddenBecause: `in top-level ${k}` };
    }
    causes.push(...checkNode(property, key(child(path, 'properties'), k), sub, false));
  }
  if (s.not) causes.push(...checkNode(s.not, child(path, 'not'), ctx, false));
  for (const combinator of ['allOf', 'oneOf', 'anyOf'] as const) {
    s[combinator]?.forEach((sub, i) => causes.push(...checkNode(sub, index(child(path, combinator), i), ctx, false)));
  }
  if (isRecord(raw.items)) causes.push(...checkNode(raw.items as JSONSchemaProps, child(path, 'items'), ctx, false));

  causes.push(...checkListAndMapTypes(s, path));
  causes.push(...checkValidationRules(s, path));
  return causes;
}

function checkListAndMapTypes(s: JSONSchemaProps, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const preserve = s['x-kubernetes-preserve-unknown-fields'];
  if (preserve === false) causes.push(fieldError.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));

  const mapType = s['x-kubernetes-map-type'];
  if (mapType !== undefined && s.type !== 'object') {
    const detail = 'must be object if x-kubernetes-map-type is specified';
    causes.push(s.type ? fieldError.invalid(child(path, 'type'), s.type, detail) : fieldError.required(child(path, 'type'), detail));
  }
  if (mapType !== undefined && mapType !== 'atomic' && mapType !== 'granular') {
    causes.push(fieldError.notSupported(child(path, 'x-kubernetes-map-type'), mapType, ['atomic', 'granular']));
  }

  const listType = s['x-kubernetes-list-type'];
  const items = isRecord(s.items) ? (s.items as JSONSchemaProps) : undefined;
  if (listType !== undefined && s.type !== 'array') {
    const detail = 'must be array if x-kubernetes-list-type is specified';
    causes.push(s.type ? fieldError.invalid(child(path, 'type'), s.type, detail) : fieldError.required(child(path, 'type'), detail));
  } else if (listType === 'set' && items) {
    const detail = 'must be atomic as item of a list with x-kubernetes-list-type=set';
    if (items.type === 'array' && items['x-kubernetes-list-type'] !== undefined && items['x-kubernetes-list-type'] !== 'atomic') {
      causes.push(fieldError.invalid(child(child(path, 'items'), 'x-kubernetes-list-type'), items['x-kubernetes-list-type'], detail));
    }
    if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
      causes.push(fieldError.invalid(child(child(path, 'items'), 'x-kubernetes-map-type'), items['x-kubernetes-list-type'] ?? null, detail));
    }
  }
  if (listType !== undefined && listType !== 'atomic' && listType !== 'set' && listType !== 'map') {
    causes.push(fieldError.notSupported(child(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']));
  }

  const mapKeys = s['x-kubernetes-list-map-keys'] ?? [];
  if (mapKeys.length > 0) {
    const detail = 'must be map if x-kubernetes-list-map-keys is non-empty';
    if (listType === undefined) causes.push(fieldError.required(child(path, 'x-kubernetes-list-type'), detail));
    else if (listType !== 'map') causes.push(fieldError.invalid(child(path, 'x-kubernetes-list-type'), listType, detail));
  }
  if (listType === 'map') {
    if (mapKeys.length === 0) causes.push(fieldError.required(child(path, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
    if (s.items === undefined || s.items === null) causes.push(fieldError.required(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map'));
    else if (!items) causes.push(fieldError.invalid(child(path, 'items'), s.items, 'must only have a single schema if x-kubernetes-list-type is map'));
    if (items && items.type !== 'object') {
      causes.push(fieldError.invalid(child(child(path, 'items'), 'type'), items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (items && items.type === 'object') {
      const seen = new Set<string>();
      for (const k of mapKeys) {
        const property = ownValue(items.properties, k);
        if (!property) {
          causes.push(fieldError.invalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'entries must all be names of item properties'));
        } else if (property.type === 'array' || property.type === 'object') {
          causes.push(fieldError.invalid(child(key(child(child(path, 'items'), 'properties'), k), 'type'), items.type, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
        }
        if (seen.has(k)) causes.push(fieldError.invalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'must not contain duplicate entries'));
        seen.add(k);
      }
    }
  }

  if (items && (listType === 'set' || listType === 'map')) {
    if (items.nullable) causes.push(fieldError.forbidden(child(child(path, 'items'), 'nullable'), `cannot be nullable when x-kubernetes-list-type is ${listType}`));
    if (listType === 'map') {
      const required = new Set(items.required ?? []);
      for (const k of mapKeys) {
        const property = ownValue(items.properties, k);
        if (!property) continue;
        const at = key(child(child(path, 'items'), 'properties'), k);
        if (!required.has(k) && (property.default === undefined || property.default === null)) {
          causes.push(fieldError.required(child(at, 'default'), 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
        }
        if (property.nullable) causes.push(fieldError.forbidden(child(at, 'nullable'), 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
      }
    }
  }
  return causes;
}

const hasLineBreak = (s: string) => /[\n\r]/.test(s);

/** The static checks of x-kubernetes-validations rules (their CEL expressions are not evaluated). */
function checkValidationRules(s: JSONSchemaProps, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  (s['x-kubernetes-validations'] ?? []).forEach((rule, i) => {
    const at = index(child(path, 'x-kubernetes-validations'), i);
    const ruleText = (rule.rule ?? '').trim();
    const message = rule.message ?? '';
    if (ruleText.length === 0) causes.push(fieldError.required(child(at, 'rule'), 'rule is not specified'));
    else if (message.length > 0 && message.trim().length === 0) causes.push(fieldError.invalid(child(at, 'message'), message, 'must be non-empty if specified'));
    else if (hasLineBreak(message.trim())) causes.push(fieldError.invalid(child(at, 'message'), message, 'must not contain line breaks'));
    else if (hasLineBreak(ruleText) && message.trim().length === 0) causes.push(fieldError.required(child(at, 'message'), 'message must be specified if rule contains line breaks'));
    if (rule.messageExpression !== undefined && rule.messageExpression.length > 0 && rule.messageExpression.trim().length === 0) {
      causes.push(fieldError.required(child(at, 'messageExpression'), 'messageExpression must be non-empty if specified'));
    }
    if (rule.reason !== undefined && !VALIDATION_REASONS.includes(rule.reason)) {
      causes.push(fieldError.notSupported(child(at, 'reason'), rule.reason, VALIDATION_REASONS));
    }
    const fieldPath = rule.fieldPath ?? '';
    if (fieldPath.length > 0 && fieldPath.trim().length === 0) causes.push(fieldError.invalid(child(at, 'fieldPath'), fieldPath, 'must be non-empty if specified'));
    if (hasLineBreak(fieldPath)) causes.push(fieldError.invalid(child(at, 'fieldPath'), fieldPath, 'must not contain line breaks'));
  });
  return causes;
}
