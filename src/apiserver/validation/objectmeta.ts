// metadata validation shared by every kind, built-in or custom, with Kubernetes' rules and
// messages: name and generateName by the kind's name rule, namespace presence by scope, labels,
// annotations (keys and total size), owner references, finalizers and managedFields. The body
// comes from a client, so every field's JSON type is checked before its content.
import type { StatusCause } from '../../api/meta.ts';
import { parseApiVersion } from '../../api/meta.ts';
import { byteLength, child, fieldError, goQuote, index, isRecord } from './field.ts';
import { isDns1123Label, isLabelValue, isQualifiedName, nameErrors, type NameRule } from './names.ts';

export type { NameRule } from './names.ts';

export interface ObjectMetaRules {
  /** Namespaced kinds require metadata.namespace; cluster-scoped kinds forbid it. */
  namespaced: boolean;
  nameRule: NameRule;
}

/** Kubernetes' limit on the summed length of all annotation keys and values. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const FIELD_MANAGER_MAX_LENGTH = 128;
const SUBRESOURCE_MAX_LENGTH = 256;
const ORPHAN_FINALIZER = 'orphan';
const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** Reads metadata fields, recording a type error (and returning undefined) for a wrong JSON type. */
class MetaReader {
  readonly causes: StatusCause[] = [];
  readonly meta: Record<string, unknown>;
  readonly path: string;

  constructor(meta: Record<string, unknown>, path: string) {
    this.meta = meta;
    this.path = path;
  }

  string(field: string): string | undefined {
    return this.typed(field, 'string', (v): v is string => typeof v === 'string');
  }

  integer(field: string): number | undefined {
    return this.typed(field, 'integer', (v): v is number => Number.isInteger(v));
  }

  stringMap(field: string): Record<string, string> | undefined {
    return this.typed(field, 'object', (v): v is Record<string, string> =>
      isRecord(v) && Object.values(v).every((x) => typeof x === 'string'), 'must be an object of strings');
  }

  stringList(field: string): string[] | undefined {
    return this.typed(field, 'array', (v): v is string[] =>
      Array.isArray(v) && v.every((x) => typeof x === 'string'), 'must be an array of strings');
  }

  objectList(field: string): Record<string, unknown>[] | undefined {
    return this.typed(field, 'array', (v): v is Record<string, unknown>[] =>
      Array.isArray(v) && v.every(isRecord), 'must be an array of objects');
  }

  private typed<T>(field: string, type: string, is: (v: unknown) => v is T, detail = `must be of type ${type}`): T | undefined {
    const value = this.meta[field];
    if (value === undefined || value === null) return undefined;
    if (is(value)) return value;
    this.causes.push(fieldError.typeInvalid(child(this.path, field), value, detail));
    return undefined;
  }
}

/**
 * Validates an object's metadata as Kubernetes does on create (and, minus the update rules in
 * validateObjectMetaUpdate, on update). `path` is where the metadata sits, "metadata" at the root.
 */
