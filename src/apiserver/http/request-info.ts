// Turns a request path and method into what Kubernetes calls RequestInfo: which resource, which
// object, which verb. Everything after routing (authorization, auditing, handlers) works from it.
import type { IncomingMessage } from 'node:http';
import { errors } from '../errors.ts';
import { parseBool } from './query.ts';

export interface ResourceRequest {
  kind: 'resource';
  /** get, list, watch, create, update, patch, delete, deletecollection */
  verb: string;
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

export interface NonResourceRequest {
  kind: 'nonresource';
  verb: string;
  path: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

const METHOD_VERBS: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * /api/v1/namespaces/{ns}/{resource}/{name}/{subresource}, /apis/{group}/{version}/..., and the
 * legacy /api/v1/watch/... form. A path of /api, /apis, /apis/{group} or /api/v1 (discovery) is
 * a non-resource request.
 */
export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const verb = METHOD_VERBS[method] ?? method.toLowerCase();
  const segments = path.split('/').filter((p) => p.length > 0);
  const parts = path.includes('%') ? segments.map(decodeSegment) : segments;
  let rest: string[];
  let group: string;
  let version: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return { kind: 'nonresource', verb, path };
  }
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    // namespaces/{ns}/{resource}/... — but namespaces/{name}/{subresource} is the namespace itself
    // when {subresource} is one of the namespace's own subresources.
    if (rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')) {
      return finish({ kind: 'resource', verb, group, version, resource: 'namespaces', name: rest[1], subresource: rest[2] }, method, query, watchPath);
    }
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const info: ResourceRequest = { kind: 'resource', verb, group, version, namespace, resource: rest[0] ?? '', name: rest[1], subresource: rest[2] };
  if (rest.length > 3) info.subresource = rest.slice(2).join('/');
  return finish(info, method, query, watchPath);
}

interface ParsedRequest { url: URL; info?: RequestInfo }

const parsedRequests = new WeakMap<IncomingMessage, ParsedRequest>();

/**
 * The request's URL, parsed once per request: authorization, audit, health checks and the handler
 * all read this one parse (dot segments resolved), so none of them can see another path than the
 * others. A target that is not a plain absolute path is a 400.
 */
export function requestUrl(req: IncomingMessage): URL {
  let parsed = parsedRequests.get(req);
  if (!parsed) {
    const target = req.url ?? '/';
    if (!target.startsWith('/') || target.startsWith('//')) {
      throw errors.badRequest(`the request target ${JSON.stringify(target.slice(0, 100))} must be an absolute path such as /api/v1/namespaces`);
    }
    let url: URL;
    try {
      url = new URL(target, 'https://granary.invalid');
    } catch {
      throw errors.badRequest(`the request target ${JSON.stringify(target.slice(0, 100))} is not a valid URL path`);
    }
    parsed = { url };
    parsedRequests.set(req, parsed);
  }
  return parsed.url;
}

/** requestInfo of a request, worked out once per request; a target that does not decode is a 400. */
export function requestInfoOf(req: IncomingMessage): RequestInfo {
  const url = requestUrl(req);
  const parsed = parsedRequests.get(req)!;
  parsed.info ??= requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
  return parsed.info;
}

function finish(info: ResourceRequest, method: string, query: URLSearchParams, watchPath: boolean): ResourceRequest {
  if (info.name === undefined) {
    if (method === 'GET' || method === 'HEAD') info.verb = watchPath || parseBool(query.get('watch')) ? 'watch' : 'list';
    if (method === 'DELETE') info.verb = 'deletecollection';
  } else if ((method === 'GET' || method === 'HEAD') && (watchPath || parseBool(query.get('watch')))) {
    info.verb = 'watch';
  }
  return info;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw errors.badRequest(`the request path segment ${JSON.stringify(segment.slice(0, 100))} is not valid percent-encoding`);
  }
}
