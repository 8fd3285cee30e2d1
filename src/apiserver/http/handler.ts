// The request handler: health, version, discovery and OpenAPI documents, then every resource
// request routed to the store of its resource, with Kubernetes' query parameters and responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { KubeObject } from '../../api/meta.ts';
import type { ResourceDefinition } from '../../api/resources.ts';
import { groupVersion } from '../../api/resources.ts';
import { ApiError, errors, summarise } from '../errors.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import { deletedStatus, type PatchType, type ResourceStore, type WriteOptions } from '../registry/store.ts';
import { cachedJson, type CacheEntry } from '../storage/cache.ts';
import { acceptsGzip, decodeBody, mediaType, readBody, sendError, sendJson, sendObject, sendRaw, setWarnings, wantsPretty } from './codec.ts';
import { negotiateOutput, type Endpoint, type OutputForm } from './negotiation.ts';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import { requestInfoOf, requestUrl, type ResourceRequest } from './request-info.ts';
import { deleteOptions, includeObject, listOptions, Query, writeOptions as parseWriteOptions, type ListQuery } from './query.ts';
import { serveWatch, type OpenWatches } from './watch.ts';
import type { HeavyWrites } from './heavy.ts';
import { CRD_DECODE_LIMITS, DEFAULT_DECODE_LIMITS } from '../decode/limits.ts';
import { buildFilter } from './filters.ts';
import { toTable, type TableApiVersion } from '../table.ts';

export interface OpenApiDocuments {
  v2Json(): { body: string; etag: string };
  v2Protobuf(): { body: Buffer; etag: string };
  v3Index(): string;
  v3Document(path: string): { body: string; etag: string } | undefined;
}

/** Handlers for subresources that are not a plain get/update of the object (binding, finalize, log, token). */
export type SubresourceHandler = (ctx: {
  req: IncomingMessage; res: ServerResponse; info: ResourceRequest; store: ResourceStore;
  body: () => Promise<unknown>; opts: WriteOptions; query: Query;
}) => Promise<void>;

/** Handlers for resources computed per request and never stored (the self reviews): create only. */
export type ComputedResourceHandler = (ctx: {
  req: IncomingMessage; res: ServerResponse; info: ResourceRequest; body: () => Promise<unknown>;
}) => Promise<void>;

export interface HandlerContext {
  catalog: ResourceCatalog;
  storeFor(resource: ResourceDefinition): ResourceStore;
  openapi: OpenApiDocuments;
  version: Record<string, string>;
  serverAddress: string;
  /** Key: "<plural>/<subresource>" (e.g. "pods/binding"). */
  subresources: Map<string, SubresourceHandler>;
  /** Key: "<group>/<plural>" (e.g. "authorization.k8s.io/selfsubjectaccessreviews"). */
  computedResources?: Map<string, ComputedResourceHandler>;
  /** A check the store runs on what a write would store (RBAC escalation prevention), if any. */
  writeCheck?(req: IncomingMessage, resource: ResourceDefinition): WriteOptions['admit'];
  ready(): boolean;
  bookmarkIntervalMs: number;
  /** Where watches register so that a shutdown can end them cleanly. */
  openWatches?: OpenWatches;
  /** Large writes, one at a time. */
  heavyWrites: HeavyWrites;
  /** Called once per request with the outcome, for metrics and audit. */
  observe?(info: { verb: string; resource: string; code: number; durationMs: number }): void;
  /** Called when a watch opens; the function it returns when the watch ends (for the long-running requests gauge). */
  openLongRunning?(labels: { verb: string; group: string; version: string; resource: string; scope: string }): () => void;
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

export function createHandler(ctx: HandlerContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    let verb = req.method ?? 'GET';
    let resource = '';
    try {
      const url = requestUrl(req);
      const path = url.pathname;
      if (await serveNonResource(ctx, req, res, path)) return;
      const info = requestInfoOf(req);
      if (info.kind === 'nonresource') throw notFoundPath();
      verb = info.verb;
      resource = metricsResource(ctx.catalog, info);
      await serveResource(ctx, req, res, info, new Query(url.searchParams));
    } catch (err) {
      sendError(res, err);
    } finally {
      ctx.observe?.({ verb, resource, code: res.statusCode, durationMs: performance.now() - started });
    }
  };
}

