// HTTP/1.1 over TLS written by hand, for tests of what clients' libraries would never send: request
// targets as typed (no normalisation), slow or unfinished requests, idle connections.
import { connect, type TLSSocket } from 'node:tls';
import type { KubeconfigCredentials } from '../../bench/support.ts';

export interface RawConnection {
  socket: TLSSocket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server closes (or the connection breaks), with the milliseconds it was open. */
  closed: Promise<number>;
}

/** Opens a TLS connection to the server, with the kubeconfig's client certificate unless `anonymous`. */
export async function rawConnection(creds: KubeconfigCredentials, opts: { anonymous?: boolean } = {}): Promise<RawConnection> {
  const url = new URL(creds.server);
  const started = Date.now();
  const socket = connect({
    host: url.hostname, port: Number(url.port), ca: creds.ca,
    ...(opts.anonymous ? {} : { cert: creds.cert, key: creds.key }),
  });
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  const closed = new Promise<number>((resolve) => {
    socket.once('close', () => resolve(Date.now() - started));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received: () => received, closed };
}

/** Sends one request with `Connection: close` and returns the status code and body the server answered. */
export async function rawRequest(creds: KubeconfigCredentials, method: string, target: string, opts: { anonymous?: boolean; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const c = await rawConnection(creds, opts);
  const headers = { Host: 'granary', Connection: 'close', ...(opts.body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers };
  c.socket.write(`${method} ${target} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${opts.body ?? ''}`);
  await c.closed;
  const text = c.received();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const head = text.indexOf('\r\n\r\n');
  let body = head >= 0 ? text.slice(head + 4) : '';
  if (/\r\ntransfer-encoding: chunked/i.test(text.slice(0, head))) body = unchunk(body);
  return { status, body: Buffer.from(body, 'latin1').toString('utf8') };
}

/** The payload of a chunked body; throws when the stream lacks its terminating chunk. */
export function unchunk(raw: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) throw new Error(`the chunked stream ends without its terminating chunk: ...${JSON.stringify(raw.slice(-40))}`);
    const size = parseInt(raw.slice(at, eol), 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size at ${at}: ${JSON.stringify(raw.slice(at, at + 20))}`);
    if (size === 0) return out;
    out += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}
