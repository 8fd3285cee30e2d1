// How every request enters the API server, inside one guard: the target is parsed once (a bad
// one is a 400), health checks go straight to the handler, everything else is authenticated and
// authorized (401/403), audited, held to the per-user limits, has its body read (bounded in size,
// and in time by the server's request timeout), and only then takes an in-flight slot, so a client
// that sends slowly holds nothing another client needs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../common/log.ts';
import { closeUnlessBodyRead } from '../../common/unread-body.ts';
import type { AuditLog } from '../audit.ts';
import type { Identity } from '../auth/user.ts';
import { readBody } from './codec.ts';
import { guarded } from './guard.ts';
import { isHealthPath } from './handler.ts';
import type { OverloadGuard } from './overload.ts';
import { answerAtDeadline } from './request-deadline.ts';
import { requestInfoOf, requestUrl } from './request-info.ts';

export interface EntryDeps {
  log: Logger;
  /** Authenticates and authorizes (who is asking, and as whom), or throws the 401/403 to send. */
  authorize(req: IncomingMessage): Identity;
  /** What authentication established about a refused request, for the audit log. */
  identityOf(req: IncomingMessage): Identity | undefined;
  audit?: AuditLog;
  overload: OverloadGuard;
  metrics: { render(): Promise<string>; contentType: string };
  handler(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The server's own deadline for a whole request; a client's `timeout` counts only when shorter. */
  requestTimeoutMs: number;
}

export function requestEntry(deps: EntryDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return guarded(deps.log, async (req, res) => {
    closeUnlessBodyRead(req, res);
    const path = requestUrl(req).pathname;
    if (isHealthPath(path)) return deps.handler(req, res);
    // A target that does not decode is a 400 before anything else, as in Kubernetes (Go's server).
    const info = requestInfoOf(req);
    let identity: Identity;
    try {
      identity = deps.authorize(req);
    } catch (err) {
      deps.audit?.track(req, res, deps.identityOf(req));
      throw err;
    }
    deps.audit?.track(req, res, identity);
    // The client's deadline runs from here: reading the body counts against it.
    answerAtDeadline(req, res, info, deps.requestTimeoutMs);
    const watch = info.kind === 'resource' && info.verb === 'watch';
    deps.overload.admitUser(res, identity.user, watch);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      try {
        await readBody(req);
      } catch (err) {
        if (req.destroyed || res.destroyed) return; // the client went away, or its time ran out
        throw err; // the rest of the body stays unread, so the connection closes after the answer
      }
    }
    if (!watch) deps.overload.admitInFlight(req, res);
    if (path === '/metrics') {
      const body = await deps.metrics.render();
      res.writeHead(200, { 'Content-Type': deps.metrics.contentType });
      res.end(body);
      return;
    }
    await deps.handler(req, res);
  });
}