/**
 * The resource a request is counted under in metrics: only resources the server serves, so that
 * made-up paths cannot grow the metrics without bound.
 */
function metricsResource(catalog: ResourceCatalog, info: ResourceRequest): string {
  const def = catalog.get(info.group, info.version, info.resource);
  if (!def) return '';
  return info.subresource && def.subresources.includes(info.subresource) ? `${def.plural}/${info.subresource}` : def.plural;
}

/** /livez, /readyz and /healthz (and their sub-checks): served to anyone, without credentials. */
export function isHealthPath(path: string): boolean {
  return /^\/(livez|readyz|healthz)(\/.*)?$/.test(path);
}

function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

async function serveNonResource(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (isHealthPath(path) && !path.startsWith('/readyz')) {
    sendRaw(res, 200, 'ok', 'text/plain; charset=utf-8');
    return true;
  }
  if (isHealthPath(path)) {
    if (ctx.ready()) sendRaw(res, 200, 'ok', 'text/plain; charset=utf-8');
    else sendRaw(res, 503, 'readyz check failed: the server is starting or shutting down', 'text/plain; charset=utf-8');
    return true;
  }
  if (trimmed === '/version') {
    sendJson(res, 200, ctx.version);
    return true;
  }
  if (trimmed === '/api' || trimmed === '/apis') {
    const which = trimmed === '/api' ? 'api' : 'apis';
    const form = negotiateOutput(req.headers.accept, 'discovery');
    if (form.as === 'APIGroupDiscoveryList') {
      const version = form.version as 'v2' | 'v2beta1';
      sendObject(res, 200, aggregatedDiscovery(ctx.catalog, which, version), form, `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`);
    } else {
      sendObject(res, 200, which === 'api' ? apiVersions(ctx.serverAddress) : apiGroupList(ctx.catalog), form);
    }
    return true;
  }
  const parts = trimmed.split('/').filter(Boolean);
  const discovery = (parts[0] === 'api' && parts.length === 2) || (parts[0] === 'apis' && (parts.length === 2 || parts.length === 3));
  if (discovery) {
    const body = parts[0] === 'api' ? apiResourceList(ctx.catalog, '', parts[1])
      : parts.length === 2 ? apiGroup(ctx.catalog, parts[1]) : apiResourceList(ctx.catalog, parts[1], parts[2]);
    if (!body) throw notFoundPath();
    // Aggregated discovery is served at /api and /apis only; here it means the plain document.
    sendObject(res, 200, body, { format: negotiateOutput(req.headers.accept, 'discovery').format });
    return true;
  }
  if (trimmed === '/openapi/v2') {
    const wantsProtobuf = (req.headers.accept ?? '').includes('application/com.github.proto-openapi.spec.v2');
    const doc = wantsProtobuf ? ctx.openapi.v2Protobuf() : ctx.openapi.v2Json();
    res.setHeader('ETag', `"${doc.etag}"`);
    res.setHeader('Vary', 'Accept');
    if (req.headers['if-none-match'] === `"${doc.etag}"`) {
      res.writeHead(304).end();
      return true;
    }
    sendRaw(res, 200, doc.body, wantsProtobuf ? 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' : 'application/json');
    return true;
  }
  if (trimmed === '/openapi/v3') {
    sendRaw(res, 200, ctx.openapi.v3Index(), 'application/json');
    return true;
  }
  if (trimmed.startsWith('/openapi/v3/')) {
    const doc = ctx.openapi.v3Document(trimmed.slice('/openapi/v3/'.length));
    if (!doc) throw notFoundPath();
    res.setHeader('ETag', `"${doc.etag}"`);
    sendRaw(res, 200, doc.body, 'application/json');
    return true;
  }
  return false;
}

/** The kind of response each verb gives, for content negotiation. */
const ENDPOINT_OF_VERB: Record<string, Endpoint> = { list: 'list', deletecollection: 'list', watch: 'watch' };

async function serveResource(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, info: ResourceRequest, query: Query): Promise<void> {
  const def = ctx.catalog.get(info.group, info.version, info.resource);
  if (!def) throw notFoundPath();
  if (def.namespaced === false && info.namespace !== undefined) throw notFoundPath();
  if (info.subresource && !def.subresources.includes(info.subresource)) throw notFoundPath();
  const computed = ctx.computedResources?.get(`${def.group}/${def.plural}`);
  if (computed) return computed({ req, res, info, body: async () => (await decodeBody(await readBody(req), req.headers['content-type'])).value });
  const store = ctx.storeFor(def);
  const ns = def.namespaced ? info.namespace : undefined;
  const write = (kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions', patchType?: PatchType): WriteOptions & { force?: boolean } => {
    const parsed = parseWriteOptions(query, kind, patchType);
    return {
      dryRun: parsed.dryRun, fieldValidation: parsed.fieldValidation, force: parsed.force, warnings: [],
      fieldManager: parsed.fieldManager || defaultManager(req.headers['user-agent']), admit: ctx.writeCheck?.(req, def),
    };
  };
  const limits = def.group === 'apiextensions.k8s.io' && def.plural === 'customresourcedefinitions' ? CRD_DECODE_LIMITS : DEFAULT_DECODE_LIMITS;
  /** The decoded body; keys given twice are reported as `opts` asks. */
  const decode = async (opts: WriteOptions) => {
    const { value, duplicates } = await decodeBody(await readBody(req), req.headers['content-type'], limits);
    reportDuplicates(duplicates, opts);
    await opts.pause?.();
    return value;
  };
  /** A create, update or patch: heavy when its body or the object it changes is large (see heavy.ts). */
  const heavy = async (opts: WriteOptions, work: () => Promise<KubeObject>) => {
    const bytes = Math.max((await readBody(req)).length, info.name ? store.storedSize(ns, info.name) : 0);
    return ctx.heavyWrites.run(bytes, (pause) => {
      opts.pause = pause;
      return work();
    });
  };

  const special = info.subresource ? ctx.subresources.get(`${def.plural}/${info.subresource}`) : undefined;
  // What a subresource handler answers (a Binding, a log stream, a TokenRequest) is its own affair.
  const form = special ? { format: 'json' as const } : negotiateOutput(req.headers.accept, ENDPOINT_OF_VERB[info.verb] ?? 'object');
  const respond = (code: number, obj: KubeObject, warnings: string[]) => {
    setWarnings(res, warnings);
    sendObject(res, code, transformed(def, obj, form, query), form);
  };
  if (special) {
    const opts = req.method === 'GET' || req.method === 'HEAD' ? { warnings: [] } : write(req.method === 'PUT' ? 'UpdateOptions' : 'CreateOptions');
    return special({ req, res, info, store, body: () => decode(opts), opts, query });
  }

  switch (info.verb) {
    case 'get': {
      if (!info.name) throw notFoundPath();
      if (info.subresource && info.subresource !== 'status') throw errors.methodNotAllowed(`GET is not supported on ${def.plural}/${info.subresource}`);
      return respond(200, store.get(ns, info.name), []);
    }
    case 'list':
      return serveList(res, def, store, ns, listOptions(query, false), query, form);
    case 'watch': {
      const list = listOptions(query, true);
      const scope = info.name ? 'resource' : ns ? 'namespace' : 'cluster';
      const closed = ctx.openLongRunning?.({ verb: 'WATCH', group: def.group, version: def.version, resource: def.plural, scope });
      if (closed) res.once('close', closed);
      return serveWatch(req, res, store, {
        namespace: ns, name: info.name, filter: buildFilter(list, store),
        resourceVersion: list.resourceVersion,
        sendInitialEvents: list.sendInitialEvents,
        allowBookmarks: list.allowWatchBookmarks,
        timeoutSeconds: list.timeoutSeconds,
        bookmarkIntervalMs: ctx.bookmarkIntervalMs,
        bookmarkKind: { apiVersion: groupVersion(def), kind: def.kind },
        render: (entry: CacheEntry, first: boolean) => {
          if (form.as === 'Table') return JSON.stringify(withoutColumnsUnlessFirst(toTable(def, [store.present(entry)], tableOptions(query, form)), first));
          if (form.as === 'PartialObjectMetadata') return JSON.stringify(partialObjectMetadata(store.present(entry), form));
          return store.presentJson(entry);
        },
      }, ctx.openWatches);
    }
    case 'create': {
      if (info.name && !info.subresource) throw errors.methodNotAllowed(`POST is not supported on a named ${def.singular}; use PUT or PATCH`);
      const opts = write('CreateOptions');
      const created = await heavy(opts, async () => store.create(ns, asKubeObject(await decode(opts)), { ...opts, ownedBody: true }));
      return respond(201, created, opts.warnings);
    }
    case 'update': {
      if (!info.name) throw errors.methodNotAllowed('PUT needs an object name in the URL');
      const opts = write('UpdateOptions');
      const name = info.name;
      const updated = await heavy(opts, async () => store.update(ns, name, asKubeObject(await decode(opts)), { ...opts, ownedBody: true }, info.subresource));
      return respond(200, updated, opts.warnings);
    }
    case 'patch': {
      if (!info.name) throw errors.methodNotAllowed('PATCH needs an object name in the URL');
      const type = PATCH_TYPES[mediaType(req.headers['content-type'])];
      if (!type) {
        throw errors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).filter((t) => !t.endsWith('cbor')).join(', ')}`);
      }
      const opts = write('PatchOptions', type);
      const name = info.name;
      const patched = await heavy(opts, async () => store.patch(ns, name, type, await decode(opts), opts, info.subresource));
      return respond(200, patched, opts.warnings);
    }
    case 'delete': {
      if (!info.name) throw notFoundPath();
      const options = deleteOptions(query, await optionalBody(req));
      const opts: WriteOptions = { warnings: [], dryRun: options.dryRun, admit: ctx.writeCheck?.(req, def) };
      const { object, deleted } = await store.delete(ns, info.name, options, opts);
      setWarnings(res, opts.warnings);
      if (deleted && !store.isCustom) return sendObject(res, 200, deletedStatus(def, object), { format: form.format });
      return respond(200, object, opts.warnings);
    }
    case 'deletecollection': {
      const options = deleteOptions(query, await optionalBody(req));
      const opts: WriteOptions = { warnings: [], dryRun: options.dryRun, admit: ctx.writeCheck?.(req, def) };
      const { items } = await store.list(ns, { filter: buildFilter(listOptions(query, false), store) });
      const removed: KubeObject[] = [];
      for (const entry of items) {
        try {
          removed.push((await store.delete(entry.object.metadata.namespace, entry.object.metadata.name!, options, opts)).object);
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
        }
      }
      return sendObject(res, 200, transformedList(def, removed, {}, form, query), form);
    }
    default:
      throw errors.methodNotAllowed(`${req.method} is not supported here`);
  }
}

async function serveList(res: ServerResponse, def: ResourceDefinition, store: ResourceStore, ns: string | undefined, list: ListQuery, query: Query, form: OutputForm): Promise<void> {
  const result = await store.list(ns, {
    filter: buildFilter(list, store), limit: list.limit !== undefined && list.limit > 0 ? list.limit : undefined, continueToken: list.continue,
    resourceVersion: list.resourceVersion, resourceVersionMatch: list.resourceVersionMatch,
  });
  const metadata: Record<string, unknown> = { resourceVersion: String(result.revision) };
  if (result.continueToken) metadata.continue = result.continueToken;
  if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
  // Answered meanwhile: the request's deadline passed (request-deadline.ts).
  if (res.headersSent) return;
  const req = res.req as IncomingMessage;
  if (form.as || form.format !== 'json' || wantsPretty(req)) {
    return sendObject(res, 200, transformedList(def, result.items.map((e) => store.present(e)), metadata, form, query), form);
  }
  // Objects are already serialised in the cache: join their JSON instead of re-encoding each.
  const head = `{"kind":"${def.listKind}","apiVersion":"${groupVersion(def)}","metadata":${JSON.stringify(metadata)},"items":[`;
  if (result.items.length <= LIST_CHUNK_ITEMS) {
    sendRaw(res, 200, `${head}${result.items.map((e) => store.presentJson(e)).join(',')}]}`, 'application/json');
    return;
  }
  // A large list goes out in chunks, each written once the previous one has drained, so the
  // client reads and decodes while the server still encodes, and other requests get turns;
  // compressed (as Kubernetes compresses large responses) when the client accepts gzip.
  const gzip = acceptsGzip(req);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...(gzip ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}) });
  let out: Writable = res;
  if (gzip) {
    const compressor = createGzip({ level: 1 });
    pipeline(compressor, res, () => undefined);
    out = compressor;
  }
  out.write(head);
  for (let i = 0; i < result.items.length; i += LIST_CHUNK_ITEMS) {
    const chunk = result.items.slice(i, i + LIST_CHUNK_ITEMS).map((e) => store.presentJson(e)).join(',');
    if (!out.write(i === 0 ? chunk : `,${chunk}`)) await new Promise<void>((resolve) => {
      out.once('drain', resolve);
      res.once('close', resolve);
    });
    if (res.destroyed) {
      out.destroy();
      return;
    }
  }
  out.end(']}');
}

/** One object as the negotiated form asks: a Table of one row, its PartialObjectMetadata, or itself. */
function transformed(def: ResourceDefinition, obj: KubeObject, form: OutputForm, query: Query): unknown {
  if (form.as === 'Table') return toTable(def, [obj], tableOptions(query, form));
  if (form.as === 'PartialObjectMetadata') return partialObjectMetadata(obj, form);
  // An object served as the cache holds it goes out as the JSON the cache already made.
  return cachedJson(obj) ?? obj;
}

/** A list as the negotiated form asks: a Table, a PartialObjectMetadataList, or the kind's list. */
function transformedList(def: ResourceDefinition, items: KubeObject[], metadata: Record<string, unknown>, form: OutputForm, query: Query): unknown {
  if (form.as === 'Table') return { ...toTable(def, items, tableOptions(query, form)), metadata };
  if (form.as === 'PartialObjectMetadataList') {
    return { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${form.version}`, metadata, items: items.map((obj) => partialObjectMetadata(obj, form)) };
  }
  return { kind: def.listKind, apiVersion: groupVersion(def), metadata, items };
}

