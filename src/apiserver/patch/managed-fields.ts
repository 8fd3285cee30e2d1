// managedFields bookkeeping: reading and writing the entries, telling managers apart as
// Kubernetes does, and recording which fields an ordinary write (create, update, patch) took.
import type { KubeObject, ManagedFieldsEntry } from '../../api/meta.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { FieldSet, field, type FieldPath } from './field-set.ts';
import { isJsonObject, type JsonObject } from './json-value.ts';
import { compareValues, FieldPathError } from './typed-value.ts';

/** One manager's claim: who, how (Apply or Update), at which version, and the fields. */
export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  fields: FieldSet;
}

/** Managers by identity (see managerId). */
export type Managers = Map<string, ManagerEntry>;

export interface UpdateOptions {
  manager: string;
  operation: 'Update';
  apiVersion: string;
  /** RFC 3339 time of the write, recorded on the manager's entry. */
  time: string;
  subresource?: string;
  /**
   * Top-level fields the registry resets on this write, so nobody gains or loses them here.
   * Default: `status` on the main resource; everything but `status` on the status subresource.
   */
  resetFields?: string[];
}

/** Most update managers kept; older ones are folded into "ancient-changes". */
const MAX_UPDATE_MANAGERS = 10;

/**
 * The identity of a manager: appliers are one manager whatever version they apply, updaters are
 * distinct per version. Spelled as the JSON Kubernetes uses, which also orders conflict reports.
 */
export function managerId(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const id: Record<string, string> = { manager: e.manager, operation: e.operation };
  if (e.operation === 'Update' && e.apiVersion) id.apiVersion = e.apiVersion;
  if (e.subresource) id.subresource = e.subresource;
  return JSON.stringify(id);
}

/** How a manager is named in conflict messages: `"kubectl"`, `"x" with subresource "status" using v1`. */
export function describeManager(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let text = JSON.stringify(e.manager);
  if (e.subresource) text += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') text += ` using ${e.apiVersion}`;
  return text;
}

