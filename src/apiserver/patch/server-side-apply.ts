// Server-side apply: merges an applied configuration into the live object, gives the applier
// ownership of exactly the fields it applied, removes fields it applied before and has now
// dropped (unless someone else owns them), and refuses to change fields other managers own
// unless forced, reporting each such field as Kubernetes does.
import type { KubeObject, ManagedFieldsEntry, StatusCause } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { ApiError, errors } from '../errors.ts';
import { FieldSet, pathToString, type FieldPath } from './field-set.ts';
import { canonicalJson, isJsonObject, jsonEqual, type JsonObject } from './json-value.ts';
import {
  decodeManagedFields, describeManager, encodeManagedFields, managerId, recordUpdate, resetPredicate,
  withoutManagedFields, withoutServerOwned, type ManagerEntry, type Managers,
} from './managed-fields.ts';
import { rootType } from './schema-shape.ts';
import { compareValues, fieldsOf, FieldPathError, mergeValues, removeFields, withNamedParents } from './typed-value.ts';
import { decodeJson } from '../decode/json.ts';

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
  /** RFC 3339 time of the write. */
  time: string;
  subresource?: string;
  /** As UpdateOptions.resetFields. */
  resetFields?: string[];
}

export interface ApplyResult {
  object: KubeObject;
  managedFields: ManagedFieldsEntry[] | undefined;
}

/** The annotation client-side apply keeps its last applied configuration in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The manager name `kubectl apply --server-side` uses; it may take over from client-side apply. */
const KUBECTL_MANAGER = 'kubectl';

interface Conflict { manager: ManagerEntry; id: string; path: FieldPath }

class ApplyConflicts extends Error {
  readonly conflicts: Conflict[];

  constructor(conflicts: Conflict[]) {
    super('apply conflicts');
    this.conflicts = conflicts;
  }
}

/**
 * Applies `applied` (a partial object: apiVersion, kind, metadata.name and the fields the manager
 * wants) on top of `live` (undefined when the apply creates the object). Returns the new object
 * with its managedFields; throws ApiError 409 listing the conflicts, or 400 for a bad configuration.
 */
export function serverSideApply(live: KubeObject | undefined, applied: KubeObject, opts: ApplyOptions, schema: JSONSchemaProps | undefined): ApplyResult {
  checkConfiguration(applied, opts);
  try {
    try {
      return withLastAppliedUpdated(live, applied, applyOnce(live, applied, opts, schema, opts.force), opts);
    } catch (err) {
      if (!(err instanceof ApplyConflicts)) throw err;
      // kubectl taking over from client-side apply may take the fields its last-applied annotation
      // says it set, as long as they still hold those values.
      const allowed = opts.manager === KUBECTL_MANAGER ? fieldsFromLastApplied(live, opts.apiVersion, schema) : undefined;
      const remaining = allowed ? err.conflicts.filter((c) => !allowed.has(c.path)) : err.conflicts;
      if (remaining.length > 0) throw conflictError(remaining);
      return withLastAppliedUpdated(live, applied, applyOnce(live, applied, opts, schema, true), opts);
    }
  } catch (err) {
    if (err instanceof FieldPathError) throw errors.badRequest(`failed to create typed patch object: ${err.message}`);
    throw err;
  }
}

function checkConfiguration(applied: KubeObject, opts: ApplyOptions): void {
  if (!isJsonObject(applied)) throw errors.badRequest('the apply configuration must be an object');
  if (applied.metadata !== undefined && !isJsonObject(applied.metadata)) throw errors.badRequest('metadata must be an object');
  if (applied.metadata?.managedFields !== undefined && applied.metadata.managedFields !== null) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  if (applied.apiVersion !== opts.apiVersion) {
    throw errors.badRequest(`Incorrect version specified in apply patch. Specified patch version: ${applied.apiVersion ?? ''}, expected: ${opts.apiVersion}`);
  }
}

