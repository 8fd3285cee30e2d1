// Reading request bodies and writing responses: size limits, JSON and YAML decoding, JSON or YAML
// out (pretty when asked), gzip for large responses, and Status errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import { stringify as stringifyYaml } from 'yaml';
import type { OutputForm } from './negotiation.ts';
import { ApiError, errors } from '../errors.ts';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from '../protobuf/index.ts';
import { decodeJson, decodeWellFormedJson, type Decoded } from '../decode/json.ts';
import { DEFAULT_DECODE_LIMITS, MAX_BODY_BYTES, type DecodeLimits } from '../decode/limits.ts';
import { yamlDecoder } from '../decode/yaml-pool.ts';

/** The body each request was read with, for the audit log (kept only as long as the request). */
export const requestBodies = new WeakMap<IncomingMessage, Buffer>();

/**
 * Reads the request body, at most MAX_BODY_BYTES (a larger one is a 413 and stays unread: the
 * connection is closed after the response). How long a client may take is bounded by the server's
 * request timeout, which destroys the connection.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  const tooLarge = () => errors.tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`);
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) {
    req.pause();
    return Promise.reject(tooLarge());
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
        req.pause();
        fail(tooLarge());
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

const YAML_TYPES = new Set(['application/yaml', 'application/apply-patch+yaml', 'text/yaml']);

/**
 * Decodes a JSON, YAML or Kubernetes protobuf body into a value, within the bounds of
 * decode/limits.ts and never with a key that could reach a prototype; a 400 (413 when too large)
 * says what is wrong. The one way request bodies are decoded.
 */
export async function decodeBody(body: Buffer, contentType: string | undefined, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<Decoded> {
  const type = mediaType(contentType);
  if (type === PROTOBUF_MEDIA_TYPE) return { value: decodeProtobufBody(body), duplicates: [] };
  const text = body.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty; send a JSON or YAML object');
  if (YAML_TYPES.has(type)) {
    // JSON is YAML too, and what clients send as apply patches: the JSON decoder is much faster.
    if (/^\s*[{[]/.test(text)) {
      const decoded = decodeWellFormedJson(text, limits);
      if (!('syntaxError' in decoded)) return decoded;
    }
    return yamlDecoder.decode(text, limits);
  }
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw errors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
  }
  return decodeJson(text, limits);
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
      // This runs outside the request's guard: a client gone meanwhile just ends here.
      if (err || res.destroyed || res.headersSent) {
        res.destroy(err ?? undefined);
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

/** At most this many warnings, of this many bytes together, go back to a client (as Kubernetes bounds them). */
const MAX_WARNINGS = 50;
const MAX_WARNING_BYTES = 4096;

/** Warning headers in the form kubectl prints: `299 - "message"`; a flood of them is cut short, saying how many were left out. */
export function setWarnings(res: ServerResponse, warnings: string[]): void {
  // Headers already sent: the request was answered already (its deadline passed, see request-deadline.ts).
  if (warnings.length === 0 || res.headersSent) return;
  const unique = [...new Set(warnings)];
  const kept: string[] = [];
  let bytes = 0;
  for (const warning of unique) {
    const text = warning.length > 256 ? `${warning.slice(0, 253)}...` : warning;
    if (kept.length === MAX_WARNINGS || bytes + text.length > MAX_WARNING_BYTES) break;
    kept.push(text);
    bytes += text.length;
  }
  if (kept.length < unique.length) kept.push(`${unique.length - kept.length} more warnings were left out`);
  // A header holds Latin-1 only: anything else (from a field name in the body, say) goes escaped.
  const header = (w: string) => `299 - ${JSON.stringify(w).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
  res.setHeader('Warning', kept.map(header));
}
