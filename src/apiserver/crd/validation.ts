// Validation of CustomResourceDefinition objects (apiextensions.k8s.io/v1) as Kubernetes does it,
// with its field paths and messages: group, names, scope, versions (exactly one stored, each with a
// structural schema, valid subresources and printer columns), conversion, status, and on update
// the fields that may not change. Generic metadata rules are validateObjectMeta's.
//
// Where Kubernetes reports schema errors under the internal "spec.validation" path, these use the
// path of the v1 object the user wrote ("spec.versions[0].schema.openAPIV3Schema...").
import type { KubeObject, StatusCause } from '../../api/meta.ts';
import { byteLength, child, fieldError, index, isRecord } from '../validation/field.ts';
import { isDns1035Label, isDns1123Subdomain } from '../validation/names.ts';
import { jsonPathError } from './json-path.ts';
import { validateValue } from './openapi-validation.ts';
import { validateVersionSchema } from './version-schema.ts';
import { defaultedNames } from './names.ts';
import {
  CustomResourceDefinitionSchema, type CustomResourceColumnDefinition, type CustomResourceDefinition,
  type CustomResourceDefinitionNames, type CustomResourceDefinitionVersion,
} from '../../api/kinds/apiextensions.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { ownValue } from '../../common/own-properties.ts';

const SCOPES = ['Cluster', 'Namespaced'];
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const MAX_SELECTABLE_FIELDS = 8;
const API_APPROVAL_ANNOTATION = 'api-approved.kubernetes.io';

/** Kubernetes' v1 defaults: singular and listKind from kind, conversion strategy None. */
export function defaultCrd(obj: KubeObject): void {
  const spec = obj.spec;
  if (!isRecord(spec)) return;
  const names = spec.names;
  if (isRecord(names) && typeof names.kind === 'string') {
    if (!names.singular) names.singular = names.kind.toLowerCase();
    if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  }
  if (spec.conversion === undefined || spec.conversion === null) spec.conversion = { strategy: 'None' };
}

/**
 * The CRD schema reduced to JSON types: what must hold before the object can be read at all.
 * Required fields and allowed values are checked below, with Kubernetes' messages; metadata is
 * validateObjectMeta's.
 */
const CRD_TYPES: JSONSchemaProps = (() => {
  const typesOnly = (s: JSONSchemaProps): JSONSchemaProps => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) {
      if (k === 'required' || k === 'enum') continue;
      if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Record<string, JSONSchemaProps>).map(([p, sub]) => [p, typesOnly(sub)]));
      else if ((k === 'items' || k === 'additionalProperties') && isRecord(v)) out[k] = typesOnly(v as JSONSchemaProps);
      else out[k] = v;
    }
    return out as JSONSchemaProps;
  };
  const types = typesOnly(CustomResourceDefinitionSchema as JSONSchemaProps);
  delete types.properties!.metadata;
  return types;
})();

