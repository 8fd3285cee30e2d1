// Loopback helpers for tests.
import { createServer } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import type { X509Certificate } from 'node:crypto';

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The certificate a TLS server presents on host:port, reached with the client's TLS options. */
export function presentedCertificate(host: string, port: number, tls: ConnectionOptions): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host, port, ...tls }, () => {
      resolve(socket.getPeerX509Certificate()!);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}
