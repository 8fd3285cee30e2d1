// The request handler: health, version, discovery and OpenAPI documents, then every resource
// request routed to the store of its resource, with Kubernetes' query parameters and responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/meta.ts';
import type { ResourceDefinition } from '../../api/resources.ts';
import { groupVersion } from '../../api/resources.ts';
import { ApiError, errors } from '../errors.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import { deletedStatus, type DeleteOptions, type FieldValidation, type PatchType, type ResourceStore, type WriteOptions } from '../registry/store.ts';
import { cachedJson, type CacheEntry } from '../storage/cache.ts';
import { decodeBody, mediaType, negotiate, readBody, sendError, sendJson, sendRaw, setWarnings, type AcceptedForm } from './codec.ts';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import { requestInfoOf, requestUrl, isTrue, type ResourceRequest } from './request-info.ts';
import { serveWatch } from './watch.ts';
import { buildFilter } from './filters.ts';
import { toTable } from '../table.ts';

export interface OpenApiDocuments {
  v2Json(): { body: string; etag: string };
  v2Protobuf(): { body: Buffer; etag: string };
  v3Index(): string;
  v3Document(path: string): { body: string; etag: string } | undefined;
}

/** Handlers for subresources that are not a plain get/update of the object (binding, finalize, log, token). */
export type SubresourceHandler = (ctx: {
  req: IncomingMessage; res: ServerResponse; info: ResourceRequest; store: ResourceStore;
  body: () => Promise<unknown>; opts: WriteOptions; query: URLSearchParams;
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
  /** Called once per request with the outcome, for metrics and audit. */
  observe?(info: { verb: string; resource: string; code: number; durationMs: number }): void;
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
      const accept = negotiate(req.headers.accept);
      if (await serveNonResource(ctx, req, res, path, accept)) return;
      const info = requestInfoOf(req);
      if (info.kind === 'nonresource') throw notFoundPath();
      verb = info.verb;
      resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
      await serveResource(ctx, req, res, info, url.searchParams, accept);
    } catch (err) {
      sendError(res, err);
    } finally {
      ctx.observe?.({ verb, resource, code: res.statusCode, durationMs: performance.now() - started });
    }
  };
}

function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
}

