// The generic REST store: create, read, update, patch, delete and watch for any resource, with
// Kubernetes' metadata semantics (uid, generateName, resourceVersion preconditions, generation,
// status subresource, finalizers and deletionTimestamp, managedFields, dryRun, fieldValidation).
// Per-kind behaviour comes from a Strategy; storage is the watch cache over a backend.
import { randomUUID, randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, ObjectMeta, Status, StatusCause } from '../../api/meta.ts';
import type { ResourceDefinition } from '../../api/resources.ts';
import { groupVersion } from '../../api/resources.ts';
import { ApiError, errors, fieldCause, resourceLabel, summarise } from '../errors.ts';
import { PreconditionFailed, RevisionCompacted } from '../storage/backend.ts';
import { WatchTooOld, type CacheEntry, type CacheEvent, type WatchCache } from '../storage/cache.ts';
import { objectKey, keyPrefix } from './catalog.ts';
import type { Strategy } from './strategy.ts';
import { validateObjectMeta } from '../validation/objectmeta.ts';
import { firstTypeMismatch } from '../validation/json-types.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { applyDefaults, pruneUnknownFields, validateObject } from '../crd/schema.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../patch/index.ts';
import { serverSideApply, updateManagedFields } from '../patch/index.ts';
import { decodeJson } from '../decode/json.ts';
import { checkDepth, checkObjectMembers } from '../decode/bounds.ts';
import { CRD_DECODE_LIMITS, DEFAULT_DECODE_LIMITS } from '../decode/limits.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** What one request asks of the store beyond its body. */
export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
  /** Warnings to return to the client in Warning headers. */
  warnings: string[];
  /** Runs on the object a write would store (and the one it replaces) just before storing; throws to refuse it. */
  admit?(obj: KubeObject, old: KubeObject | undefined): void;
  /**
   * The body was decoded for this request alone and nothing else holds it, so the store may work on
   * it in place instead of on a copy (the request handler's create and update).
   */
  ownedBody?: boolean;
  /** Awaited between the stages of a large write, to let other requests through (see http/heavy.ts). */
  pause?: () => Promise<void>;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface ListOptions {
  /** Only objects for which this returns true (label and field selectors). */
  filter?: (obj: KubeObject) => boolean;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface ListResult {
  items: CacheEntry[];
  revision: number;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  filter?: (obj: KubeObject) => boolean;
  /** Start after this revision; undefined means "now" (after an initial list, if sendInitialEvents). */
  fromRevision?: number;
  name?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type WatchSink = (type: WatchEventType, entry: CacheEntry, revision: number) => void;

/** Namespace lifecycle checks the store needs but does not own. */
export interface NamespaceGate {
  /** Throws NotFound / Forbidden when `name` of `plural` (in `group`) may not be created in `namespace`. */
  checkCreate(namespace: string, plural: string, group: string, name: string): void;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_CONFLICT_RETRIES = 5;

export class ResourceStore {
  readonly resource: ResourceDefinition;
  readonly strategy: Strategy;
  readonly isCustom: boolean;
  private readonly cache: WatchCache;
  private readonly namespaces: NamespaceGate;

  constructor(resource: ResourceDefinition, strategy: Strategy, cache: WatchCache, namespaces: NamespaceGate, isCustom: boolean) {
    this.resource = resource;
    this.strategy = strategy;
    this.cache = cache;
    this.namespaces = namespaces;
    this.isCustom = isCustom;
  }

  private key(namespace: string | undefined, name: string): string {
    return objectKey(this.resource, namespace, name);
  }

  private listPrefix(namespace: string | undefined): string {
    return this.resource.namespaced && namespace ? `${keyPrefix(this.resource)}${namespace}/` : keyPrefix(this.resource);
  }

  private get apiVersion(): string {
    return groupVersion(this.resource);
  }

  /**
   * The object as this resource and version serve it: converted when stored as another resource,
   * otherwise only apiVersion changes (conversion between versions of one resource).
   */
  present(entry: CacheEntry): KubeObject {
    if (this.strategy.conversion) return this.strategy.conversion.fromStorage(entry.object);
    if (entry.object.apiVersion === this.apiVersion) return entry.object;
    return { ...entry.object, apiVersion: this.apiVersion };
  }

  /** JSON of the object as this version serves it, reusing the cached serialisation when possible. */
  presentJson(entry: CacheEntry): string {
    if (entry.object.apiVersion === this.apiVersion && !this.strategy.conversion) return entry.json;
    return JSON.stringify(this.present(entry));
  }

  getEntry(namespace: string | undefined, name: string): CacheEntry {
    const entry = this.cache.get(this.key(namespace, name));
    if (!entry) throw errors.notFound(this.resource.plural, this.resource.group, name);
    return entry;
  }

  /** The length of an object's stored JSON (0 when there is no such object). */
  storedSize(namespace: string | undefined, name: string): number {
    return this.cache.get(this.key(namespace, name))?.json.length ?? 0;
  }

  get(namespace: string | undefined, name: string): KubeObject {
    return this.present(this.getEntry(namespace, name));
  }

  async list(namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    const prefix = this.listPrefix(namespace);
    let revision = this.cache.currentRevision();
    let startAfter = '';
    if (opts.continueToken) {
      const token = decodeContinue(opts.continueToken);
      revision = token.rv;
      startAfter = token.start;
    } else if (opts.resourceVersion && opts.resourceVersion !== '0') {
      const requested = parseRevision(opts.resourceVersion);
      if (requested > this.cache.currentRevision()) await this.waitForRevision(requested);
      if (opts.resourceVersionMatch === 'Exact') revision = requested;
    }
    let entries: CacheEntry[];
    if (revision === this.cache.currentRevision()) {
      entries = this.cache.list(prefix);
    } else {
      try {
        entries = await this.cache.listAt(prefix, revision);
      } catch (err) {
        if (err instanceof RevisionCompacted) {
          throw opts.continueToken
            ? errors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.')
            : errors.gone(`too old resource version: ${revision} (${err.compactRevision + 1})`);
        }
        throw err;
      }
    }
    const filter = opts.filter;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const items: CacheEntry[] = [];
    let i = startAfter ? lowerBoundAfter(entries, startAfter) : 0;
    for (; i < entries.length && items.length < limit; i++) {
      if (!filter || filter(entries[i].object)) items.push(entries[i]);
    }
    if (i < entries.length && items.length >= limit) {
      let remaining = 0;
      for (let j = i; j < entries.length; j++) if (!filter || filter(entries[j].object)) remaining++;
      if (remaining > 0) {
        return {
          items, revision,
          continueToken: encodeContinue(revision, items[items.length - 1].key),
          remainingItemCount: filter ? undefined : remaining,
        };
      }
    }
    return { items, revision };
  }

  private async waitForRevision(revision: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(errors.timeout(`Too large resource version: ${revision}, current: ${this.cache.currentRevision()}`)), 3000);
    });
    try {
      await Promise.race([this.cache.waitForRevision(revision), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Streams events of this resource to `sink`, applying the filter the way Kubernetes does: an object
   * that starts matching arrives as ADDED and one that stops matching as DELETED.
   */
  watch(namespace: string | undefined, opts: WatchOptions, sink: WatchSink): () => void {
    const prefix = opts.name !== undefined ? this.key(namespace, opts.name) : this.listPrefix(namespace);
    const exactKey = opts.name !== undefined;
    const matches = (obj: KubeObject | undefined) => obj !== undefined && (!opts.filter || opts.filter(obj));
    const from = opts.fromRevision ?? this.cache.currentRevision();
    try {
      return this.cache.watch(prefix, from, (event: CacheEvent) => {
        if (exactKey && event.entry.key !== prefix) return;
        const now = matches(event.entry.object);
        const before = matches(event.prev?.object);
        if (event.type === 'DELETED') {
          if (before || now) sink('DELETED', event.entry, event.revision);
        } else if (now && before) sink('MODIFIED', event.entry, event.revision);
        else if (now) sink('ADDED', event.entry, event.revision);
        else if (before) sink('DELETED', event.entry, event.revision);
      });
    } catch (err) {
      if (err instanceof WatchTooOld) throw errors.gone(`too old resource version: ${from} (${err.oldest})`);
      throw err;
    }
  }

  currentRevision(): number {
    return this.cache.currentRevision();
  }

  /** The current objects a watch without a resourceVersion starts with. */
  listForWatch(namespace: string | undefined, name?: string): CacheEntry[] {
    if (name === undefined) return this.cache.list(this.listPrefix(namespace));
    const entry = this.cache.get(this.key(namespace, name));
    return entry ? [entry] : [];
  }

  // ---- writes -------------------------------------------------------------------------------

  async create(namespace: string | undefined, body: KubeObject, opts: WriteOptions, appliedBy?: 'apply'): Promise<KubeObject> {
    const obj = this.admitBody(body, namespace, opts);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    if (this.resource.namespaced) this.namespaces.checkCreate(meta.namespace!, this.resource.plural, this.resource.group, meta.name ?? '');
    const now = timestamp();
    meta.uid = randomUUID();
    meta.creationTimestamp = now;
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (this.resource.hasStatus && this.isCustom) delete obj.status;
    this.strategy.beginCreate?.(obj, opts.dryRun ?? false);
    this.strategy.prepareForCreate?.(obj);
    this.validate(obj, undefined);
    opts.admit?.(obj, undefined);
    this.checkSize(obj);
    await opts.pause?.();
    // An object created by server-side apply keeps the Apply entry apply computed.
    if (appliedBy !== 'apply') meta.managedFields = this.managedFieldsAfter(undefined, obj, opts, undefined);
    if (opts.dryRun) return obj;
    try {
      return this.present(await this.cache.create(this.key(meta.namespace, meta.name!), this.toStorage(obj)));
    } catch (err) {
      if (err instanceof PreconditionFailed) throw errors.alreadyExists(this.resource.plural, this.resource.group, meta.name!);
      throw err;
    }
  }

  /** Writes a pod's binding: its node and PodScheduled condition, nothing else. */
  async bind(pod: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const current = this.getEntry(pod.metadata.namespace, pod.metadata.name!);
    return this.write(current, pod, opts, 'binding', Number(pod.metadata.resourceVersion ?? current.modRevision));
  }

  async update(namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions, subresource?: string): Promise<KubeObject> {
    const obj = this.admitBody(body, namespace, opts);
    if (obj.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    const current = this.getEntry(namespace, name);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== current.object.metadata.resourceVersion) {
      throw this.conflict(name);
    }
    return this.write(current, obj, opts, subresource, Number(obj.metadata.resourceVersion || current.modRevision));
  }

  async patch(namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOptions & { force?: boolean }, subresource?: string): Promise<KubeObject> {
    if (type === 'strategic' && this.isCustom) {
      throw errors.unsupportedMediaType('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
    }
    if (type === 'apply' && !opts.fieldManager) {
      throw errors.badRequest('PATCH with application/apply-patch+yaml requires the fieldManager query parameter');
    }
    for (let attempt = 0; ; attempt++) {
      const current = this.cache.get(this.key(namespace, name));
      if (!current) {
        if (type !== 'apply' || subresource) throw errors.notFound(this.resource.plural, this.resource.group, name);
        const applied = asObject(patch, 'apply');
        this.checkApplyIdentity(applied, namespace, name);
        const { object } = serverSideApply(undefined, applied, this.applyOptions(opts), this.schema());
        try {
          return await this.create(namespace, object as KubeObject, { ...opts, fieldValidation: opts.fieldValidation ?? 'Strict' }, 'apply');
        } catch (err) {
          if (err instanceof ApiError && err.reason === 'AlreadyExists' && attempt < MAX_CONFLICT_RETRIES) continue;
          throw err;
        }
      }
      const live = this.present(current);
      let patched: KubeObject;
      let explicitVersion = false;
      switch (type) {
        case 'json':
          patched = applyJsonPatch(live, patch) as KubeObject;
          break;
        case 'merge':
          patched = applyMergePatch(live, patch) as KubeObject;
          explicitVersion = hasResourceVersion(patch);
          break;
        case 'strategic':
          patched = applyStrategicMergePatch(live, patch, this.schema()) as KubeObject;
          explicitVersion = hasResourceVersion(patch);
          break;
        case 'apply': {
          const applied = asObject(patch, 'apply');
          this.checkApplyIdentity(applied, namespace, name);
          explicitVersion = hasResourceVersion(applied);
          patched = serverSideApply(live, applied, this.applyOptions(opts, subresource), this.schema()).object as KubeObject;
          break;
        }
      }
      if (!isObject(patched)) throw errors.badRequest('the patch produced something that is not an object');
      checkDepth(patched, 'the patched object');
      await opts.pause?.();
      // A JSON patch may also carry an explicit resourceVersion (through a replace op).
      explicitVersion ||= patched.metadata?.resourceVersion !== undefined && patched.metadata.resourceVersion !== live.metadata.resourceVersion;
      try {
        // JSON, merge and strategic merge patches build a fresh object: no need to copy it again.
        return await this.write(current, this.admitBody(patched, namespace, { ...opts, ownedBody: type !== 'apply' }), opts, subresource,
          explicitVersion ? Number(patched.metadata.resourceVersion) : current.modRevision, type === 'apply');
      } catch (err) {
        const retriable = err instanceof ApiError && err.reason === 'Conflict' && !explicitVersion && !err.details?.causes?.length;
        if (retriable && attempt < MAX_CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }

  /** Marks for deletion or deletes, honouring finalizers, propagation policy and graceful deletion. */
  async delete(namespace: string | undefined, name: string, options: DeleteOptions, opts: WriteOptions): Promise<{ object: KubeObject; deleted: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const current = this.getEntry(namespace, name);
      const live = current.object;
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== live.metadata.uid) {
        throw errors.conflict(this.resource.plural, this.resource.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${live.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion) {
        throw errors.conflict(this.resource.plural, this.resource.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${live.metadata.resourceVersion}`);
      }
      const forbidden = this.strategy.forbidDelete?.(live);
      if (forbidden) throw errors.forbidden(this.resource.plural, this.resource.group, name, forbidden);
      try {
        return await this.deleteOnce(current, options, opts);
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'Conflict' && !pre?.resourceVersion && attempt < MAX_CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }

  private async deleteOnce(current: CacheEntry, options: DeleteOptions, opts: WriteOptions): Promise<{ object: KubeObject; deleted: boolean }> {
    const live = this.present(current);
    const next = structuredClone(live);
    const meta = next.metadata;
    const finalizers = new Set(meta.finalizers ?? []);
    const policy = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : options.orphanDependents === false ? 'Background' : undefined);
    if (policy === 'Orphan') finalizers.add('orphan');
    if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    if (policy && policy !== 'Orphan') finalizers.delete('orphan');
    if (policy && policy !== 'Foreground') finalizers.delete('foregroundDeletion');
    const graceful = this.strategy.gracefulDelete?.(live, options.gracePeriodSeconds);
    if (!meta.deletionTimestamp) this.strategy.onDeleteRequested?.(next);
    for (const f of next.metadata.finalizers ?? []) finalizers.add(f);
    const pending = finalizers.size > 0 || (graceful !== undefined && graceful.gracePeriodSeconds > 0) || (this.strategy.deletionBlocked?.(next) ?? false);
    if (!pending) {
      if (opts.dryRun) return { object: this.present(current), deleted: true };
      try {
        const gone = await this.cache.delete(current.key, current.modRevision);
        return { object: this.present(gone), deleted: true };
      } catch (err) {
        if (err instanceof PreconditionFailed) {
          if (err.kind === 'missing') throw errors.notFound(this.resource.plural, this.resource.group, live.metadata.name!);
          throw this.conflict(live.metadata.name!);
        }
        throw err;
      }
    }
    // Pending deletion: set deletionTimestamp once (a shorter grace period may move it earlier).
    const grace = graceful?.gracePeriodSeconds ?? 0;
    const deadline = new Date(Date.now() + grace * 1000);
    if (!meta.deletionTimestamp || (graceful && (meta.deletionGracePeriodSeconds ?? Infinity) > grace)) {
      meta.deletionTimestamp = timestamp(deadline);
      meta.deletionGracePeriodSeconds = grace;
      if (meta.generation !== undefined && !live.metadata.deletionTimestamp) meta.generation++;
    }
    meta.finalizers = finalizers.size > 0 ? [...finalizers] : undefined;
    if (meta.finalizers === undefined) delete meta.finalizers;
    if (isDeepStrictEqual(next, live) || opts.dryRun) return { object: this.present(current), deleted: false };
    try {
      return { object: this.present(await this.cache.update(current.key, this.toStorage(next), current.modRevision)), deleted: false };
    } catch (err) {
      if (err instanceof PreconditionFailed) throw this.conflict(live.metadata.name!);
      throw err;
    }
  }

  // ---- shared write path -------------------------------------------------------------------

  /** The update every write funnels through: merges with the live object per subresource, then stores. */
  private async write(current: CacheEntry, obj: KubeObject, opts: WriteOptions, subresource: string | undefined, expectedRevision: number, managedByApply = false): Promise<KubeObject> {
    const old = this.present(current);
    // An object's name is its key: no write (a patch of any type included) may change it.
    if (obj.metadata?.name !== old.metadata.name) {
      throw errors.badRequest(`the name of the object (${obj.metadata?.name ?? ''}) does not match the name on the URL (${old.metadata.name})`);
    }
    if (expectedRevision !== current.modRevision) throw this.conflict(old.metadata.name!);
    let next: KubeObject;
    if (subresource === 'status') {
      // A status write changes status only (and the managedFields that come with it).
      next = { ...structuredClone(old), status: obj.status };
      if (obj.status === undefined) delete next.status;
      if (managedByApply) next.metadata.managedFields = obj.metadata.managedFields;
    } else if (subresource === 'binding') {
      // Binding sets the node (once; the handler checks) and the PodScheduled condition together.
      next = structuredClone(old);
      next.spec = { ...(next.spec as object), nodeName: (obj.spec as { nodeName?: string }).nodeName };
      next.status = obj.status;
    } else if (subresource === 'approval') {
      // An approval write (a CertificateSigningRequest's) changes the status conditions only.
      next = structuredClone(old);
      const conditions = (obj.status as { conditions?: unknown } | undefined)?.conditions;
      next.status = { ...(next.status as object), conditions };
      if (conditions === undefined) delete (next.status as { conditions?: unknown }).conditions;
    } else if (subresource === 'finalize') {
      // A namespace's finalize write changes spec.finalizers only.
      next = structuredClone(old);
      const finalizers = (obj.spec as { finalizers?: string[] } | undefined)?.finalizers;
      next.spec = { ...(next.spec as object), finalizers: finalizers ?? [] };
    } else {
      next = obj;
      if (this.resource.hasStatus) {
        if (old.status === undefined) delete next.status;
        else next.status = structuredClone(old.status);
      }
    }
    const meta = next.metadata;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.namespace = old.metadata.namespace;
    if (!this.resource.namespaced) delete meta.namespace;
    meta.deletionTimestamp = old.metadata.deletionTimestamp;
    meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    if (meta.deletionTimestamp === undefined) delete meta.deletionTimestamp;
    if (meta.deletionGracePeriodSeconds === undefined) delete meta.deletionGracePeriodSeconds;
    meta.generation = old.metadata.generation;
    if (meta.generation === undefined) delete meta.generation;
    if (old.metadata.deletionTimestamp) {
      const added = (meta.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
      if (added.length > 0) {
        throw errors.invalid(this.target(meta.name), [fieldCause('FieldValueForbidden', 'metadata.finalizers', `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`)]);
      }
    }
    if (subresource === undefined) {
      this.strategy.beginUpdate?.(next, old, opts.dryRun ?? false);
      this.strategy.prepareForUpdate?.(next, old);
    }
    else if (subresource === 'status' || subresource === 'approval') this.strategy.prepareForSubresourceUpdate?.(subresource, next, old);
    if (specChanged(old, next) && old.metadata.generation !== undefined) meta.generation = old.metadata.generation + 1;
    this.validate(next, subresource === 'binding' ? undefined : old);
    opts.admit?.(next, old);
    this.checkSize(next);
    await opts.pause?.();
    if (!managedByApply) meta.managedFields = this.managedFieldsAfter(old, next, opts, subresource);
    delete meta.resourceVersion;
    const { resourceVersion: _rv, ...oldMeta } = old.metadata;
    if (isDeepStrictEqual({ ...next, metadata: withoutManagedTimes(meta) }, { ...old, metadata: withoutManagedTimes(oldMeta) })) {
      return this.present(current);
    }
    // The last finalizer of an object being deleted is gone: the update completes the deletion.
    const finish = meta.deletionTimestamp !== undefined && (meta.finalizers ?? []).length === 0 && (meta.deletionGracePeriodSeconds ?? 0) === 0
      && !(this.strategy.deletionBlocked?.(next) ?? false);
    if (opts.dryRun) return next;
    try {
      if (finish) return this.present(await this.cache.delete(current.key, current.modRevision));
      return this.present(await this.cache.update(current.key, this.toStorage(next), current.modRevision));
    } catch (err) {
      if (err instanceof PreconditionFailed) {
        if (err.kind === 'missing') throw errors.notFound(this.resource.plural, this.resource.group, meta.name!);
        throw this.conflict(meta.name!);
      }
      throw err;
    }
  }

  /**
   * Checks apiVersion/kind/namespace of a request body, drops fields the schema does not know
   * (reporting them per fieldValidation), applies defaults, and returns a private copy.
   */
  private admitBody(body: KubeObject, namespace: string | undefined, opts: WriteOptions): KubeObject {
    if (!isObject(body)) throw errors.badRequest('the request body must be a JSON or YAML object');
    const obj = opts.ownedBody ? body : structuredClone(body);
    if (obj.apiVersion !== undefined && obj.apiVersion !== this.apiVersion) {
      throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${this.apiVersion})`);
    }
    if (obj.kind !== undefined && obj.kind !== this.resource.kind) {
      throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${this.resource.kind})`);
    }
    obj.apiVersion = this.apiVersion;
    obj.kind = this.resource.kind;
    if (!isObject(obj.metadata)) obj.metadata = {};
    if (this.resource.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
    } else {
      delete obj.metadata.namespace;
    }
    const schema = this.resource.schema;
    if (schema) {
      const unknown = pruneUnknownFields(obj, schema);
      if (unknown.length > 0) {
        const mode = opts.fieldValidation ?? 'Warn';
        const messages = unknown.map((path) => `unknown field "${path}"`);
        if (mode === 'Strict') throw errors.badRequest(`strict decoding error: ${summarise(messages)}`);
        if (mode === 'Warn') opts.warnings.push(...messages);
      }
      // A built-in kind's fields have their Go types before its strategy sees them (metadata is
      // checked field by field by its own validation; custom resources by their schema, later).
      if (!this.isCustom) this.checkTypes(obj, schema);
      applyDefaults(obj, schema);
    }
    this.strategy.defaults?.(obj);
    return obj;
  }

  private checkTypes(obj: KubeObject, schema: JSONSchemaProps): void {
    for (const [field, value] of Object.entries(obj)) {
      const sub = field === 'metadata' || !Object.hasOwn(schema.properties ?? {}, field) ? undefined : schema.properties![field];
      const mismatch = sub && firstTypeMismatch(value, sub, field);
      if (mismatch) {
        const { kind } = this.resource;
        throw errors.badRequest(`${kind} in version "${this.resource.version}" cannot be handled as a ${kind}: json: cannot unmarshal ${mismatch.found} into Go struct field ${kind}.${mismatch.path} of type ${mismatch.expected}`);
      }
    }
  }

  private validate(obj: KubeObject, old: KubeObject | undefined): void {
    const causes: StatusCause[] = [];
    causes.push(...validateObjectMeta(obj.metadata, { namespaced: this.resource.namespaced, nameRule: this.strategy.nameRule ?? 'dns1123subdomain' }));
    if (this.isCustom && this.resource.schema) causes.push(...validateObject(obj, this.resource.schema, ''));
    causes.push(...(this.strategy.validate?.(obj) ?? []));
    if (old) causes.push(...(this.strategy.validateUpdate?.(obj, old) ?? []));
    if (causes.length > 0) throw errors.invalid(this.target(obj.metadata.name), causes);
  }

  private checkSize(obj: KubeObject): void {
    const limits = this.resource.group === 'apiextensions.k8s.io' ? CRD_DECODE_LIMITS : DEFAULT_DECODE_LIMITS;
    checkObjectMembers(obj, `${resourceLabel(this.resource.plural, this.resource.group)} "${obj.metadata.name ?? ''}"`, limits.maxMembers);
  }

  private managedFieldsAfter(old: KubeObject | undefined, next: KubeObject, opts: WriteOptions, subresource: string | undefined) {
    return updateManagedFields(old, next, {
      manager: opts.fieldManager ?? 'unknown', operation: 'Update', apiVersion: this.apiVersion, time: timestamp(), subresource, resetFields: this.resetFields(),
    }, this.schema());
  }

  private applyOptions(opts: WriteOptions & { force?: boolean }, subresource?: string) {
    return { manager: opts.fieldManager!, force: opts.force ?? false, apiVersion: this.apiVersion, time: timestamp(), subresource, resetFields: this.resetFields() };
  }

  /** Without a status subresource, status is part of the object like any field: nothing is reset. */
  private resetFields(): string[] | undefined {
    return this.resource.hasStatus ? undefined : [];
  }

  private checkApplyIdentity(applied: KubeObject, namespace: string | undefined, name: string): void {
    if (applied.metadata?.name !== undefined && applied.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (!applied.apiVersion || !applied.kind) {
      throw errors.badRequest('invalid object type: apply configurations must set apiVersion and kind');
    }
    applied.metadata = { ...applied.metadata, name };
    if (this.resource.namespaced && namespace) applied.metadata.namespace ??= namespace;
  }

  private schema() {
    return this.resource.schema ?? { type: 'object' as const, 'x-kubernetes-preserve-unknown-fields': true };
  }

  private toStorage(obj: KubeObject): KubeObject {
    if (this.strategy.conversion) return this.strategy.conversion.toStorage(obj);
    const apiVersion = storageApiVersion(this.resource);
    return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
  }

  private target(name: string | undefined) {
    return { group: this.resource.group, kind: this.resource.kind, name };
  }

  private conflict(name: string): ApiError {
    return errors.conflict(this.resource.plural, this.resource.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
}

function storageApiVersion(r: ResourceDefinition): string {
  return r.group ? `${r.group}/${r.storageVersion}` : r.storageVersion;
}

/** Anything outside metadata and status is the object's desired state. */
function specChanged(old: KubeObject, next: KubeObject): boolean {
  const strip = ({ metadata: _m, status: _s, ...rest }: KubeObject) => rest;
  return !isDeepStrictEqual(strip(old), strip(next));
}

function withoutManagedTimes(meta: ObjectMeta): ObjectMeta {
  if (!meta.managedFields) return meta;
  return { ...meta, managedFields: meta.managedFields.map(({ time: _t, ...rest }) => rest) };
}

/** RFC 3339 in whole seconds, as Kubernetes writes metav1.Time. */
export function timestamp(at?: Date): string {
  if (at) return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  // Every write needs "now" several times; format it once per second.
  const second = Math.floor(Date.now() / 1000);
  if (second !== nowCache.second) {
    nowCache.second = second;
    nowCache.text = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return nowCache.text;
}

const nowCache = { second: -1, text: '' };

function generateName(base: string): string {
  const prefix = base.length > 58 ? base.slice(0, 58) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[randomInt(GENERATE_ALPHABET.length)];
  return prefix + suffix;
}

function isObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObject(v: unknown, what: string): KubeObject {
  if (!isObject(v)) throw errors.badRequest(`the ${what} body must be an object`);
  return structuredClone(v);
}

function hasResourceVersion(patch: unknown): boolean {
  return isObject(patch) && isObject(patch.metadata) && typeof patch.metadata.resourceVersion === 'string' && patch.metadata.resourceVersion !== '';
}

function parseRevision(rv: string): number {
  const n = Number(rv);
  if (!Number.isSafeInteger(n) || n < 0) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return n;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'granary/1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = decodeJson(Buffer.from(token, 'base64url').toString('utf8')).value as { v?: string; rv?: unknown; start?: unknown };
    if (parsed.v === 'granary/1' && typeof parsed.rv === 'number' && typeof parsed.start === 'string') return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through to the error below
  }
  throw errors.badRequest('continue key is not valid: this token was not issued by this server; start a new list without it');
}

function lowerBoundAfter(entries: CacheEntry[], key: string): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].key <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Status returned by a delete that removed the object at once (for built-in kinds). */
export function deletedStatus(resource: ResourceDefinition, obj: KubeObject): Status {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { name: obj.metadata.name, group: resource.group, kind: resource.plural, uid: obj.metadata.uid },
  } as Status;
}
