// Query parameters read as Kubernetes reads them, in one place for every route. Kubernetes decodes
// a query into its option structs (ListOptions, CreateOptions, PatchOptions, DeleteOptions,
// TableOptions, PodLogOptions) with apimachinery's string conversions, then validates the struct:
//   - a parameter's first value counts; parameters no option knows are ignored;
//   - booleans: "false" (any case) and "0" are false, every other value (even empty, "f", "no")
//     is true, an absent parameter is false (runtime.Convert_Slice_string_To_bool);
//   - integers: Go's strconv.ParseInt in base 10, else 400 with Go's message;
//   - the request `timeout` is a Go duration (time.ParseDuration), else 400;
//   - an invalid combination is 422 Invalid, naming the option struct (e.g. ListOptions.meta.k8s.io).
import { errors } from '../errors.ts';
import type { FieldValidation, DeleteOptions, PatchType } from '../registry/store.ts';
import { parseDuration } from '../../common/duration.ts';
import { fieldError, goQuote } from '../validation/field.ts';
import type { StatusCause } from '../../api/meta.ts';
import type { IncludeObject } from '../table.ts';

const META_GROUP = 'meta.k8s.io';
const INT64_MAX = 2n ** 63n - 1n;
const FIELD_MANAGER_MAX_LENGTH = 128;
const FIELD_VALIDATION_VALUES = ['', 'Ignore', 'Strict', 'Warn'];

/** A boolean parameter's value by Kubernetes' conversion; undefined when the parameter is absent. */
export function parseBool(value: string | null | undefined): boolean | undefined {
  if (value === null || value === undefined) return undefined;
  return !(value === '0' || value.toLowerCase() === 'false');
}

/** Go's strconv.ParseInt(value, 10, 64), as a number; throws 400 with Go's message. */
export function parseInt64(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw errors.badRequest(`strconv.ParseInt: parsing ${goQuote(value)}: invalid syntax`);
  const n = BigInt(value);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) throw errors.badRequest(`strconv.ParseInt: parsing ${goQuote(value)}: value out of range`);
  return Number(n);
}

/** The query of one request, read with Kubernetes' conversions. */
export class Query {
  private readonly params: URLSearchParams;

  constructor(params: URLSearchParams) {
    this.params = params;
  }