async function serveNonResource(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, path: string, accept: AcceptedForm): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (trimmed === '/livez' || trimmed === '/healthz' || trimmed.startsWith('/livez/') || trimmed.startsWith('/healthz/')) {
    sendRaw(res, 200, 'ok', 'text/plain; charset=utf-8');
    return true;
  }
  if (trimmed === '/readyz' || trimmed.startsWith('/readyz/')) {
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
    if (accept.discovery) {
      sendJson(res, 200, aggregatedDiscovery(ctx.catalog, which, accept.discovery),
        `application/json;g=apidiscovery.k8s.io;v=${accept.discovery};as=APIGroupDiscoveryList`);
    } else {
      sendJson(res, 200, which === 'api' ? apiVersions(ctx.serverAddress) : apiGroupList(ctx.catalog));
    }
    return true;
  }
  const parts = trimmed.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 2) {
    const list = apiResourceList(ctx.catalog, '', parts[1]);
    if (!list) throw notFoundPath();
    sendJson(res, 200, list);
    return true;
  }
  if (parts[0] === 'apis' && (parts.length === 2 || parts.length === 3)) {
    const body = parts.length === 2 ? apiGroup(ctx.catalog, parts[1]) : apiResourceList(ctx.catalog, parts[1], parts[2]);
    if (!body) throw notFoundPath();
    sendJson(res, 200, body);
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

async function serveResource(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, info: ResourceRequest, query: URLSearchParams, accept: AcceptedForm): Promise<void> {
  const def = ctx.catalog.get(info.group, info.version, info.resource);
  if (!def) throw notFoundPath();
  if (def.namespaced === false && info.namespace !== undefined) throw notFoundPath();
  if (info.subresource && !def.subresources.includes(info.subresource)) throw notFoundPath();
  const computed = ctx.computedResources?.get(`${def.group}/${def.plural}`);
  if (computed) return computed({ req, res, info, body: async () => decodeBody(await readBody(req), req.headers['content-type']) });
  const store = ctx.storeFor(def);
  const opts = writeOptions(req, query);
  opts.admit = ctx.writeCheck?.(req, def);
  const ns = def.namespaced ? info.namespace : undefined;
  const respond = (code: number, obj: KubeObject) => {
    setWarnings(res, opts.warnings);
    if (accept.table) return sendJson(res, code, toTable(def, [obj], tableOptions(query)));
    // An object served as the cache holds it goes out as the JSON the cache already made.
    sendJson(res, code, cachedJson(obj) ?? obj);
  };
  const body = async () => decodeBody(await readBody(req), req.headers['content-type']);

  const special = info.subresource ? ctx.subresources.get(`${def.plural}/${info.subresource}`) : undefined;
  if (special) return special({ req, res, info, store, body, opts, query });

  switch (info.verb) {
    case 'get': {
      if (!info.name) throw notFoundPath();
      if (info.subresource && info.subresource !== 'status') throw errors.methodNotAllowed(`GET is not supported on ${def.plural}/${info.subresource}`);
      return respond(200, store.get(ns, info.name));
    }
    case 'list':
      return serveList(res, def, store, ns, query, accept, opts);
    case 'watch':
      return serveWatch(req, res, store, {
        namespace: ns, name: info.name, filter: buildFilter(query, store),
        resourceVersion: query.get('resourceVersion') ?? undefined,
        sendInitialEvents: query.has('sendInitialEvents') ? isTrue(query.get('sendInitialEvents')) : undefined,
        allowBookmarks: isTrue(query.get('allowWatchBookmarks')),
        timeoutSeconds: query.has('timeoutSeconds') ? Number(query.get('timeoutSeconds')) : undefined,
        bookmarkIntervalMs: ctx.bookmarkIntervalMs,
        bookmarkKind: { apiVersion: groupVersion(def), kind: def.kind },
        render: (entry: CacheEntry, first: boolean) => accept.table
          ? JSON.stringify(withoutColumnsUnlessFirst(toTable(def, [store.present(entry)], tableOptions(query)), first))
          : store.presentJson(entry),
      });
    case 'create': {
      if (info.name && !info.subresource) throw errors.methodNotAllowed(`POST is not supported on a named ${def.singular}; use PUT or PATCH`);
      const obj = asKubeObject(await body());
      const created = await store.create(ns, obj, { ...opts, ownedBody: true });
      return respond(201, created);
    }
    case 'update': {
      if (!info.name) throw errors.methodNotAllowed('PUT needs an object name in the URL');
      const updated = await store.update(ns, info.name, asKubeObject(await body()), { ...opts, ownedBody: true }, info.subresource);
      return respond(200, updated);
    }
    case 'patch': {
      if (!info.name) throw errors.methodNotAllowed('PATCH needs an object name in the URL');
      const type = PATCH_TYPES[mediaType(req.headers['content-type'])];
      if (!type) {
        throw errors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).filter((t) => !t.endsWith('cbor')).join(', ')}`);
      }
      const patch = await body();
      const force = isTrue(query.get('force'));
      if (query.has('force') && type !== 'apply') throw errors.badRequest('force is only valid with server-side apply (application/apply-patch+yaml)');
      const patched = await store.patch(ns, info.name, type, patch, { ...opts, force }, info.subresource);
      return respond(200, patched);
    }
    case 'delete': {
      if (!info.name) throw notFoundPath();
      const options = deleteOptions(query, await optionalBody(req));
      const { object, deleted } = await store.delete(ns, info.name, options, { ...opts, dryRun: options.dryRun || opts.dryRun });
      setWarnings(res, opts.warnings);
      if (deleted && !store.isCustom) return sendJson(res, 200, deletedStatus(def, object));
      return respond(200, object);
    }
    case 'deletecollection': {
      const options = deleteOptions(query, await optionalBody(req));
      const { items } = await store.list(ns, { filter: buildFilter(query, store) });
      const removed: KubeObject[] = [];
      for (const entry of items) {
        try {
          removed.push((await store.delete(entry.object.metadata.namespace, entry.object.metadata.name!, options, opts)).object);
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
        }
      }
      return sendJson(res, 200, { apiVersion: groupVersion(def), kind: def.listKind, metadata: {}, items: removed });
    }
    default:
      throw errors.methodNotAllowed(`${req.method} is not supported here`);
  }
}

async function serveList(res: ServerResponse, def: ResourceDefinition, store: ResourceStore, ns: string | undefined, query: URLSearchParams, accept: AcceptedForm, opts: WriteOptions): Promise<void> {
  const limit = query.has('limit') ? Number(query.get('limit')) : undefined;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw errors.badRequest(`invalid limit: ${query.get('limit')}`);
  const match = query.get('resourceVersionMatch') ?? undefined;
  if (match !== undefined && match !== 'Exact' && match !== 'NotOlderThan') {
    throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (match && !query.get('resourceVersion')) throw errors.badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  const result = await store.list(ns, {
    filter: buildFilter(query, store), limit, continueToken: query.get('continue') || undefined,
    resourceVersion: query.get('resourceVersion') ?? undefined, resourceVersionMatch: match as 'Exact' | 'NotOlderThan' | undefined,
  });
  const metadata: Record<string, unknown> = { resourceVersion: String(result.revision) };
  if (result.continueToken) metadata.continue = result.continueToken;
  if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
  setWarnings(res, opts.warnings);
  if (accept.table) {
    const table = toTable(def, result.items.map((e) => store.present(e)), tableOptions(query));
    return sendJson(res, 200, { ...table, metadata });
  }
  // Objects are already serialised in the cache: join their JSON instead of re-encoding each.
  const head = `{"kind":"${def.listKind}","apiVersion":"${groupVersion(def)}","metadata":${JSON.stringify(metadata)},"items":[`;
  if (result.items.length <= LIST_CHUNK_ITEMS) {
    sendRaw(res, 200, `${head}${result.items.map((e) => store.presentJson(e)).join(',')}]}`, 'application/json');
    return;
  }
  // A large list goes out in chunks, each written once the previous one has drained, so the
  // client reads and decodes while the server still encodes, and other requests get turns.
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.write(head);
  for (let i = 0; i < result.items.length; i += LIST_CHUNK_ITEMS) {
    const chunk = result.items.slice(i, i + LIST_CHUNK_ITEMS).map((e) => store.presentJson(e)).join(',');
    if (!res.write(i === 0 ? chunk : `,${chunk}`)) await new Promise<void>((resolve) => {
      res.once('drain', resolve);
      res.once('close', resolve);
    });
    if (res.destroyed) return;
  }
  res.end(']}');
}

const LIST_CHUNK_ITEMS = 500;

function tableOptions(query: URLSearchParams) {
  const include = query.get('includeObject');
  return { includeObject: (include === 'None' || include === 'Object' ? include : 'Metadata') as 'None' | 'Metadata' | 'Object', now: new Date() };
}

function withoutColumnsUnlessFirst<T extends { columnDefinitions?: unknown }>(table: T, first: boolean): T {
  if (first) return table;
  return { ...table, columnDefinitions: [] };
}

function writeOptions(req: IncomingMessage, query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll('dryRun');
  for (const d of dryRun) if (d !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
  const fv = query.get('fieldValidation') ?? undefined;
  if (fv !== undefined && fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') {
    throw errors.badRequest(`fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`);
  }
  const manager = query.get('fieldManager') ?? undefined;
  if (manager !== undefined && manager.length > 128) throw errors.badRequest('fieldManager: Too long: may not be longer than 128 characters');
  return {
    dryRun: dryRun.length > 0,
    fieldManager: manager ?? defaultManager(req.headers['user-agent']),
    fieldValidation: fv as FieldValidation | undefined,
    warnings: [],
  };
}

/** Kubernetes names an unnamed manager after the client's user agent, up to the first "/". */
function defaultManager(userAgent: string | undefined): string {
  return (userAgent ?? 'unknown').split('/')[0].slice(0, 128) || 'unknown';
}

async function optionalBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const raw = await readBody(req);
  if (raw.length === 0 || raw.toString('utf8').trim() === '') return undefined;
  const value = decodeBody(raw, req.headers['content-type']);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.badRequest('DeleteOptions must be an object');
  return value as Record<string, unknown>;
}

function deleteOptions(query: URLSearchParams, body: Record<string, unknown> | undefined): DeleteOptions {
  const opts: DeleteOptions = {};
  const grace = body?.gracePeriodSeconds ?? (query.has('gracePeriodSeconds') ? Number(query.get('gracePeriodSeconds')) : undefined);
  if (grace !== undefined) {
    if (typeof grace !== 'number' || !Number.isInteger(grace)) throw errors.badRequest('gracePeriodSeconds must be an integer');
    opts.gracePeriodSeconds = Math.max(0, grace);
  }
  const policy = body?.propagationPolicy ?? query.get('propagationPolicy') ?? undefined;
  if (policy !== undefined) {
    if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      throw errors.badRequest(`propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"`);
    }
    opts.propagationPolicy = policy;
  }
  const orphan = body?.orphanDependents ?? (query.has('orphanDependents') ? isTrue(query.get('orphanDependents')) : undefined);
  if (typeof orphan === 'boolean') opts.orphanDependents = orphan;
  if (body?.preconditions && typeof body.preconditions === 'object') opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
  const dryRun = body?.dryRun;
  if (Array.isArray(dryRun) && dryRun.includes('All')) opts.dryRun = true;
  return opts;
}

function asKubeObject(value: unknown): KubeObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.badRequest('the request body must be a JSON or YAML object');
  return value as KubeObject;
}
