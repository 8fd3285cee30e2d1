// Reading request bodies and writing responses: size limits, JSON and YAML decoding, content
// negotiation (JSON, YAML, Table, aggregated discovery) and Status errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ApiError, errors } from '../errors.ts';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from '../protobuf/index.ts';

/** Kubernetes refuses request bodies over 3 MiB. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** The body each request was read with, for the audit log (kept only as long as the request). */
export const requestBodies = new WeakMap<IncomingMessage, Buffer>();

export function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return Promise.reject(errors.tooLarge('Request entity too large: limit is 3145728'));
  }
  if (req.readableEnded) return Promise.resolve(requestBodies.get(req) ?? Buffer.alloc(0));
  // Plain events rather than an async iterator: this runs for every write, and the iterator's
  // setup (listeners, promises per chunk) costs more than reading a small body itself.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        fail(errors.tooLarge('Request entity too large: limit is 3145728'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      settled = true;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      requestBodies.set(req, body);
      resolve(body);
    });
    req.on('error', fail);
    req.once('close', () => {
      if (!settled) fail(new Error('the client closed the connection before sending the whole body'));
    });
  });
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Decodes a JSON, YAML or Kubernetes protobuf body into a value, with a 400 that says what is wrong. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (type === PROTOBUF_MEDIA_TYPE) return decodeProtobufBody(body);
  const text = body.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty; send a JSON or YAML object');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml') {
    const docs = parseAllDocuments(text);
    if (Array.isArray(docs) && docs.length > 1) throw errors.badRequest('the request body holds several YAML documents; send one object per request');
    try {
      return parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
    } catch (err) {
      throw errors.badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
  }
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw errors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`error decoding JSON: ${(err as Error).message}`);
  }
}

export interface AcceptedForm {
  /** Whether the client asked for a meta.k8s.io Table. */
  table: boolean;
  /** Aggregated discovery version asked for, if any. */
  discovery?: 'v2' | 'v2beta1';
  yaml: boolean;
}

/** Picks what to send from an Accept header, preferring the client's first acceptable entry. */
export function negotiate(accept: string | undefined): AcceptedForm {
  const form: AcceptedForm = { table: false, yaml: false };
  if (!accept) return form;
  for (const raw of accept.split(',')) {
    const [type, ...paramParts] = raw.split(';').map((s) => s.trim());
    const params = new Map(paramParts.map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
    if (type === 'application/json' && params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io' && (params.get('v') === 'v1' || params.get('v') === 'v1beta1')) {
      form.table = true;
      return form;
    }
    if (type === 'application/json' && params.get('as') === 'APIGroupDiscoveryList' && params.get('g') === 'apidiscovery.k8s.io') {
      const v = params.get('v');
      if (v === 'v2' || v === 'v2beta1') {
        form.discovery = v;
        return form;
      }
      continue;
    }
    if (type === 'application/yaml') {
      form.yaml = true;
      return form;
    }
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return form;
  }
  return form;
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendRaw(res, code, typeof body === 'string' ? body : JSON.stringify(body), contentType);
}

export function sendRaw(res: ServerResponse, code: number, payload: string | Buffer, contentType: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload), 'Cache-Control': 'no-cache, private' });
  res.end(payload);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const apiError = err instanceof ApiError ? err : errors.internal(`an unexpected error occurred: ${(err as Error)?.message ?? String(err)}`);
  if (apiError.details?.retryAfterSeconds !== undefined && !res.headersSent) res.setHeader('Retry-After', String(apiError.details.retryAfterSeconds));
  sendJson(res, apiError.code, apiError.toStatus());
}

/** Warning headers in the form kubectl prints: `299 - "message"`. */
export function setWarnings(res: ServerResponse, warnings: string[]): void {
  if (warnings.length === 0) return;
  res.setHeader('Warning', [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w)}`));
}