function partialObjectMetadata(obj: KubeObject, form: OutputForm) {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${form.version}`, metadata: obj.metadata };
}

const LIST_CHUNK_ITEMS = 500;

function tableOptions(query: Query, form: OutputForm) {
  return { includeObject: includeObject(query), now: new Date(), apiVersion: (form.version === 'v1beta1' ? 'meta.k8s.io/v1beta1' : 'meta.k8s.io/v1') as TableApiVersion };
}

function withoutColumnsUnlessFirst<T extends { columnDefinitions?: unknown }>(table: T, first: boolean): T {
  if (first) return table;
  return { ...table, columnDefinitions: [] };
}

/** Keys given twice in a body: refused under fieldValidation=Strict, a warning under Warn (the default). */
function reportDuplicates(duplicates: string[], opts: WriteOptions): void {
  if (duplicates.length === 0) return;
  const messages = duplicates.map((path) => `duplicate field "${path}"`);
  if (opts.fieldValidation === 'Strict') throw errors.badRequest(`strict decoding error: ${summarise(messages)}`);
  if ((opts.fieldValidation ?? 'Warn') === 'Warn') opts.warnings.push(...messages);
}

/** Kubernetes names an unnamed manager after the client's user agent, up to the first "/". */
function defaultManager(userAgent: string | undefined): string {
  return (userAgent ?? 'unknown').split('/')[0].slice(0, 128) || 'unknown';
}

async function optionalBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const raw = await readBody(req);
  if (raw.length === 0 || raw.toString('utf8').trim() === '') return undefined;
  const { value } = await decodeBody(raw, req.headers['content-type']);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.badRequest('DeleteOptions must be an object');
  return value as Record<string, unknown>;
}

function asKubeObject(value: unknown): KubeObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.badRequest('the request body must be a JSON or YAML object');
  return value as KubeObject;
}