function applyOnce(live: KubeObject | undefined, applied: KubeObject, opts: ApplyOptions, schema: JSONSchemaProps | undefined, force: boolean): ApplyResult {
  const managers = liveManagers(live);
  const liveValue = withoutManagedFields(live);
  const reset = resetPredicate(opts.subresource, opts.resetFields);
  if (live && managers.size === 0) {
    // Fields set before anyone tracked them belong to a stand-in, so an applier cannot silently take them.
    recordUpdate(managers, {}, liveValue, { manager: 'before-first-apply', apiVersion: opts.apiVersion, time: opts.time, subresource: opts.subresource, resetFields: opts.resetFields }, schema);
  }
  const config = withoutManagedFields(applied);
  const merged = mergeValues(liveValue, config, schema) as JsonObject;

  const entry: ManagerEntry = { manager: opts.manager, operation: 'Apply', apiVersion: opts.apiVersion, fields: fieldsOf(config, schema).withoutTopLevelFields(reset) };
  if (opts.subresource) entry.subresource = opts.subresource;
  const id = managerId(entry);
  const previous = managers.get(id);
  if (previous?.time) entry.time = previous.time;
  managers.set(id, entry);
  const result = previous ? prune(merged, managers, previous.fields, schema) : merged;

  const c = compareValues(liveValue, result, schema);
  const changed = c.modified.union(c.added).withoutTopLevelFields(reset);
  const removed = c.removed.withoutTopLevelFields(reset);
  const conflicts: Conflict[] = [];
  for (const [otherId, other] of managers) {
    if (otherId === id) continue;
    for (const path of other.fields.intersection(changed).paths()) conflicts.push({ manager: other, id: otherId, path });
  }
  if (conflicts.length > 0 && !force) throw new ApplyConflicts(conflicts);
  for (const [otherId, other] of managers) {
    if (otherId === id) continue;
    other.fields = other.fields.difference(changed).difference(removed);
    if (other.fields.isEmpty()) managers.delete(otherId);
  }
  entry.fields = withoutServerOwned(entry.fields);
  if (entry.fields.isEmpty()) managers.delete(id);

  const modified = !jsonEqual(liveValue, result);
  // Only a change to the object counts as the applier's latest write.
  if (modified) entry.time = opts.time;
  const object = (modified ? result : liveValue) as KubeObject;
  const managedFields = encodeManagedFields(managers);
  if (!isJsonObject(object.metadata)) object.metadata = {};
  if (managedFields) object.metadata.managedFields = managedFields;
  else delete object.metadata.managedFields;
  return { object, managedFields };
}

function liveManagers(live: KubeObject | undefined): Managers {
  try {
    return decodeManagedFields(live?.metadata?.managedFields);
  } catch (err) {
    throw errors.internal(`failed to decode managed fields: ${(err as Error).message}`);
  }
}

/**
 * Removes what the applier applied last time and has now dropped, unless some manager (the
 * applier included, through its new configuration) still owns it.
 */
function prune(merged: JsonObject, managers: Managers, lastApplied: FieldSet, schema: JSONSchemaProps | undefined): JsonObject {
  const t = rootType(schema);
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.fields);
  const dropped = withNamedParents(lastApplied, t).difference(withNamedParents(owned, t));
  return dropped.isEmpty() ? merged : (removeFields(merged, dropped, schema) as JsonObject);
}

function conflictError(conflicts: Conflict[]): ApiError {
  const ordered = [...conflicts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const causes: StatusCause[] = ordered.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: pathToString(c.path),
  }));
  let message: string;
  if (ordered.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(ordered[0].manager)}: ${pathToString(ordered[0].path)}`;
  } else {
    const lines: string[] = [];
    let lastId: string | undefined;
    for (const c of ordered) {
      if (c.id !== lastId) lines.push(`conflicts with ${describeManager(c.manager)}:`);
      lastId = c.id;
      lines.push(`- ${pathToString(c.path)}`);
    }
    message = `Apply failed with ${ordered.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

function lastAppliedOf(obj: KubeObject | undefined): string | undefined {
  const value = obj?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The fields client-side apply last set that still hold the values it set. */
function fieldsFromLastApplied(live: KubeObject | undefined, apiVersion: string, schema: JSONSchemaProps | undefined): FieldSet | undefined {
  const text = lastAppliedOf(live);
  if (!text) return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = decodeJson(text).value;
  } catch {
    return undefined;
  }
  if (!isJsonObject(lastApplied) || lastApplied.apiVersion !== apiVersion) return undefined;
  try {
    const c = compareValues(lastApplied, withoutManagedFields(live), schema);
    return fieldsOf(lastApplied, schema).difference(c.modified).difference(c.added).difference(c.removed);
  } catch (err) {
    if (err instanceof FieldPathError) return undefined;
    throw err;
  }
}

/**
 * Once kubectl applies server-side, an object that still carries client-side apply's annotation
 * gets it rewritten to the configuration just applied, so both kinds of apply agree.
 */
function withLastAppliedUpdated(live: KubeObject | undefined, applied: KubeObject, result: ApplyResult, opts: ApplyOptions): ApplyResult {
  if (opts.manager !== KUBECTL_MANAGER || !lastAppliedOf(live)) return result;
  const config = structuredClone(applied);
  const annotations = config.metadata?.annotations;
  if (annotations) {
    delete annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(annotations).length === 0) delete config.metadata.annotations;
  }
  const object = result.object;
  object.metadata.annotations = { ...object.metadata.annotations, [LAST_APPLIED_ANNOTATION]: `${canonicalJson(config)}\n` };
  return result;
}