  /** The first value, or undefined when absent. */
  string(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  /** A string option that is unset when empty (Kubernetes' options cannot tell "" from absent). */
  nonEmpty(name: string): string | undefined {
    return this.params.get(name) || undefined;
  }

  strings(name: string): string[] {
    return this.params.getAll(name);
  }

  bool(name: string): boolean {
    return parseBool(this.params.get(name)) ?? false;
  }

  /** A *bool option: undefined when absent. */
  optionalBool(name: string): boolean | undefined {
    return parseBool(this.params.get(name));
  }

  /** An *int64 option: undefined when absent. */
  int64(name: string): number | undefined {
    const value = this.params.get(name);
    return value === null ? undefined : parseInt64(value);
  }
}

function invalidOptions(kind: string, causes: StatusCause[]): void {
  if (causes.length > 0) throw errors.invalid({ group: META_GROUP, kind, name: '' }, causes);
}

// ---------------------------------------------------------------------------------------------
// ListOptions (list and watch).

export interface ListQuery {
  watch: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  /** Undefined or 0: no limit (as Kubernetes, a negative limit is no limit either). */
  limit?: number;
  continue?: string;
}

/** ListOptions, validated as ValidateListOptions does (the watch form when `watch`). */
export function listOptions(q: Query, watch: boolean): ListQuery {
  const opts: ListQuery = {
    watch,
    labelSelector: q.nonEmpty('labelSelector'),
    fieldSelector: q.nonEmpty('fieldSelector'),
    resourceVersion: q.nonEmpty('resourceVersion'),
    allowWatchBookmarks: q.bool('allowWatchBookmarks'),
    sendInitialEvents: q.optionalBool('sendInitialEvents'),
    timeoutSeconds: q.int64('timeoutSeconds'),
    limit: q.int64('limit'),
    continue: q.nonEmpty('continue'),
  };
  const match = q.nonEmpty('resourceVersionMatch');
  const causes: StatusCause[] = [];
  const path = 'resourceVersionMatch';
  if (watch) {
    if (opts.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      causes.push(fieldError.forbidden(path, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
    if (match !== undefined) {
      if (opts.sendInitialEvents === undefined) causes.push(fieldError.forbidden(path, 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') causes.push(fieldError.notSupported(path, match, ['NotOlderThan']));
      if (opts.continue) causes.push(fieldError.forbidden(path, 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match !== undefined) {
      if (!opts.resourceVersion) causes.push(fieldError.forbidden(path, 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      if (opts.continue) causes.push(fieldError.forbidden(path, 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') causes.push(fieldError.notSupported(path, match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && opts.resourceVersion === '0') causes.push(fieldError.forbidden(path, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
    if (opts.sendInitialEvents !== undefined) causes.push(fieldError.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  invalidOptions('ListOptions', causes);
  if (match === 'Exact' || match === 'NotOlderThan') opts.resourceVersionMatch = match;
  return opts;
}

// ---------------------------------------------------------------------------------------------
// CreateOptions, UpdateOptions, PatchOptions.

export interface WriteQuery {
  dryRun: boolean;
  /** As the client sent it; empty when it sent none. */
  fieldManager: string;
  fieldValidation?: FieldValidation;
  /** PatchOptions.force; undefined when absent. */
  force?: boolean;
}

function validateDryRun(dryRun: string[]): StatusCause[] {
  return dryRun.every((d) => d === 'All') ? [] : [fieldError.notSupported('dryRun', dryRun, ['All'])];
}

function validateFieldManager(manager: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (Buffer.byteLength(manager) > FIELD_MANAGER_MAX_LENGTH) causes.push(fieldError.tooLong('fieldManager', FIELD_MANAGER_MAX_LENGTH));
  let position = 0;
  for (const ch of manager) {
    if (/[\p{C}\p{Z}]/u.test(ch) && ch !== ' ') {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      causes.push(fieldError.invalid('fieldManager', manager, `invalid character U+${code} (at position ${position})`));
    }
    position += Buffer.byteLength(ch);
  }
  return causes;
}

/** CreateOptions or UpdateOptions, or PatchOptions when `patchType` is given. */
export function writeOptions(q: Query, kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions', patchType?: PatchType): WriteQuery {
  const dryRun = q.strings('dryRun');
  const fieldManager = q.string('fieldManager') ?? '';
  const fieldValidation = q.string('fieldValidation') ?? '';
  const force = q.optionalBool('force');
  const causes: StatusCause[] = [];
  if (kind === 'PatchOptions') {
    if (patchType !== 'apply') {
      if (force !== undefined) causes.push(fieldError.forbidden('force', 'may not be specified for non-apply patch'));
    } else if (!fieldManager) {
      causes.push(fieldError.required('fieldManager', 'is required for apply patch'));
    }
  }
  causes.push(...validateFieldManager(fieldManager), ...validateDryRun(dryRun));
  if (!FIELD_VALIDATION_VALUES.includes(fieldValidation)) causes.push(fieldError.notSupported('fieldValidation', fieldValidation, FIELD_VALIDATION_VALUES));
  invalidOptions(kind, causes);
  return {
    dryRun: dryRun.length > 0, fieldManager, force,
    fieldValidation: (fieldValidation || undefined) as FieldValidation | undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// DeleteOptions: from the body when there is one, from the query otherwise (never both).

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

export function deleteOptions(q: Query, body: Record<string, unknown> | undefined): DeleteOptions {
  let grace: number | undefined;
  let policy: unknown;
  let orphan: boolean | undefined;
  let dryRun: string[];
  let preconditions: DeleteOptions['preconditions'];
  if (body) {
    const typed = <T>(field: string, is: (v: unknown) => v is T, type: string): T | undefined => {
      const v = body[field];
      if (v === undefined || v === null) return undefined;
      if (!is(v)) throw errors.badRequest(`json: cannot unmarshal ${typeof v} into Go struct field DeleteOptions.${field} of type ${type}`);
      return v;
    };
    grace = typed('gracePeriodSeconds', (v): v is number => Number.isInteger(v), 'int64');
    policy = typed('propagationPolicy', (v): v is string => typeof v === 'string', 'v1.DeletionPropagation');
    orphan = typed('orphanDependents', (v): v is boolean => typeof v === 'boolean', 'bool');
    dryRun = typed('dryRun', (v): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string'), '[]string') ?? [];
    const pre = typed('preconditions', (v): v is Record<string, unknown> => typeof v === 'object' && !Array.isArray(v), 'v1.Preconditions');
    if (pre) preconditions = { uid: typeof pre.uid === 'string' ? pre.uid : undefined, resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined };
  } else {
    grace = q.int64('gracePeriodSeconds');
    policy = q.string('propagationPolicy');
    orphan = q.optionalBool('orphanDependents');
    dryRun = q.strings('dryRun');
  }
  const causes: StatusCause[] = [];
  if (orphan !== undefined && policy !== undefined) causes.push(fieldError.invalid('propagationPolicy', policy, 'orphanDependents and deletionPropagation cannot be both set'));
  if (policy !== undefined && !PROPAGATION_POLICIES.includes(policy as string)) causes.push(fieldError.notSupported('propagationPolicy', policy, [...PROPAGATION_POLICIES, 'nil']));
  causes.push(...validateDryRun(dryRun));
  invalidOptions('DeleteOptions', causes);
  const opts: DeleteOptions = {};
  // Kubernetes treats a negative grace period as 1 second.
  if (grace !== undefined) opts.gracePeriodSeconds = grace < 0 ? 1 : grace;
  if (policy !== undefined) opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  if (orphan !== undefined) opts.orphanDependents = orphan;
  if (preconditions) opts.preconditions = preconditions;
  if (dryRun.length > 0) opts.dryRun = true;
  return opts;
}

// ---------------------------------------------------------------------------------------------
// TableOptions, the request timeout.

export function includeObject(q: Query): IncludeObject {
  const value = q.string('includeObject') ?? '';
  if (value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw errors.badRequest(`Unable to convert to Table as requested: includeObject: Invalid value: ${goQuote(value)}: must be 'Metadata', 'Object', 'None', or empty`);
}

/** The `timeout` parameter (a Go duration) in milliseconds, if given. */
export function requestTimeout(q: Query): number | undefined {
  const value = q.string('timeout');
  if (!value) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw errors.badRequest(`invalid timeout specified in the request URL: time: invalid duration ${goQuote(value)}`);
  return ms;
}
