// The findings of the API server's security review (issue 9), each reproduced against a real
// `granary apiserver` over HTTPS: the server stays up, answers with the right Status, and nothing
// is read or granted that should not be. /livez is watched throughout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { rawConnection, rawRequest, unchunk } from '../support/raw-https.ts';
import { watchLiveness, type LivenessRecord } from '../support/liveness.ts';
import { readKubeconfig, tlsAgent, type KubeconfigCredentials } from '../../bench/support.ts';

const TOKEN = 'alice-token-0123456789abcdef';
const asAlice = { authorization: `Bearer ${TOKEN}` };

describe('hardening (issue 9 findings)', () => {
  let server: RunningApiServer;
  let creds: KubeconfigCredentials;
  let admin: Agent;
  let alice: Agent;
  let auditLog: string;
  let livez: LivenessRecord;

  const call = async (agent: Agent, method: string, path: string, body?: unknown, contentType = 'application/json', headers: Record<string, string> = {}) => {
    const res = await request(`${creds.server}${path}`, {
      method: method as 'GET', dispatcher: agent, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': contentType, ...(agent === alice ? asAlice : {}), ...headers },
    });
    const text = await res.body.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.statusCode, headers: res.headers, body: parsed };
  };

  before(async () => {
    const dir = tempDir('hardening');
    auditLog = join(dir, 'audit.log');
    writeFileSync(join(dir, 'tokens.csv'), `${TOKEN},alice,alice-uid,\n`);
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: RequestResponse\n');
    server = await startApiServer({
      dataDir: join(dir, 'data'), listen: '127.0.9.1:0',
      args: ['--token-auth-file', join(dir, 'tokens.csv'), '--audit-log-path', auditLog, '--audit-policy-file', join(dir, 'policy.yaml')],
      env: { GRANARY_HTTP_TIMEOUTS: 'handshake=1s,headers=2s,request=4s,keepAlive=3s' },
    });
    creds = readKubeconfig(server.kubeconfig);
    admin = tlsAgent(creds, 4);
    alice = new Agent({ connect: { ca: creds.ca } });
    for (const [path, body] of [
      ['/api/v1/namespaces', { metadata: { name: 'team' } }],
      ['/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', {
        metadata: { name: 'alice-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
      }],
      ['/api/v1/namespaces/kube-system/secrets', { metadata: { name: 'crown-jewels' }, stringData: { key: 'secret' } }],
      ['/api/v1/namespaces/team/configmaps', { metadata: { name: 'target' }, data: { a: '1' } }],
      ['/api/v1/namespaces/team/serviceaccounts', { metadata: { name: 'robot' } }],
    ] as const) assert.equal((await call(admin, 'POST', path, body)).status, 201, path);
    // /livez must answer within a second for as long as the tests run.
    livez = watchLiveness(creds.server, creds.ca);
  });

  after(async () => {
    await livez?.stop();
    await admin.close();
    await alice.close();
    if (server.process.exitCode === null) await server.stop();
  });

  const stillServing = async () => {
    assert.equal(server.process.exitCode, null, `the server exited:\n${server.output()}`);
    assert.equal((await call(admin, 'GET', '/api/v1/namespaces/team/configmaps/target')).status, 200);
  };

  test('1: __proto__ in any patch type (or body) is refused, pollutes nothing, and RBAC grants no more than before', async () => {
    const pollution = { apiGroups: ['*'], resources: ['*'], verbs: ['*'], nonResourceURLs: ['*'] };
    const path = '/api/v1/namespaces/team/configmaps/target';
    for (const [body, type] of [
      [`{"__proto__": ${JSON.stringify(pollution)}}`, 'application/merge-patch+json'],
      [`{"metadata": {"labels": {"__proto__": ${JSON.stringify(pollution)}}}}`, 'application/merge-patch+json'],
      [`{"data": {"__proto__": {"x": "y"}}}`, 'application/strategic-merge-patch+json'],
      [`[{"op": "add", "path": "/metadata/annotations", "value": {"__proto__": ${JSON.stringify(pollution)}}}]`, 'application/json-patch+json'],
      [`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"__proto__": ${JSON.stringify(pollution)}}}`, 'application/apply-patch+yaml'],
      ['metadata:\n  __proto__:\n    verbs: ["*"]\n', 'application/apply-patch+yaml'],
    ] as const) {
      const res = await call(alice, 'PATCH', `${path}${type.includes('apply') ? '?fieldManager=alice' : ''}`, body, type);
      assert.equal(res.status, 400, `${type} ${body}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, /"__proto__".*not allowed/);
    }
    // A JSON patch may still name __proto__ in its path: it is an own key of the object, nothing more.
    const added = await call(alice, 'PATCH', path, [{ op: 'add', path: '/data/__proto__', value: 'data' }], 'application/json-patch+json');
    assert.equal(added.status, 200, JSON.stringify(added.body));
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(alice, 'GET', '/api/v1/namespaces/kube-system/secrets/crown-jewels')).status, 403);
      assert.equal((await call(alice, 'GET', '/api/v1/nodes')).status, 403);
    }
    await stillServing();
  });

  test('2: targets that do not decode are 400 without credentials, and ../ cannot skip authentication', async () => {
    for (const target of ['/api/%zz', '/apis/%E0%A4%A/v1', '/api/v1/namespaces/%ff/pods']) {
      assert.equal((await rawRequest(creds, 'GET', target, { anonymous: true })).status, 400, target);
    }
    assert.equal((await rawRequest(creds, 'GET', '//evil/api/v1/secrets', { anonymous: true })).status, 400);
    for (const target of ['/livez/../api/v1/namespaces/kube-system/secrets', '/healthz/%2e%2e/api/v1/namespaces/kube-system/secrets/crown-jewels', '/readyz/./../api/v1/nodes']) {
      const res = await rawRequest(creds, 'GET', target, { anonymous: true });
      assert.equal(res.status, 401, `${target}: ${res.body}`);
      assert.ok(!res.body.includes('crown-jewels'));
    }
    const write = await rawRequest(creds, 'POST', '/livez/../api/v1/namespaces/team/configmaps', { anonymous: true, body: '{"metadata":{"name":"sneaky"}}' });
    assert.equal(write.status, 401);
    assert.equal((await call(admin, 'GET', '/api/v1/namespaces/team/configmaps/sneaky')).status, 404);
    await stillServing();
  });

  test('3: YAML bodies of many keys do not freeze the server', async () => {
    const yaml = (name: string, keys: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Array.from({ length: keys }, (_, i) => `  k${i}: v`).join('\n')}\n`;
    const over = await call(alice, 'POST', '/api/v1/namespaces/team/configmaps', yaml('too-many', 40_000), 'application/yaml');
    assert.equal(over.status, 413, JSON.stringify(over.body).slice(0, 300));
    assert.match(over.body.message, /more than 10000 keys and list items/);
    const under = await call(alice, 'POST', '/api/v1/namespaces/team/configmaps', yaml('many-keys', 9_500), 'application/yaml');
    assert.equal(under.status, 201, JSON.stringify(under.body).slice(0, 300));
    await stillServing();
  });

  test('4 and 5: bodies nested 20,000 levels are refused (YAML, and JSON with RequestResponse audit)', async () => {
    const yaml = `${'- '.repeat(20_000)}x`;
    const flow = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const json = `{"metadata":{"name":"deep"},"data":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`;
    for (const [body, type] of [[yaml, 'application/yaml'], [flow, 'application/yaml'], [json, 'application/json'], [json, 'application/merge-patch+json']] as const) {
      const res = await call(alice, type.includes('patch') ? 'PATCH' : 'POST', `/api/v1/namespaces/team/configmaps${type.includes('patch') ? '/target' : ''}`, body, type);
      assert.equal(res.status, 400, `${type}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, /nest deeper than 100 levels/);
    }
    await stillServing();
  });

  test('6: JSON patch copies are bounded (25 copies of a 130 KB value, and 25 doublings of the object)', async () => {
    const path = '/api/v1/namespaces/team/configmaps/target';
    const value = 'x'.repeat(130 * 1024);
    const before = await call(alice, 'PATCH', path, { data: { big: value } }, 'application/merge-patch+json');
    assert.equal(before.status, 200);
    const copies = (n: number) => Array.from({ length: n }, (_, i) => ({ op: 'copy', from: '/data/big', path: `/data/c${i}` }));
    // Copies of a string into data keys keep the ConfigMap well typed: only the copy bound stops
    // them (24 copies pass 3 MiB); without it the object would reach validation's 1 MiB check (422).
    // Copying the whole object into itself doubles it each time: this exhausted the heap.
    const doubling = Array.from({ length: 25 }, (_, i) => ({ op: 'copy', from: '', path: `/data/d${i}` }));
    for (const patch of [copies(25), doubling]) {
      const res = await call(alice, 'PATCH', path, patch, 'application/json-patch+json');
      assert.equal(res.status, 413, `${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      assert.equal(res.body.message, 'Unable to complete the copy, the accumulated size increase of copy is more than the limit 3145728');
    }
    const stored = (await call(admin, 'GET', path)).body;
    assert.equal(stored.metadata.resourceVersion, before.body.metadata.resourceVersion, 'a refused patch changes nothing');
    // Copies under the bound are applied.
    const within = await call(alice, 'PATCH', path, copies(3), 'application/json-patch+json');
    assert.equal(within.status, 200, JSON.stringify(within.body).slice(0, 200));
    assert.equal(within.body.data.c2, value);
    assert.equal((await call(alice, 'PATCH', path, { data: { big: null, c0: null, c1: null, c2: null } }, 'application/merge-patch+json')).status, 200);
    await stillServing();
  });

  test('10: no patch type changes metadata.name', async () => {
    const path = '/api/v1/namespaces/team/configmaps/target';
    for (const [patch, type] of [
      [[{ op: 'replace', path: '/metadata/name', value: 'renamed' }], 'application/json-patch+json'],
      [{ metadata: { name: 'renamed' } }, 'application/merge-patch+json'],
      [{ metadata: { name: 'renamed' } }, 'application/strategic-merge-patch+json'],
    ] as const) {
      const res = await call(alice, 'PATCH', path, patch, type);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.message, 'the name of the object (renamed) does not match the name on the URL (target)');
    }
    assert.equal((await call(admin, 'GET', path)).body.metadata.name, 'target');
    assert.equal((await call(admin, 'GET', '/api/v1/namespaces/team/configmaps?fieldSelector=metadata.name%3Drenamed')).body.items.length, 0);
  });

  test('11: state.db, its -wal and -shm are the owner\'s alone, in a directory no one else lists', () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    assert.equal(mode(join(server.dataDir, 'state.db')), 0o600);
    for (const f of ['state.db-wal', 'state.db-shm']) assert.equal(mode(join(server.dataDir, f)), 0o600, f);
    assert.equal(mode(server.dataDir) & 0o066, 0, `data dir mode ${mode(server.dataDir).toString(8)}`);
    assert.equal(mode(join(server.dataDir, 'pki')), 0o700);
  });

  test('12: 1e400, duplicate keys, ConfigMaps over 1 MiB, watch timeouts, TokenRequest tokens in the audit log', async () => {
    const create = (body: string, query = '') => call(alice, 'POST', `/api/v1/namespaces/team/configmaps${query}`, body);
    const huge = await call(alice, 'POST', '/apis/coordination.k8s.io/v1/namespaces/team/leases', '{"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":1e400}}');
    assert.equal(huge.status, 400);
    assert.match(huge.body.message, /out of range/);
    const strict = await create('{"metadata":{"name":"dup","name":"dup2"},"data":{"a":"1","a":"2"}}', '?fieldValidation=Strict');
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'strict decoding error: duplicate field "metadata.name", duplicate field "data.a"');
    const warned = await create('{"metadata":{"name":"dup","name":"dup2"}}');
    assert.equal(warned.status, 201);
    assert.match(String(warned.headers.warning), /duplicate field \\"metadata.name\\"/);
    // 600,000 two-byte characters: 1.2 MB, which Kubernetes counts in bytes.
    const big = await create(JSON.stringify({ metadata: { name: 'big' }, data: { v: 'é'.repeat(600_000) } }));
    assert.equal(big.status, 422, JSON.stringify(big.body).slice(0, 200));
    assert.match(big.body.message, /Too long: must have at most 1048576 bytes/);

    // timeoutSeconds beyond 2^31 ms keeps the watch open (it used to end at once); a negative one ends it at once.
    const controller = new AbortController();
    const long = await request(`${creds.server}/api/v1/namespaces/team/configmaps?watch=true&timeoutSeconds=2147484`, { dispatcher: admin, signal: controller.signal });
    let ended = false;
    long.body.on('end', () => (ended = true)).on('error', () => {});
    long.body.resume();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(ended, false, 'the watch is still open');
    controller.abort();
    const started = performance.now();
    const negative = await call(admin, 'GET', '/api/v1/namespaces/team/configmaps?watch=true&timeoutSeconds=-1');
    assert.equal(negative.status, 200);
    assert.ok(performance.now() - started < 1000, 'a negative timeout ends the watch at once');
    assert.equal((await call(admin, 'GET', '/api/v1/namespaces/team/configmaps?watch=true&timeoutSeconds=soon')).status, 400);

    const token = await call(alice, 'POST', '/api/v1/namespaces/team/serviceaccounts/robot/token', { spec: {} });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    const issued = token.body.status.token as string;
    await new Promise((r) => setTimeout(r, 300));
    const audit = readFileSync(auditLog, 'utf8');
    assert.ok(audit.includes('"subresource":"token"'), 'the TokenRequest is audited');
    assert.ok(!audit.includes(issued), 'but not the token it returned');
  });

  test('8 (and issue 10): slow and idle connections are closed on time, without a response', async () => {
    // Headers dribbled one line every 500 ms over TLS: closed at the headers timeout (2 s here).
    const loris = await rawConnection(creds);
    loris.socket.write('GET /api/v1/namespaces HTTP/1.1\r\n');
    const dribble = setInterval(() => loris.socket.write('X-Slow: yes\r\n'), 500);
    const lorisOpen = await loris.closed;
    clearInterval(dribble);
    assert.ok(lorisOpen < 5000, `a slow client kept its connection ${lorisOpen} ms`);
    assert.equal(loris.received(), '');
    // A request answered before its body is read (a 401, a POST to /livez) gets its answer and then
    // its connection closed: reading on would let anyone hold a connection until the request timeout (4 s here).
    for (const [target, status] of [['/api/v1/namespaces/team/configmaps', 401], ['/livez', 404]] as const) {
      const unread = await rawConnection(creds, { anonymous: true });
      unread.socket.write(`POST ${target} HTTP/1.1\r\nHost: granary\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{`);
      const unreadOpen = await unread.closed;
      assert.match(unread.received(), new RegExp(`^HTTP/1\\.1 ${status} .*\\r\\nconnection: close\\r\\n`, 'is'), target);
      assert.ok(unreadOpen < 2000, `${target}: the connection stayed open ${unreadOpen} ms`);
    }
    // An idle keep-alive connection is closed after the keep-alive timeout (3 s here) without a word.
    const idle = await rawConnection(creds);
    idle.socket.write('GET /version HTTP/1.1\r\nHost: granary\r\n\r\n');
    await new Promise((r) => setTimeout(r, 300));
    const answered = idle.received();
    assert.match(answered, /^HTTP\/1\.1 200/);
    const idleOpen = await idle.closed;
    assert.ok(idleOpen < 6000, `idle for ${idleOpen} ms`);
    assert.equal(idle.received(), answered, 'nothing is written to an idle connection');
    // A connection that never starts its TLS handshake is closed at the handshake timeout (1 s here).
    const { connect } = await import('node:net');
    const url = new URL(creds.server);
    const started = Date.now();
    const tcp = connect(Number(url.port), url.hostname);
    tcp.on('error', () => {});
    await new Promise((resolve) => tcp.once('close', resolve));
    assert.ok(Date.now() - started < 4000, `a silent TCP connection stayed ${Date.now() - started} ms`);
    await stillServing();
  });

  test('the server never restarted and /livez answered within a second throughout', (t) => {
    t.diagnostic(`livez: slowest answer ${livez.max.toFixed(0)} ms`);
    assert.equal(server.process.exitCode, null);
    assert.deepEqual(livez.failures, []);
    assert.ok(livez.max < 1000, `livez took up to ${livez.max} ms`);
  });

  test('on shutdown, a watch ends with a complete chunked stream', async () => {
    const watch = await rawConnection(creds);
    watch.socket.write('GET /api/v1/namespaces/team/configmaps?watch=true HTTP/1.1\r\nHost: granary\r\n\r\n');
    await new Promise((r) => setTimeout(r, 500));
    assert.match(watch.received(), /^HTTP\/1\.1 200/);
    const exit = server.stop();
    await watch.closed;
    assert.equal(await exit, 0);
    const text = watch.received();
    const events = unchunk(text.slice(text.indexOf('\r\n\r\n') + 4)).trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'target'));
  });
});