/** Everything Kubernetes checks on a CustomResourceDefinition, except the generic metadata rules. */
export function validateCrd(obj: KubeObject): StatusCause[] {
  const shape = validateValue(obj, CRD_TYPES, '');
  if (shape.length > 0) return shape;
  const crd = obj as CustomResourceDefinition;
  const spec = crd.spec ?? ({} as CustomResourceDefinition['spec']);
  // Kubernetes defaults singular and listKind before it validates; so do we (see defaultCrd).
  const names = defaultedNames(spec.names ?? ({} as Partial<CustomResourceDefinitionNames>));
  const causes: StatusCause[] = [];

  const name = crd.metadata?.name;
  if (name && name !== `${names.plural ?? ''}.${spec.group ?? ''}`) {
    causes.push(fieldError.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }

  if (!spec.group) causes.push(fieldError.required('spec.group'));
  else {
    const errs = isDns1123Subdomain(spec.group);
    if (errs.length > 0) causes.push(fieldError.invalid('spec.group', spec.group, errs.join(',')));
    else if (spec.group.split('.').length < 2) causes.push(fieldError.invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }

  if (!spec.scope) causes.push(fieldError.required('spec.scope'));
  else if (!SCOPES.includes(spec.scope)) causes.push(fieldError.notSupported('spec.scope', spec.scope, SCOPES));

  const versions = spec.versions ?? [];
  causes.push(...validateVersions(versions));

  if (!names.plural) causes.push(fieldError.required('spec.names.plural'));
  if (!names.singular) causes.push(fieldError.required('spec.names.singular'));
  if (!names.kind) causes.push(fieldError.required('spec.names.kind'));
  if (!names.listKind) causes.push(fieldError.required('spec.names.listKind'));
  causes.push(...validateNames(names, 'spec.names'));
  causes.push(...validateConversion(spec.conversion, 'spec.conversion'));

  causes.push(...validateNames(crd.status?.acceptedNames ?? {}, 'status.acceptedNames'));
  causes.push(...validateStoredVersions(crd.status?.storedVersions ?? [], versions));
  causes.push(...validateApiApproval(spec.group ?? '', crd.metadata?.annotations));
  if (spec.preserveUnknownFields) {
    causes.push(fieldError.invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  }
  return causes;
}

/**
 * What an update may not change: the group and plural ever, and once the definition is
 * Established, its scope and kind (stored objects and clients depend on them).
 */
export function validateCrdUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const spec = (isRecord(obj.spec) ? obj.spec : {}) as Partial<CustomResourceDefinition['spec']>;
  const oldSpec = (isRecord(old.spec) ? old.spec : {}) as Partial<CustomResourceDefinition['spec']>;
  const causes: StatusCause[] = [];
  const immutable = (path: string, now: unknown, before: unknown) => {
    if ((now ?? '') !== (before ?? '')) causes.push(fieldError.invalid(path, now ?? '', 'field is immutable'));
  };
  const established = ((old as CustomResourceDefinition).status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
  if (established) {
    immutable('spec.scope', spec.scope, oldSpec.scope);
    immutable('spec.names.kind', spec.names?.kind, oldSpec.names?.kind);
  }
  immutable('spec.group', spec.group, oldSpec.group);
  immutable('spec.names.plural', spec.names?.plural, oldSpec.names?.plural);
  return causes;
}

function validateVersions(versions: CustomResourceDefinitionVersion[]): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((version, i) => {
    const at = index('spec.versions', i);
    if (seen.has(version.name)) unique = false;
    seen.add(version.name);
    const nameErrors = isDns1035Label(version.name ?? '');
    if (nameErrors.length > 0) causes.push(fieldError.invalid(child(at, 'name'), version.name ?? '', nameErrors.join(',')));
    causes.push(...validateVersion(version, at));
  });
  if (!unique) causes.push(fieldError.invalid('spec.versions', versions, 'must contain unique version names'));
  if (versions.filter((v) => v.storage).length !== 1) {
    causes.push(fieldError.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  }
  return causes;
}

function validateVersion(version: CustomResourceDefinitionVersion, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const msg of deprecationWarningErrors(version.deprecated ?? false, version.deprecationWarning)) {
    causes.push(fieldError.invalid(child(path, 'deprecationWarning'), version.deprecationWarning, msg));
  }
  const schemaPath = child(child(path, 'schema'), 'openAPIV3Schema');
  const schema = version.schema?.openAPIV3Schema;
  if (schema === undefined || schema === null) causes.push(fieldError.required(schemaPath));
  else causes.push(...validateVersionSchema(schema, schemaPath, isRecord(version.subresources?.status)));
  causes.push(...validateSubresources(version.subresources, child(path, 'subresources')));
  (version.additionalPrinterColumns ?? []).forEach((column, i) => {
    causes.push(...validateColumn(column, index(child(path, 'additionalPrinterColumns'), i)));
  });
  if (version.selectableFields && version.selectableFields.length > 0) {
    if (!isRecord(schema)) {
      causes.push(fieldError.invalid(child(path, 'selectableFields'), '', 'may only be set when `version.schema.openAPIV3Schema` is not included'));
    } else {
      causes.push(...validateSelectableFields(version.selectableFields, schema, child(path, 'selectableFields')));
    }
  }
  return causes;
}

function deprecationWarningErrors(deprecated: boolean, warning: string | undefined): string[] {
  if (!deprecated && warning !== undefined) return ['can only be set for deprecated versions'];
  if (warning === undefined) return [];
  const errors: string[] = [];
  if (byteLength(warning) > 256) errors.push('must be <= 256 characters long');
  if (warning.length === 0) errors.push('must not be an empty string');
  let offset = 0;
  for (const ch of warning) {
    if (/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(ch) || (/\p{Zs}/u.test(ch) && ch !== ' ')) {
      errors.push(`must only contain printable UTF-8 characters; non-printable character found at index ${offset}`);
      break;
    }
    offset += byteLength(ch);
  }
  return errors;
}

/** A path the scale subresource reads: it must be a simple dotted JSON path. */
function simpleJsonPathError(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (!path.startsWith('.')) return 'must be a simple json path starting with .';
  return undefined;
}

function validateSubresources(subresources: CustomResourceDefinitionVersion['subresources'], path: string): StatusCause[] {
  const scale = subresources?.scale;
  if (!scale) return [];
  const causes: StatusCause[] = [];
  const checkPath = (field: 'specReplicasPath' | 'statusReplicasPath', under: string, detail: string) => {
    const value = scale[field];
    const at = `${path}.scale.${field}`;
    if (!value) {
      causes.push(fieldError.required(at));
      return;
    }
    const error = simpleJsonPathError(value);
    if (error) causes.push(fieldError.invalid(at, value, error));
    else if (!value.startsWith(under)) causes.push(fieldError.invalid(at, value, detail));
  };
  checkPath('specReplicasPath', '.spec.', 'should be a json path under .spec');
  checkPath('statusReplicasPath', '.status.', 'should be a json path under .status');
  const selector = scale.labelSelectorPath;
  if (selector) {
    const at = `${path}.scale.labelSelectorPath`;
    const error = simpleJsonPathError(selector);
    if (error) causes.push(fieldError.invalid(at, selector, error));
    else if (!selector.startsWith('.spec.') && !selector.startsWith('.status.')) {
      causes.push(fieldError.invalid(at, selector, 'should be a json path under either .spec or .status'));
    }
  }
  return causes;
}

function validateColumn(column: CustomResourceColumnDefinition, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!column.name) causes.push(fieldError.required(child(path, 'name')));
  const types = `must be one of ${COLUMN_TYPES.join(',')}`;
  if (!column.type) causes.push(fieldError.required(child(path, 'type'), types));
  else if (!COLUMN_TYPES.includes(column.type)) causes.push(fieldError.invalid(child(path, 'type'), column.type, types));
  if (column.format && !COLUMN_FORMATS.includes(column.format)) {
    causes.push(fieldError.invalid(child(path, 'format'), column.format, `must be one of ${COLUMN_FORMATS.join(',')}`));
  }
  if (!column.jsonPath) causes.push(fieldError.required(child(path, 'jsonPath')));
  else {
    const error = simpleJsonPathError(column.jsonPath) ?? jsonPathError(column.jsonPath);
    if (error) causes.push(fieldError.invalid(child(path, 'jsonPath'), column.jsonPath, error));
  }
  return causes;
}

/** Field selectors may use up to 8 scalar fields outside metadata, named by simple JSON paths. */
function validateSelectableFields(fields: { jsonPath: string }[], schema: JSONSchemaProps, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const unique = new Set<string>();
  fields.forEach((f, i) => {
    const at = child(index(path, i), 'jsonPath');
    if (!f.jsonPath) {
      causes.push(fieldError.required(at));
      return;
    }
    const segments = f.jsonPath.startsWith('.') ? f.jsonPath.slice(1).split('.') : [];
    let target: JSONSchemaProps | undefined = segments.length > 0 ? schema : undefined;
    for (const segment of segments) target = segment ? ownValue(target?.properties, segment) : undefined;
    if (!target) {
      causes.push(fieldError.invalid(at, f.jsonPath, `is an invalid path: ${segments.length === 0 ? 'must start with a dot' : 'does not refer to a field of the schema'}`));
      return;
    }
    if (segments[0] === 'metadata') causes.push(fieldError.invalid(at, f.jsonPath, 'must not point to fields in metadata'));
    if (target.type !== 'string' && target.type !== 'boolean' && target.type !== 'integer') {
      causes.push(fieldError.invalid(at, f.jsonPath, 'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'));
    }
    if (unique.has(f.jsonPath)) causes.push(fieldError.duplicate(at, f.jsonPath));
    unique.add(f.jsonPath);
  });
  if (unique.size > MAX_SELECTABLE_FIELDS) causes.push(fieldError.tooMany(path, unique.size, MAX_SELECTABLE_FIELDS));
  return causes;
}

function validateNames(names: Partial<CustomResourceDefinitionNames>, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['plural', 'singular'] as const) {
    const value = names[field];
    const errs = value ? isDns1035Label(value) : [];
    if (errs.length > 0) causes.push(fieldError.invalid(child(path, field), value, errs.join(',')));
  }
  for (const field of ['kind', 'listKind'] as const) {
    const value = names[field];
    const errs = value ? isDns1035Label(value.toLowerCase()) : [];
    if (errs.length > 0) causes.push(fieldError.invalid(child(path, field), value, `may have mixed case, but should otherwise match: ${errs.join(',')}`));
  }
  (names.shortNames ?? []).forEach((shortName, i) => {
    const errs = isDns1035Label(shortName);
    if (errs.length > 0) causes.push(fieldError.invalid(index(child(path, 'shortNames'), i), shortName, errs.join(',')));
  });
  if (names.kind && names.kind === names.listKind) causes.push(fieldError.invalid(child(path, 'listKind'), names.listKind, 'kind and listKind may not be the same'));
  (names.categories ?? []).forEach((category, i) => {
    const errs = isDns1035Label(category);
    if (errs.length > 0) causes.push(fieldError.invalid(index(child(path, 'categories'), i), category, errs.join(',')));
  });
  return causes;
}