export function validateObjectMeta(meta: unknown, rules: ObjectMetaRules, path = 'metadata'): StatusCause[] {
  if (!isRecord(meta)) return [fieldError.typeInvalid(path, meta, 'must be of type object')];
  const read = new MetaReader(meta, path);
  const causes = read.causes;

  const generateName = read.string('generateName');
  if (generateName) {
    for (const msg of nameErrors(rules.nameRule, generateName, true)) causes.push(fieldError.invalid(child(path, 'generateName'), generateName, msg));
  }
  const name = read.string('name');
  if (!name) {
    if (meta.name === undefined || meta.name === null || meta.name === '') causes.push(fieldError.required(child(path, 'name'), 'name or generateName is required'));
  } else {
    for (const msg of nameErrors(rules.nameRule, name, false)) causes.push(fieldError.invalid(child(path, 'name'), name, msg));
  }

  const namespace = read.string('namespace');
  if (rules.namespaced) {
    if (!namespace) {
      if (meta.namespace === undefined || meta.namespace === null || meta.namespace === '') causes.push(fieldError.required(child(path, 'namespace')));
    } else {
      for (const msg of isDns1123Label(namespace)) causes.push(fieldError.invalid(child(path, 'namespace'), namespace, msg));
    }
  } else if (meta.namespace !== undefined && meta.namespace !== null && meta.namespace !== '') {
    causes.push(fieldError.forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }

  for (const field of ['uid', 'resourceVersion', 'selfLink', 'creationTimestamp', 'deletionTimestamp']) read.string(field);
  read.integer('deletionGracePeriodSeconds');
  const generation = read.integer('generation');
  if (generation !== undefined && generation < 0) causes.push(fieldError.invalid(child(path, 'generation'), generation, 'must be greater than or equal to 0'));

  causes.push(...validateLabels(read.stringMap('labels'), child(path, 'labels')));
  causes.push(...validateAnnotations(read.stringMap('annotations'), child(path, 'annotations')));
  causes.push(...validateOwnerReferences(read.objectList('ownerReferences'), child(path, 'ownerReferences')));
  causes.push(...validateFinalizers(read.stringList('finalizers'), child(path, 'finalizers')));
  causes.push(...validateManagedFields(read.objectList('managedFields'), child(path, 'managedFields')));
  return causes;
}

/**
 * What an update adds to validateObjectMeta: identity and timestamps are immutable, generation
 * never decreases, and an object being deleted takes no new finalizers.
 */
export function validateObjectMetaUpdate(meta: unknown, old: unknown, path = 'metadata'): StatusCause[] {
  if (!isRecord(meta) || !isRecord(old)) return [];
  const causes: StatusCause[] = [];
  if (old.deletionTimestamp) {
    const before = new Set(Array.isArray(old.finalizers) ? old.finalizers : []);
    const added = [...new Set(Array.isArray(meta.finalizers) ? meta.finalizers : [])].filter((f) => !before.has(f)).sort();
    if (added.length > 0) {
      causes.push(fieldError.forbidden(child(path, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => goQuote(String(f))).join(', ')}}`));
    }
  }
  if (typeof meta.generation === 'number' && typeof old.generation === 'number' && meta.generation < old.generation) {
    causes.push(fieldError.invalid(child(path, 'generation'), meta.generation, 'must not be decremented'));
  }
  const stringFields = ['name', 'namespace', 'uid', 'creationTimestamp'];
  for (const field of [...stringFields, 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
    const now = meta[field] ?? null;
    if (now !== (old[field] ?? null)) {
      // Go compares zero values: an absent string field is "", an absent pointer is null.
      const shown = now === null && stringFields.includes(field) ? '' : now;
      causes.push(fieldError.invalid(child(path, field), shown, 'field is immutable'));
    }
  }
  return causes;
}

export function validateLabels(labels: Record<string, string> | undefined, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) causes.push(fieldError.invalid(path, k, msg));
    for (const msg of isLabelValue(v)) causes.push(fieldError.invalid(path, v, msg));
  }
  return causes;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) causes.push(fieldError.invalid(path, k, msg));
    total += byteLength(k) + byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) causes.push(fieldError.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

function validateOwnerReferences(refs: Record<string, unknown>[] | undefined, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let firstController = '';
  (refs ?? []).forEach((ref, i) => {
    const at = index(path, i);
    const read = new MetaReader(ref, at);
    const apiVersion = read.string('apiVersion');
    const kind = read.string('kind');
    const name = read.string('name');
    const uid = read.string('uid');
    const controller = ref.controller;
    if (controller !== undefined && controller !== null && typeof controller !== 'boolean') causes.push(fieldError.typeInvalid(child(at, 'controller'), controller, 'must be of type boolean'));
    const blocks = ref.blockOwnerDeletion;
    if (blocks !== undefined && blocks !== null && typeof blocks !== 'boolean') causes.push(fieldError.typeInvalid(child(at, 'blockOwnerDeletion'), blocks, 'must be of type boolean'));
    causes.push(...read.causes);

    if (!apiVersion) {
      if (!isPresent(ref.apiVersion)) causes.push(fieldError.required(child(at, 'apiVersion'), 'must not be empty'));
    } else if (!isValidApiVersion(apiVersion)) {
      causes.push(fieldError.invalid(child(at, 'apiVersion'), apiVersion, 'must be <group>/<version> or <version>'));
    }
    if (!kind && !isPresent(ref.kind)) causes.push(fieldError.required(child(at, 'kind'), 'must not be empty'));
    if (!name && !isPresent(ref.name)) causes.push(fieldError.required(child(at, 'name'), 'must not be empty'));
    if (!uid && !isPresent(ref.uid)) causes.push(fieldError.required(child(at, 'uid'), 'must not be empty'));
    if (apiVersion === 'v1' && kind === 'Event') causes.push(fieldError.invalid(at, ref, '/v1, Kind=Event is disallowed from being an owner'));

    if (controller === true) {
      const current = `${kind ?? ''}/${name ?? ''}`;
      if (firstController) {
        causes.push(fieldError.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`));
      } else {
        firstController = current;
      }
    }
  });
  return causes;
}

const isPresent = (v: unknown) => v !== undefined && v !== null && v !== '';

/** "v1" or "group/version", with no more than one slash and no empty part. */
function isValidApiVersion(apiVersion: string): boolean {
  if (apiVersion.split('/').length > 2) return false;
  const { group, version } = parseApiVersion(apiVersion);
  return version.length > 0 && (!apiVersion.includes('/') || group.length > 0);
}

function validateFinalizers(finalizers: string[] | undefined, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const f of finalizers ?? []) {
    for (const msg of isQualifiedName(f)) causes.push(fieldError.invalid(path, f, msg));
  }
  if (finalizers?.includes(ORPHAN_FINALIZER) && finalizers.includes(FOREGROUND_FINALIZER)) {
    causes.push(fieldError.invalid(path, finalizers, `finalizer ${ORPHAN_FINALIZER} and ${FOREGROUND_FINALIZER} cannot be both set`));
  }
  return causes;
}

function validateManagedFields(entries: Record<string, unknown>[] | undefined, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  (entries ?? []).forEach((entry, i) => {
    const at = index(path, i);
    const read = new MetaReader(entry, at);
    const operation = read.string('operation');
    const fieldsType = read.string('fieldsType');
    const manager = read.string('manager');
    const subresource = read.string('subresource');
    read.string('apiVersion');
    read.string('time');
    causes.push(...read.causes);
    if (!operation) {
      if (!isPresent(entry.operation)) causes.push(fieldError.required(child(at, 'operation'), 'must not be empty'));
    } else if (operation !== 'Apply' && operation !== 'Update') {
      causes.push(fieldError.notSupported(child(at, 'operation'), operation, ['Apply', 'Update']));
    }
    if (fieldsType && fieldsType !== 'FieldsV1') causes.push(fieldError.invalid(child(at, 'fieldsType'), fieldsType, 'must be `FieldsV1`'));
    if (manager && byteLength(manager) > FIELD_MANAGER_MAX_LENGTH) causes.push(fieldError.tooLong(child(at, 'manager'), FIELD_MANAGER_MAX_LENGTH));
    if (subresource && byteLength(subresource) > SUBRESOURCE_MAX_LENGTH) causes.push(fieldError.tooLong(child(at, 'subresource'), SUBRESOURCE_MAX_LENGTH));
  });
  return causes;
}
