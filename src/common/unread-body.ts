// A server's answer to a request whose body it has not read.
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A response sent before its request's body has been read (a 401, a refused or bad request, a
 * health check or a GET that came with a body) ends the connection: reading the rest, as Node does
 * to reuse it, would let anyone hold a connection until the request timeout.
 */
export function closeUnlessBodyRead(req: IncomingMessage, res: ServerResponse): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (!hasBody) return;
  res.setHeader('Connection', 'close');
  req.once('end', () => {
    if (!res.headersSent) res.removeHeader('Connection');
  });
}
