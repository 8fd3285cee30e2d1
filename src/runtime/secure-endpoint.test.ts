// The HTTPS endpoint of agents and operators cuts off slow and silent clients (issue 9, finding 8:
// connections dribbling headers stayed open long past the headers timeout), here with timeouts
// shortened to 1 s for the handshake and the headers and 2 s for the whole request (checked every
// second, so a client may get up to a second more).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeClient } from '../client/client.ts';
import { createLogger } from '../common/log.ts';
import { selfSignedCertificate, startSecureEndpoint } from './secure-endpoint.ts';

const HOST = '127.0.9.5';
let server: Server;
let port: number;

before(async () => {
  // No request in this test gets as far as authentication: the client is never asked anything.
  const client = { connection: { ca: (await selfSignedCertificate(HOST)).cert }, resource: () => ({}) } as unknown as KubeClient;
  server = await startSecureEndpoint({
    host: HOST, port: 0, client, routes: [], log: createLogger('test', 'silent'),
    timeouts: { handshakeMs: 1000, headersMs: 1000, requestMs: 2000 },
  });
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Resolves with how long the connection stayed open, and everything the server sent. */
function watched(socket: TLSSocket | ReturnType<typeof connectTcp>, started: number): Promise<{ ms: number; received: string }> {
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.on('error', () => {});
  return new Promise((resolve) => socket.once('close', () => resolve({ ms: Date.now() - started, received })));
}

async function tls(): Promise<TLSSocket> {
  const socket = connectTls({ host: HOST, port, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
  return socket;
}

test('a connection that never starts its TLS handshake is closed at the handshake timeout', async () => {
  const started = Date.now();
  const { ms } = await watched(connectTcp(port, HOST), started);
  assert.ok(ms < 3000, `open ${ms} ms`);
});

test('headers dribbled one line at a time are cut off at the headers timeout, without a response', async () => {
  const started = Date.now();
  const socket = await tls();
  const closed = watched(socket, started);
  socket.write('GET /metrics HTTP/1.1\r\n');
  const dribble = setInterval(() => socket.write('X-Slow: yes\r\n'), 200);
  const { ms, received } = await closed;
  clearInterval(dribble);
  assert.ok(ms < 4000, `open ${ms} ms`);
  assert.equal(received, '');
});

test('a body sent too slowly is cut off at the request timeout', async () => {
  const started = Date.now();
  const socket = await tls();
  const closed = watched(socket, started);
  socket.write('POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
  const dribble = setInterval(() => socket.write('x'), 200);
  const { ms } = await closed;
  clearInterval(dribble);
  assert.ok(ms < 5000, `open ${ms} ms`);
});

test('a request answered before its body is read (here a 404) ends its connection at once, not at the request timeout', async () => {
  const started = Date.now();
  const socket = await tls();
  const closed = watched(socket, started);
  socket.write('POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
  const { ms, received } = await closed;
  assert.match(received, /^HTTP\/1\.1 404 /);
  assert.match(received, /^connection: close\r$/im);
  // The request timeout is 2 s: a connection kept to read the rest of the body would stay that long.
  assert.ok(ms < 1500, `open ${ms} ms`);
});
