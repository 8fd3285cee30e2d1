// Reading request bodies and writing responses: size limits, JSON and YAML decoding, JSON or YAML
// out (pretty when asked), gzip for large responses, and Status errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import type { OutputForm } from './negotiation.ts';
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

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendRaw(res, code, typeof body === 'string' ? body : JSON.stringify(body), contentType);
}

/**
 * Writes a response body in the negotiated form: JSON (`body` may be JSON text already), or YAML.
 * `contentType` overrides the JSON media type (aggregated discovery names its kind there).
 */
export function sendObject(res: ServerResponse, code: number, body: unknown, form: OutputForm, contentType?: string): void {
  if (form.format === 'yaml') {
    const value = typeof body === 'string' ? JSON.parse(body) : body;
    sendRaw(res, code, stringifyYaml(value, { lineWidth: 0 }), 'application/yaml');
    return;
  }
  sendJson(res, code, body, contentType);
}

/** Kubernetes compresses responses larger than this when the client accepts gzip. */
export const GZIP_THRESHOLD_BYTES = 128 * 1024;

/**
 * Whether the client accepts gzip, read as Kubernetes reads Accept-Encoding: one of its
 * comma-separated tokens is exactly "gzip" (client-go's transport sends that).
 */
export function acceptsGzip(req: IncomingMessage | undefined): boolean {
  const header = req?.headers['accept-encoding'];
  return typeof header === 'string' && header.split(',').some((token) => token.trim() === 'gzip');
}

/**
 * Pretty-printed JSON, as Kubernetes gives it: when `pretty` is true by Go's strconv.ParseBool,
 * or, without that parameter, to curl, Wget and browsers.
 */
export function wantsPretty(req: IncomingMessage | undefined): boolean {
  if (!req) return false;
  const query = (req.url ?? '').split('?')[1] ?? '';
  if (query.includes('pretty')) {
    const value = new URLSearchParams(query).get('pretty');
    if (value) return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
  }
  const agent = req.headers['user-agent'] ?? '';
  return agent.startsWith('curl') || agent.startsWith('Wget') || agent.startsWith('Mozilla/5.0');
}

export function sendRaw(res: ServerResponse, code: number, payload: string | Buffer, contentType: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const req = res.req as IncomingMessage | undefined;
  let body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (contentType.startsWith('application/json') && wantsPretty(req)) body = Buffer.from(`${JSON.stringify(JSON.parse(body.toString('utf8')), null, 2)}\n`);
  const headers: Record<string, string | number> = { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private' };
  if (body.length > GZIP_THRESHOLD_BYTES && acceptsGzip(req)) {
    res.statusCode = code;
    headers['Content-Encoding'] = 'gzip';
    headers.Vary = 'Accept-Encoding';
    gzip(body, { level: 1 }, (err, compressed) => {
      if (err) {
        res.destroy(err);
        return;
      }
      res.writeHead(code, { ...headers, 'Content-Length': compressed.length });
      res.end(compressed);
    });
    return;
  }
  res.writeHead(code, { ...headers, 'Content-Length': body.length });
  res.end(body);
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
