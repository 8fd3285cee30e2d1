// The one guard around everything a request runs: a request listener, and the listeners a request
// leaves behind on its response (audit, accounting). Whatever they throw or reject with ends as a
// Status for the client (when it can still get one) and a log line, never as an exception in an
// event emitter, which would take the whole server down.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../common/log.ts';
import { ApiError } from '../errors.ts';
import { sendError } from './codec.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** `listener` behind the guard: a synchronous throw or a rejection becomes a Status response. */
export function guarded(log: Logger, listener: Listener): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const fail = (err: unknown) => {
      if (!(err instanceof ApiError)) log.error({ err: describe(err), method: req.method, path: req.url?.slice(0, 200) }, 'request failed unexpectedly');
      try {
        if (!res.destroyed && !res.writableEnded) sendError(res, err);
      } catch (sendErr) {
        log.error({ err: describe(sendErr) }, 'could not send the error response');
        res.destroy();
      }
    };
    try {
      const result = listener(req, res);
      if (result) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}

/** Runs `fn` once the response is done; what it throws is logged. */
export function onResponseClose(res: ServerResponse, log: Logger, what: string, fn: () => void): void {
  res.once('close', () => {
    try {
      fn();
    } catch (err) {
      log.error({ err: describe(err) }, `${what} failed`);
    }
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
