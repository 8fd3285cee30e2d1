// The hostile-input suite: generated malformed and oversized bodies, patches, URLs, queries,
// headers and raw protocol junk against every route the server's own discovery names, sent over
// real HTTPS to a real `granary apiserver` (with audit at RequestResponse, so that the audit path
// sees everything too). Throughout, the server must never restart, /livez must answer within a
// second, its memory must stay bounded, and an unrelated client's writes must keep succeeding.
// No hostile request may get a 5xx: each gets a Status saying what is wrong, or its connection
// is closed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { rawConnection } from '../support/raw-https.ts';
import { watchLiveness, type LivenessRecord } from '../support/liveness.ts';
import { HOSTILE_NAMESPACE, hostileBodies, hostileHeaders, hostilePatches, hostileQueries, hostileTargets, rawAttacks, type HostileCase, type Route } from '../support/hostile-cases.ts';
import { readKubeconfig, tlsAgent, type KubeconfigCredentials } from '../../bench/support.ts';
import { DEFAULT_DECODE_LIMITS } from '../../src/apiserver/decode/limits.ts';

const BYSTANDER = 'bystander-token-0123456789';
const MALLORY = 'mallory-token-0123456789';
const CONCURRENCY = 6;
const JSON_TYPE = 'application/json';
/** The server's resident memory may not grow past this during the suite. */
const MAX_RSS_BYTES = 1536 * 1024 * 1024;

interface Outcome { what: string; method: string; path: string; status: number; body: string; ms: number }

/** The 5xx answers Kubernetes itself gives to these requests, which Granary gives too. */
const KUBERNETES_5XX = [
  /requested impersonation of groups, a uid or extra fields without impersonating a user/, // an InternalError in Kubernetes' impersonation filter
  /Too large resource version.*"reason":"Timeout"/, // a resourceVersion the server has not reached within 3 s
];

