// Finding the control plane's CA by its hash before trusting the server with a token: a real
// `granary apiserver` passes with its own CA's hash; a wrong hash, a server with another CA, and a
// server that sends the real CA certificate without holding its key are refused, and none of them
// receives a request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { caCertHash, discoverPinnedCa, parseCaCertHash } from '../../src/client/pinned-ca.ts';
import { ensurePki } from '../../src/apiserver/pki.ts';

/** An HTTPS server on loopback presenting `chain`, counting the requests that reach it. */
async function impostor(chain: string, key: string): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer({ cert: chain, key }, (_req, res) => {
    requests++;
    res.end('{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.15.200', done));
  return { server, url: `https://127.0.15.200:${(server.address() as { port: number }).port}`, requests: () => requests };
}

describe('discovering the control plane CA by its hash', () => {
  let apiserver: RunningApiServer;
  let caPem: string;

  before(async () => {
    apiserver = await startApiServer({ listen: '127.0.15.200:0' });
    caPem = readFileSync(join(apiserver.dataDir, 'pki', 'ca.crt'), 'utf8');
  });
  after(async () => {
    await apiserver.stop();
  });

  test('the hash is kubeadm\'s: SHA-256 of the DER SubjectPublicKeyInfo, as openssl computes it', () => {
    const pubkey = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: caPem });
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pubkey });
    const digest = execFileSync('sha256sum', { input: der }).toString().split(' ')[0];
    assert.equal(caCertHash(caPem), `sha256:${digest}`);
    assert.equal(parseCaCertHash(`  SHA256:${digest.toUpperCase()} `), `sha256:${digest}`);
    for (const bad of ['', digest, `sha1:${digest}`, `sha256:${digest.slice(1)}`, `sha256:${digest}0`, `sha256:${'g'.repeat(64)}`]) {
      assert.equal(parseCaCertHash(bad), undefined, bad);
    }
  });

  test('the real API server passes with its CA\'s hash and its CA is returned', async () => {
    assert.equal(await discoverPinnedCa(apiserver.url, [caCertHash(caPem)]), new (await import('node:crypto')).X509Certificate(caPem).toString());
  });

  test('a wrong hash is refused, naming the hash the server has', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(discoverPinnedCa(apiserver.url, [wrong]), (err: Error) => {
      assert.match(err.message, /is not the control plane you pinned/);
      assert.ok(err.message.includes(caCertHash(caPem)), err.message);
      return true;
    });
  });

  test('a server with another CA is refused and gets no request', async () => {
    const pkiDir = tempDir('impostor');
    const other = await ensurePki(pkiDir, { listenHost: '127.0.15.200' });
    rmSync(pkiDir, { recursive: true, force: true });
    const fake = await impostor(`${other.serverCertPem.trimEnd()}\n${other.caPem}`, other.serverKeyPem);
    try {
      await assert.rejects(discoverPinnedCa(fake.url, [caCertHash(caPem)]), /is not the control plane you pinned/);
      assert.equal(fake.requests(), 0);
    } finally {
      fake.server.close();
    }
  });

  test('a server sending the real CA certificate without holding its key is refused and gets no request', async () => {
    const pkiDir = tempDir('impostor');
    const other = await ensurePki(pkiDir, { listenHost: '127.0.15.200' });
    rmSync(pkiDir, { recursive: true, force: true });
    const fake = await impostor(`${other.serverCertPem.trimEnd()}\n${caPem}`, other.serverKeyPem);
    try {
      await assert.rejects(discoverPinnedCa(fake.url, [caCertHash(caPem)]), /did not send the certificate authority that signed its serving certificate/);
      assert.equal(fake.requests(), 0);
    } finally {
      fake.server.close();
    }
  });

  test('nothing listening, and a URL that is not https, are clear errors', async () => {
    await assert.rejects(discoverPinnedCa('https://127.0.15.200:1', [caCertHash(caPem)]), /cannot reach the API server at https:\/\/127.0.15.200:1/);
    await assert.rejects(discoverPinnedCa('http://127.0.15.200:6443', [caCertHash(caPem)]), /must be reached over https/);
    await assert.rejects(discoverPinnedCa('not a url', [caCertHash(caPem)]), /is not a URL/);
  });
});
