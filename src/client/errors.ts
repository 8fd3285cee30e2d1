// API errors as typed values: every non-success answer becomes a KubeApiError carrying the
// server's Status, so callers branch on reason (isNotFound, isConflict, ...) rather than text.
import type { Status } from '../api/meta.ts';

export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status?: Status;
  readonly retryAfterSeconds?: number;

  constructor(code: number, reason: string, message: string, status?: Status, retryAfterSeconds?: number) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  static fromResponse(code: number, body: string, method: string, path: string, retryAfter?: string): KubeApiError {
    let status: Status | undefined;
    try {
      const parsed = JSON.parse(body) as Status;
      if (parsed && parsed.kind === 'Status') status = parsed;
    } catch {
      // not a Status body; fall through to a generic message
    }
    const reason = status?.reason ?? REASON_BY_CODE[code] ?? 'Unknown';
    const message = status?.message ?? `${method} ${path}: HTTP ${code}${body ? `: ${body.slice(0, 200)}` : ''}`;
    const retry = status?.details?.retryAfterSeconds ?? (retryAfter ? Number(retryAfter) : undefined);
    return new KubeApiError(code, reason, message, status, Number.isFinite(retry) ? retry : undefined);
  }
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 406: 'NotAcceptable',
  409: 'Conflict', 410: 'Expired', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType', 422: 'Invalid',
  429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

const is = (reason: string, code?: number) => (err: unknown): err is KubeApiError =>
  err instanceof KubeApiError && (err.reason === reason || (code !== undefined && err.code === code && err.reason === 'Unknown'));

export const isNotFound = is('NotFound', 404);
export const isAlreadyExists = is('AlreadyExists');
export const isConflict = (err: unknown): err is KubeApiError => err instanceof KubeApiError && err.code === 409 && err.reason === 'Conflict';
export const isInvalid = is('Invalid', 422);
export const isForbidden = is('Forbidden', 403);
export const isUnauthorized = is('Unauthorized', 401);
/** 410: the resourceVersion asked for is gone (compacted); relist. */
export const isGone = (err: unknown): err is KubeApiError => err instanceof KubeApiError && err.code === 410;
export const isTooManyRequests = is('TooManyRequests', 429);

/** Errors worth retrying for an idempotent request: overload, unavailability, timeouts. */
export function isTransient(err: unknown): boolean {
  if (err instanceof KubeApiError) return err.code === 429 || err.code === 503 || err.code === 504 || err.code === 500 && err.reason === 'InternalError' && /try again/i.test(err.message);
  const code = (err as { code?: string })?.code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED', 'UND_ERR_HEADERS_TIMEOUT'].includes(code)
    || (err as Error)?.name === 'SocketError';
}
