// Overload protection: caps on requests in flight (429 + Retry-After), open watches per user and a
// per-user request rate, with system:masters exempt from the per-user limits.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { readKubeconfig, tlsAgent, type KubeconfigCredentials } from '../../bench/support.ts';

describe('overload protection', () => {
  let server: RunningApiServer;
  let creds: KubeconfigCredentials;
  let admin: Agent;
  let alice: Agent;
  const TOKEN = 'alice-token-0123456789abcdef';

  const call = async (agent: Agent, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await request(`${creds.server}${path}`, {
      method: method as 'GET', dispatcher: agent, body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    const dir = tempDir('overload');
    writeFileSync(join(dir, 'tokens.csv'), `${TOKEN},alice,alice-uid,\n`);
    server = await startApiServer({ args: [
      '--token-auth-file', join(dir, 'tokens.csv'), '--max-mutating-requests-inflight', '1',
      '--max-watches-per-user', '2', '--requests-per-second-per-user', '5',
    ], env: { GRANARY_HTTP_TIMEOUTS: 'headers=2s,request=4s' } });
    creds = readKubeconfig(server.kubeconfig);
    admin = tlsAgent(creds, 8);
    alice = new Agent({ connect: { ca: creds.ca } });
    const binding = await call(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'alice-admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    });
    assert.equal(binding.status, 201);
  });
  after(async () => {
    await admin.close();
    await alice.close();
    await server.stop();
  });

  const asAlice = { authorization: `Bearer ${TOKEN}` };

  test('clients that send their bodies slowly hold no in-flight slot: writes go on, and the stalled requests are cut off', async () => {
    const url = new URL(creds.server);
    // With one mutating slot, creates whose bodies never finish used to take it (and every write got 429).
    const stalled = await Promise.all(Array.from({ length: 5 }, async () => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: creds.ca, cert: creds.cert, key: creds.key });
      await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
      socket.write('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString()));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      return { socket, closed, received: () => received };
    }));
    await new Promise((r) => setTimeout(r, 300));
    const admitted = await call(admin, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'admitted' } });
    assert.equal(admitted.status, 201, JSON.stringify(admitted.body));
    // The request timeout (4 s here) ends them, without a response.
    const started = Date.now();
    await Promise.all(stalled.map((s) => s.closed));
    assert.ok(Date.now() - started < 8000, `closed after ${Date.now() - started} ms`);
    for (const s of stalled) assert.equal(s.received(), '', 'a timed-out request gets no response');
  });

  test('a user may hold a limited number of watches, and send a limited rate of requests', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // a full bucket to start from
    const open: AbortController[] = [];
    for (let i = 0; i < 2; i++) {
      const abort = new AbortController();
      const res = await request(`${creds.server}/api/v1/namespaces/default/configmaps?watch=true`, { dispatcher: alice, headers: asAlice, signal: abort.signal });
      assert.equal(res.statusCode, 200);
      res.body.on('error', () => {});
      open.push(abort);
    }
    const third = await call(alice, 'GET', '/api/v1/namespaces/default/configmaps?watch=true', undefined, asAlice);
    assert.equal(third.status, 429);
    assert.match(third.body.message, /too many open watches for user "alice"/);
    for (const a of open) a.abort();

    await new Promise((r) => setTimeout(r, 2500));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await call(alice, 'GET', '/api/v1/namespaces/default/configmaps', undefined, asAlice)).status);
    assert.ok(statuses.filter((s) => s === 200).length >= 5, 'the burst is served');
    assert.ok(statuses.includes(429), `a rate above 5/s is refused (${statuses.join(',')})`);
    const adminStatuses = await Promise.all(Array.from({ length: 20 }, () => call(admin, 'GET', '/api/v1/namespaces/default/configmaps')));
    assert.ok(adminStatuses.every((r) => r.status === 200), 'system:masters is exempt from per-user limits');
  });
});