/** Reads managedFields; throws an Error naming the bad entry. */
export function decodeManagedFields(entries: ManagedFieldsEntry[] | undefined): Managers {
  const managers: Managers = new Map();
  (entries ?? []).forEach((e, i) => {
    if (!isJsonObject(e as unknown)) throw new Error(`managed fields entry ${i} must be an object`);
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error(`managed fields entry ${i}: operation must be \`Apply\` or \`Update\``);
    if (!e.apiVersion) throw new Error(`managed fields entry ${i}: apiVersion must not be empty`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(e.fieldsType ? `invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}` : `missing fieldsType in managed fields entry ${i}`);
    let fields: FieldSet;
    try {
      fields = FieldSet.fromFieldsV1(e.fieldsV1 ?? {});
    } catch (err) {
      throw new Error(`managed fields entry ${i}: ${(err as Error).message}`);
    }
    const entry: ManagerEntry = { manager: e.manager ?? '', operation: e.operation, apiVersion: e.apiVersion, fields };
    if (e.subresource) entry.subresource = e.subresource;
    if (e.time) entry.time = e.time;
    managers.set(managerId(entry), entry);
  });
  return managers;
}

const seconds = (time: string | undefined) => (time ? Math.floor(Date.parse(time) / 1000) || 0 : 0);

/** Writes managedFields in Kubernetes' order: appliers first, then oldest first. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] | undefined {
  if (managers.size === 0) return undefined;
  const entries = [...managers.values()].sort((a, b) =>
    compareStrings(a.operation, b.operation) || seconds(a.time) - seconds(b.time) || compareStrings(a.manager, b.manager)
    || compareStrings(a.apiVersion, b.apiVersion) || compareStrings(a.subresource ?? '', b.subresource ?? ''));
  return entries.map((e) => {
    const out: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time) out.time = e.time;
    out.fieldsType = 'FieldsV1';
    out.fieldsV1 = e.fields.toFieldsV1();
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Fields no manager owns: identity and bookkeeping the server sets itself. */
const SERVER_OWNED: FieldSet = FieldSet.of(
  [field('apiVersion')], [field('kind')], [field('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map((name): FieldPath => [field('metadata'), field(name)]),
);

export function withoutServerOwned(fields: FieldSet): FieldSet {
  return fields.difference(SERVER_OWNED);
}

/** Which top-level fields a write resets (see UpdateOptions.resetFields). */
export function resetPredicate(subresource: string | undefined, resetFields: string[] | undefined): (name: string) => boolean {
  if (resetFields) return (name) => resetFields.includes(name);
  if (subresource === 'status') return (name) => name !== 'status';
  return (name) => name === 'status';
}

/** The object's content as field management sees it: without the managedFields themselves. */
export function withoutManagedFields(obj: KubeObject | undefined): JsonObject {
  if (!obj) return {};
  const copy = structuredClone(obj) as JsonObject;
  if (isJsonObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

/** A read-only view of the object without managedFields: shares everything else with `obj`. */
function viewWithoutManagedFields(obj: KubeObject | undefined): JsonObject {
  if (!obj) return {};
  if (!isJsonObject(obj.metadata) || !('managedFields' in obj.metadata)) return obj as unknown as JsonObject;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata } as unknown as JsonObject;
}

/** True for `managedFields: []` or `[{}]`: a client asking to clear all managed fields. */
function isResetRequest(entries: ManagedFieldsEntry[] | undefined): boolean {
  if (!Array.isArray(entries)) return false;
  return entries.length === 0 || (entries.length === 1 && isJsonObject(entries[0]) && Object.keys(entries[0]).length === 0);
}

/** The managers a write starts from: those the client sent, if it sent any, else the live ones. */
function startingManagers(live: KubeObject | undefined, next: KubeObject, subresource: string | undefined): Managers {
  const fromLive = () => decodeOrEmpty(live?.metadata?.managedFields);
  // Subresource writes cannot set managedFields.
  if (subresource) return fromLive();
  const sent = next.metadata?.managedFields;
  if (isResetRequest(sent)) return new Map();
  const managers = decodeOrEmpty(sent);
  return managers.size > 0 ? managers : fromLive();
}

function decodeOrEmpty(entries: ManagedFieldsEntry[] | undefined): Managers {
  try {
    return decodeManagedFields(entries);
  } catch {
    return new Map();
  }
}

/**
 * The managedFields after an ordinary write (create, update or a non-apply patch) by one manager:
 * the manager takes every field the write added or changed, and every other manager loses those
 * fields and the fields the write removed. Returns undefined when nobody manages anything.
 */
export function updateManagedFields(live: KubeObject | undefined, next: KubeObject, opts: UpdateOptions, schema: JSONSchemaProps | undefined): ManagedFieldsEntry[] | undefined {
  const managers = startingManagers(live, next, opts.subresource);
  // An existing object whose managedFields were cleared stays untracked until someone applies.
  if (live && managers.size === 0) return undefined;
  try {
    // recordUpdate only compares: views are enough, no copies.
    recordUpdate(managers, viewWithoutManagedFields(live), viewWithoutManagedFields(next), opts, schema);
  } catch (err) {
    // A value managedFields cannot describe (validation rejects it) keeps the previous record.
    if (err instanceof FieldPathError) return live?.metadata?.managedFields;
    throw err;
  }
  return encodeManagedFields(managers);
}

/** Applies one Update operation to `managers` in place. */
export function recordUpdate(managers: Managers, prev: JsonObject, next: JsonObject, opts: Omit<UpdateOptions, 'operation'>, schema: JSONSchemaProps | undefined): void {
  const reset = resetPredicate(opts.subresource, opts.resetFields);
  const c = compareValues(prev, next, schema);
  const changed = c.modified.union(c.added).withoutTopLevelFields(reset);
  const removed = c.removed.withoutTopLevelFields(reset);
  for (const [id, m] of managers) {
    m.fields = m.fields.difference(changed).difference(removed);
    if (m.fields.isEmpty()) managers.delete(id);
  }
  const taken = withoutServerOwned(changed);
  if (!taken.isEmpty()) {
    const entry: ManagerEntry = { manager: opts.manager || 'unknown', operation: 'Update', apiVersion: opts.apiVersion, fields: taken, time: opts.time };
    if (opts.subresource) entry.subresource = opts.subresource;
    const id = managerId(entry);
    const previous = managers.get(id);
    if (previous) entry.fields = previous.fields.union(taken);
    managers.set(id, entry);
  }
  capUpdateManagers(managers);
}

/** Folds the oldest update managers of a version together so that at most ten remain. */
function capUpdateManagers(managers: Managers): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort(([ia, a], [ib, b]) => seconds(a.time) - seconds(b.time) || compareStrings(ia, ib));
  const firstOfVersion = new Map<string, string>();
  let remaining = updaters.length;
  for (const [id, m] of updaters) {
    if (remaining <= MAX_UPDATE_MANAGERS) break;
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, id);
      continue;
    }
    const bucket: ManagerEntry = { manager: 'ancient-changes', operation: 'Update', apiVersion: m.apiVersion, fields: new FieldSet() };
    const bucketId = managerId(bucket);
    const existing = managers.get(bucketId);
    if (existing) bucket.fields = existing.fields;
    else {
      bucket.fields = managers.get(first)?.fields ?? new FieldSet();
      managers.delete(first);
    }
    bucket.fields = bucket.fields.union(m.fields);
    bucket.time = m.time;
    managers.delete(id);
    managers.set(bucketId, bucket);
    remaining--;
  }
}
