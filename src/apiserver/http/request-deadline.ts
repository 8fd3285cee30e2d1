// The `timeout` query parameter, read as Kubernetes' request deadline: when it passes before the
// answer, the client gets 504 Timeout. The work itself goes on (a write may still be made, as in
// Kubernetes); its late answer is dropped (sendRaw ends a response whose headers were sent).
// Watches and streams are long-running and have no deadline (a watch ends at timeoutSeconds).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors.ts';
import { sendError } from './codec.ts';
import { Query, requestTimeout } from './query.ts';
import { requestUrl, type RequestInfo } from './request-info.ts';

/** Answers `res` with Kubernetes' 504 Timeout once the request's `timeout` has passed, unless answered by then; a malformed `timeout` is a 400. */
export function answerAtDeadline(req: IncomingMessage, res: ServerResponse, info: RequestInfo, requestTimeoutMs: number): void {
  if (isLongRunning(info)) return;
  const ms = requestTimeout(new Query(requestUrl(req).searchParams));
  // Kubernetes uses a client's timeout only when it is positive and shorter than the server's own.
  if (ms === undefined || !(ms > 0 && ms < requestTimeoutMs)) return;
  const timer = setTimeout(() => {
    if (!res.headersSent && !res.destroyed) sendError(res, errors.timeout('Timeout: request did not complete within requested timeout - context deadline exceeded'));
  }, ms);
  res.once('close', () => clearTimeout(timer));
}

/** Requests Kubernetes lets run past any deadline: watches and streams (logs, exec, attach, port forwarding, proxy). */
function isLongRunning(info: RequestInfo): boolean {
  return info.kind === 'resource' && (info.verb === 'watch' || ['log', 'exec', 'attach', 'portforward', 'proxy'].includes(info.subresource ?? ''));
}