describe('hostile input against every route', () => {
  let server: RunningApiServer;
  let creds: KubeconfigCredentials;
  let admin: Agent;
  let plain: Agent;
  let livez: LivenessRecord;
  const memory = { baseline: 0, peak: 0 };
  const bystander = { writes: 0, failures: [] as string[], maxMs: 0 };
  const outcomes: Outcome[] = [];
  let stopWatching: () => Promise<void> = async () => {};
  let suiteMs = 0;

  const call = async (agent: Agent, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await request(`${creds.server}${path}`, {
      method: method as 'GET', dispatcher: agent, headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  };

  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.process.pid}/status`, 'utf8'))![1]) * 1024;

  before(async () => {
    const dir = tempDir('hostile');
    writeFileSync(join(dir, 'tokens.csv'), `${BYSTANDER},bob,bob-uid,\n${MALLORY},mallory,mallory-uid,\n`);
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: RequestResponse\n');
    server = await startApiServer({
      listen: '127.0.9.2:0',
      args: ['--token-auth-file', join(dir, 'tokens.csv'), '--audit-log-path', join(dir, 'audit.log'), '--audit-policy-file', join(dir, 'policy.yaml')],
      env: { GRANARY_HTTP_TIMEOUTS: 'headers=3s,request=6s' },
    });
    creds = readKubeconfig(server.kubeconfig);
    admin = tlsAgent(creds, CONCURRENCY + 2);
    plain = new Agent({ connect: { ca: creds.ca }, connections: 4 });
    const binding = (ns: string, user: string) => ({
      metadata: { name: `${user}-edit` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    });
    for (const [path, body] of [
      ['/api/v1/namespaces', { metadata: { name: HOSTILE_NAMESPACE } }],
      ['/api/v1/namespaces', { metadata: { name: 'bystander' } }],
      ['/apis/rbac.authorization.k8s.io/v1/namespaces/bystander/rolebindings', binding('bystander', 'bob')],
      ['/apis/rbac.authorization.k8s.io/v1/namespaces/hostile/rolebindings', binding('hostile', 'mallory')],
      ['/api/v1/namespaces/kube-system/secrets', { metadata: { name: 'crown-jewels' }, stringData: { key: 'secret' } }],
      ['/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        metadata: { name: 'widgets.hostile.granary.dev' },
        spec: {
          group: 'hostile.granary.dev', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: {
            type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          } } }],
        },
      }],
    ] as const) assert.equal((await call(admin, 'POST', path, body)).status, 201, path);
    await waitForDiscovery(() => call(admin, 'GET', '/apis/hostile.granary.dev/v1'));
    memory.baseline = memory.peak = rss();
    stopWatching = watchServer();
  });

  after(async () => {
    await stopWatching();
    await admin?.close();
    await plain?.close();
    if (server && server.process.exitCode === null) await server.stop();
  });

  /** /livez every 100 ms, the server's memory every 500 ms, and bob's writes every 100 ms, until stopped. */
  function watchServer(): () => Promise<void> {
    let running = true;
    const bob = new Agent({ connect: { ca: creds.ca }, connections: 2 });
    livez = watchLiveness(creds.server, creds.ca);
    const loops = [
      (async () => {
        while (running) {
          memory.peak = Math.max(memory.peak, rss());
          await sleep(500);
        }
      })(),
      (async () => {
        for (let n = 0; running; n++) {
          const started = performance.now();
          try {
            const res = await request(`${creds.server}/api/v1/namespaces/bystander/configmaps`, {
              method: 'POST', dispatcher: bob, signal: AbortSignal.timeout(5000),
              headers: { 'content-type': 'application/json', authorization: `Bearer ${BYSTANDER}` },
              body: JSON.stringify({ metadata: { name: `write-${n}` }, data: { n: String(n) } }),
            });
            await res.body.text();
            if (res.statusCode !== 201) bystander.failures.push(`write ${n}: ${res.statusCode}`);
          } catch (err) {
            bystander.failures.push(`write ${n}: ${String(err)}`);
          }
          bystander.maxMs = Math.max(bystander.maxMs, performance.now() - started);
          bystander.writes++;
          await sleep(100);
        }
      })(),
    ];
    return async () => {
      running = false;
      await Promise.all([...loops, livez.stop()]);
      await bob.close();
    };
  }

  test('every route from discovery answers hostile requests with a Status, never a 5xx', async (t) => {
    const started = performance.now();
    const routes = await discoverRoutes((path) => call(admin, 'GET', path));
    assert.ok(routes.length >= 30, `discovery names ${routes.length} routes`);
    await createTargets(routes);
    const cases = casesFor(routes);
    t.diagnostic(`${routes.length} routes, ${cases.length} hostile requests, ${rawCases().length} raw connections`);
    const queue = [...cases];
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) outcomes.push(await send(c));
    }));
    const raw = rawCases();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let r = raw.shift(); r; r = raw.shift()) outcomes.push(await sendRaw(r.what, r.path, r.bytes, r.anonymous));
    }));
    suiteMs = performance.now() - started;
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    t.diagnostic(`answers by status: ${[...byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? 'closed' : s}: ${n}`).join(', ')} (${(suiteMs / 1000).toFixed(1)} s)`);
    const slowest = outcomes.filter((o) => o.method !== 'RAW' && o.status !== 504).sort((a, b) => b.ms - a.ms).slice(0, 5);
    t.diagnostic(`slowest answers: ${slowest.map((o) => `${o.what} ${o.ms.toFixed(0)} ms`).join('; ')}`);
    const serverErrors = outcomes.filter((o) => o.status >= 500 && !KUBERNETES_5XX.some((allowed) => allowed.test(o.body)));
    assert.deepEqual(serverErrors.slice(0, 20).map((o) => `${o.status} ${o.what}: ${o.method} ${o.path.slice(0, 120)}: ${o.body.slice(0, 200)}`), [],
      `${serverErrors.length} hostile requests got a server error`);
    const notStatus = outcomes.filter((o) => o.status >= 400 && o.body !== '' && !isStatus(o.body) && o.status !== 431);
    assert.deepEqual(notStatus.slice(0, 10).map((o) => `${o.status} ${o.what}: ${o.body.slice(0, 120)}`), [], 'every refusal is a Status');
  });

  test('nothing was granted or renamed: RBAC still refuses, objects keep their names', async () => {
    const asMallory = { authorization: `Bearer ${MALLORY}` };
    assert.equal((await call(plain, 'GET', '/api/v1/namespaces/kube-system/secrets/crown-jewels', undefined, asMallory)).status, 403);
    assert.equal((await call(plain, 'GET', '/api/v1/nodes', undefined, asMallory)).status, 403);
    assert.equal((await call(plain, 'GET', '/api/v1/namespaces/kube-system/secrets', undefined, {})).status, 401);
    const target = await call(admin, 'GET', `/api/v1/namespaces/${HOSTILE_NAMESPACE}/configmaps/target`);
    assert.equal(target.body.metadata.name, 'target');
  });

  test('the server never restarted, /livez answered within a second, memory stayed bounded, and bob\'s writes all succeeded', async (t) => {
    await stopWatching();
    stopWatching = async () => {};
    t.diagnostic(`livez: ${livez.probes} probes, slowest ${livez.max.toFixed(0)} ms; memory: ${mib(memory.baseline)} MiB before, peak ${mib(memory.peak)} MiB; bystander: ${bystander.writes} writes, slowest ${bystander.maxMs.toFixed(0)} ms`);
    assert.equal(server.process.exitCode, null, `the server exited:\n${server.output().slice(-3000)}`);
    assert.deepEqual(livez.failures, []);
    assert.ok(livez.max < 1000, `/livez took ${livez.max.toFixed(0)} ms`);
    // Both watchers ran throughout: a probe and a write at least every half second of the suite.
    assert.ok(livez.probes >= suiteMs / 500, `${livez.probes} probes in ${suiteMs.toFixed(0)} ms`);
    assert.ok(memory.peak < MAX_RSS_BYTES, `peak resident memory ${mib(memory.peak)} MiB`);
    assert.deepEqual(bystander.failures, []);
    assert.ok(bystander.writes >= suiteMs / 500, `${bystander.writes} writes in ${suiteMs.toFixed(0)} ms`);
    assert.equal(await server.stop(), 0, 'and it still stops cleanly');
  });

  /** Creates an object named "target" of every resource that can be created simply, for patches to work on. */
  async function createTargets(routes: Route[]): Promise<void> {
    const minimal: Record<string, Record<string, unknown>> = {
      pods: { spec: { containers: [{ name: 'c', image: 'x:1' }] } },
      configmaps: { data: { a: '1' } },
      widgets: { spec: { size: 1 } },
    };
    for (const r of routes.filter((x) => !x.resource.includes('/') && x.namespaced && x.verbs.includes('create'))) {
      const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
      await call(admin, 'POST', `${prefix}/namespaces/${HOSTILE_NAMESPACE}/${r.resource}`, { metadata: { name: 'target' }, ...minimal[r.resource] });
    }
  }

  function casesFor(routes: Route[]): HostileCase[] {
    const cases: HostileCase[] = [];
    const add = (what: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}, anonymous = false) =>
      cases.push({ what, method, path, body, headers, anonymous });
    const bodies = hostileBodies('Thing', 'v1', 'hostile-object');
    const patches = hostilePatches();
    // A future resourceVersion is waited for 3 s (as Kubernetes waits) before its 504: three routes
    // show that it is handled; on every route it cost two thirds of this suite's time.
    const queriesFor = (turn: number) => hostileQueries().filter(([what]) => turn < 3 || what !== 'a future resourceVersion');
    let turn = 0;
    for (const r of routes) {
      const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
      const [plural, sub] = r.resource.split('/');
      const collection = `${prefix}${r.namespaced ? `/namespaces/${HOSTILE_NAMESPACE}` : ''}/${plural}`;
      // Cluster-scoped objects get a name no one uses: destructive cases must not hit real ones.
      const item = `${collection}/${r.namespaced ? 'target' : 'hostile-nonexistent'}${sub ? `/${sub}` : ''}`;
      const label = `${r.group || 'core'}/${r.resource}`;
      if (r.verbs.includes('create')) {
        const target = sub ? item : collection;
        for (const [what, type, body] of bodies) add(`${label} create, ${what}`, 'POST', target, body, { 'content-type': type });
      }
      if (r.verbs.includes('update')) {
        for (const [what, type, body] of bodies.filter((_, i) => (i + turn) % 3 === 0)) add(`${label} update, ${what}`, 'PUT', item, body, { 'content-type': type });
      }
      if (r.verbs.includes('patch')) {
        for (const [what, type, body] of patches) add(`${label} ${what}`, 'PATCH', `${item}${type.includes('apply') ? '?fieldManager=hostile' : ''}`, body, { 'content-type': type });
        for (const [what, type, body] of bodies.filter((_, i) => (i + turn) % 4 === 0)) {
          add(`${label} patch, ${what}`, 'PATCH', item, body, { 'content-type': type === 'application/json' ? 'application/merge-patch+json' : type });
        }
      }
      if (r.verbs.includes('get') || r.verbs.includes('list')) {
        for (const [what, query] of queriesFor(turn)) add(`${label} read, ${what}`, 'GET', `${r.verbs.includes('list') && !sub ? collection : item}?${query}`);
        for (const [what, target] of hostileTargets(collection)) {
          add(`${label} ${what}`, 'GET', target);
          add(`${label} ${what}, anonymous`, 'GET', target, undefined, {}, true);
        }
        for (const [what, headers] of hostileHeaders()) add(`${label} ${what}`, 'GET', item, undefined, headers, what.includes('bearer') || what.includes('JWT') || what.includes('basic'));
      }
      if (r.verbs.includes('delete') && r.namespaced) {
        for (const [what, type, body] of bodies.filter((_, i) => (i + turn) % 5 === 0)) add(`${label} delete, ${what}`, 'DELETE', `${collection}/hostile-nonexistent${sub ? `/${sub}` : ''}`, body, { 'content-type': type });
      }
      if (r.verbs.includes('deletecollection') && r.namespaced) {
        for (const [what, query] of queriesFor(turn).filter((_, i) => i % 4 === turn % 4)) add(`${label} deletecollection, ${what}`, 'DELETE', `${collection}?${query}&labelSelector=hostile%3Dnever`);
      }
      turn++;
    }
    // The largest bodies the limits let through, valid: the most work a write can cost.
    const bigData = JSON.stringify(Object.fromEntries(Array.from({ length: DEFAULT_DECODE_LIMITS.maxMembers - 20 }, (_, i) => [`k${i}`, 'v'])));
    const cms = `/api/v1/namespaces/${HOSTILE_NAMESPACE}/configmaps`;
    for (let i = 0; i < 3; i++) {
      add('largest valid create', 'POST', cms, `{"metadata":{"name":"big-${i}"},"data":${bigData}}`, { 'content-type': JSON_TYPE });
      add('largest valid strategic patch', 'PATCH', `${cms}/big-${i}`, '{"data":{"extra":"x"}}', { 'content-type': 'application/strategic-merge-patch+json' });
      add('largest valid apply', 'PATCH', `${cms}/big-${i}?fieldManager=hostile&force=true`, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big-${i}"},"data":${bigData}}`, { 'content-type': 'application/apply-patch+yaml' });
      add('largest valid update', 'PUT', `${cms}/big-${i}`, `{"metadata":{"name":"big-${i}"},"data":${bigData}}`, { 'content-type': JSON_TYPE });
    }
    for (const path of ['/version', '/api', '/apis', '/openapi/v2', '/openapi/v3', '/metrics', '/apis/nothing.example/v1', '/openapi/v3/%zz', '/api/v999/things']) {
      add(`non-resource ${path}`, 'GET', path, undefined, { 'if-none-match': '"junk"', accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf;;q=' });
      add(`non-resource ${path}, a body`, 'POST', path, '{"__proto__":{}}');
      add(`non-resource ${path}, anonymous`, 'GET', `${path}/%zz`, undefined, {}, true);
    }
    return cases;
  }

  function rawCases(): { what: string; path: string; bytes: string | Buffer; anonymous: boolean }[] {
    const out = [];
    for (const path of [`/api/v1/namespaces/${HOSTILE_NAMESPACE}/configmaps`, '/apis/hostile.granary.dev/v1/namespaces/hostile/widgets', '/livez']) {
      for (const [what, bytes] of rawAttacks(path)) {
        out.push({ what: `raw ${what} (${path})`, path, bytes, anonymous: false });
        out.push({ what: `raw ${what} (${path}), anonymous`, path, bytes, anonymous: true });
      }
    }
    return out;
  }

  async function send(c: HostileCase): Promise<Outcome> {
    const started = performance.now();
    try {
      const res = await request(`${creds.server}${c.path}`, {
        method: c.method as 'GET', dispatcher: c.anonymous ? plain : admin, headers: c.headers, body: c.body,
        signal: AbortSignal.timeout(15_000),
      });
      // A watch that was accepted streams on: its headers are the answer.
      const streaming = res.statusCode === 200 && /[?&]watch=/.test(c.path);
      if (streaming) res.body.on('error', () => {}).destroy();
      const body = streaming ? '' : await res.body.text();
      return { what: c.what, method: c.method, path: c.path, status: res.statusCode, body, ms: performance.now() - started };
    } catch (err) {
      // A refused connection (431, a closed socket) is an answer; a hang or a reset mid-request is not.
      const text = String(err);
      const closedOnPurpose = /SocketError|other side closed|ECONNRESET|HeadersOverflow|UND_ERR_SOCKET/.test(text) && !/timeout|aborted/i.test(text);
      return { what: c.what, method: c.method, path: c.path, status: closedOnPurpose ? 0 : 599, body: text, ms: performance.now() - started };
    }
  }

  async function sendRaw(what: string, path: string, bytes: string | Buffer, anonymous: boolean): Promise<Outcome> {
    const connection = await rawConnection(creds, { anonymous });
    connection.socket.write(bytes);
    const timer = setTimeout(() => connection.socket.destroy(), 10_000);
    const openMs = await connection.closed;
    clearTimeout(timer);
    const text = connection.received();
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    const status = openMs >= 10_000 ? 599 : Math.max(0, ...statuses);
    // Pipelined requests get several responses; one response's body is checked for being a Status.
    const body = status >= 400 && statuses.length === 1 ? text.slice(text.indexOf('\r\n\r\n') + 4) : '';
    return { what, method: 'RAW', path, status, body, ms: openMs };
  }
});

/** Every resource and subresource the discovery documents name, with its verbs. */
async function discoverRoutes(get: (path: string) => Promise<{ status: number; body: any }>): Promise<Route[]> {
  const versions: [string, string, string][] = [];
  for (const v of (await get('/api')).body.versions) versions.push(['', v, `/api/${v}`]);
  for (const g of (await get('/apis')).body.groups) {
    for (const v of g.versions) versions.push([g.name, v.version, `/apis/${g.name}/${v.version}`]);
  }
  const routes: Route[] = [];
  for (const [group, version, path] of versions) {
    for (const r of (await get(path)).body.resources) routes.push({ resource: r.name, group, version, namespaced: r.namespaced, verbs: r.verbs });
  }
  return routes;
}

async function waitForDiscovery(probe: () => Promise<{ status: number }>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await probe()).status === 200) return;
    await sleep(100);
  }
  throw new Error('the custom resource never appeared in discovery');
}

function isStatus(body: string): boolean {
  try {
    return JSON.parse(body).kind === 'Status';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