/** Only strategy None is served: objects of every version share one schema-less conversion. */
function validateConversion(conversion: CustomResourceDefinition['spec']['conversion'], path: string): StatusCause[] {
  if (!conversion) return [];
  const causes: StatusCause[] = [];
  if (!conversion.strategy) causes.push(fieldError.required(child(path, 'strategy')));
  else if (conversion.strategy !== 'None') causes.push(fieldError.notSupported(child(path, 'strategy'), conversion.strategy, ['None']));
  if (conversion.strategy === 'None' && conversion.webhook) {
    causes.push(fieldError.forbidden(child(path, 'webhook'), 'should not be set when strategy is not set to Webhook'));
  }
  return causes;
}

/**
 * Every version that was ever a storage version stays in spec.versions until it is removed from
 * status.storedVersions (after a storage migration). The current storage version counts as stored.
 */
function validateStoredVersions(storedVersions: string[], versions: CustomResourceDefinitionVersion[]): StatusCause[] {
  const storage = versions.find((v) => v.storage)?.name;
  const stored = storage && !storedVersions.includes(storage) ? [...storedVersions, storage] : storedVersions;
  if (stored.length === 0) return [fieldError.invalid('status.storedVersions', stored, 'must have at least one stored version')];
  const names = new Set(versions.map((v) => v.name));
  const causes: StatusCause[] = [];
  stored.forEach((v, i) => {
    if (names.has(v)) return;
    causes.push(fieldError.invalid(index('status.storedVersions', i), v,
      `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`));
  });
  return causes;
}

/** Groups under k8s.io and kubernetes.io belong to the Kubernetes project and need its approval. */
function validateApiApproval(group: string, annotations: Record<string, string> | undefined): StatusCause[] {
  const isProtected = group === 'k8s.io' || group.endsWith('.k8s.io') || group === 'kubernetes.io' || group.endsWith('.kubernetes.io');
  if (!isProtected) return [];
  const annotation = annotations?.[API_APPROVAL_ANNOTATION] ?? '';
  const path = `metadata.annotations[${API_APPROVAL_ANNOTATION}]`;
  if (annotation === '') {
    return [fieldError.required(path, `protected groups must have approval annotation "${API_APPROVAL_ANNOTATION}", see https://github.com/kubernetes/enhancements/pull/1111`)];
  }
  if (annotation.startsWith('unapproved')) return [];
  try {
    const url = new URL(annotation);
    if (url.host && url.protocol) return [];
  } catch {
    // not a URL: reported below
  }
  return [fieldError.invalid(path, annotation, `protected groups must have approval annotation "${API_APPROVAL_ANNOTATION}" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`)];
}
