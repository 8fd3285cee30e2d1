// Loopback helpers for tests.
import { connect, createServer } from 'node:net';
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

/** What a plain-text peer of host:port gets back: everything the server sends until it closes (or 2 s pass). */
export function plainTextAnswer(host: string, port: number, payload: Buffer): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => (socket.destroy(), resolve({ bytes: Buffer.concat(chunks), closed: false })), 2_000);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => (clearTimeout(timer), resolve({ bytes: Buffer.concat(chunks), closed: true })));
  });
}

/** A ZooKeeper connect request (the first thing a client sends), and an election peer's first message: plain-text probes of ZooKeeper's ports. */
export function zookeeperPlainTextProbes(): { connectRequest: Buffer; electionHello: Buffer } {
  const connectRequest = Buffer.alloc(48);
  connectRequest.writeInt32BE(44, 0);
  connectRequest.writeInt32BE(30_000, 16);
  const electionHello = Buffer.alloc(28);
  electionHello.writeBigInt64BE(-65536n, 0);
  electionHello.writeBigInt64BE(99n, 8);
  return { connectRequest, electionHello };
}
