// Several API servers on one etcd cluster, under failure: a three-member etcd cluster and two
// `granary apiserver --storage etcd` replicas on loopback. A write load goes through replica A while
// a watch runs through replica B; mid-load one etcd member (the one both replicas use first) and
// then replica A are killed with SIGKILL, and the load carries on through B. Every acknowledged
// write must be readable through B, and B's watch must have delivered every change, in order,
// without a gap: it is never resumed with a 410 and never relists (neither happens in this test,
// so any occurrence fails it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { request, type Dispatcher } from 'undici';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { startEtcdCluster, type EtcdCluster } from '../support/etcd.ts';
import { readKubeconfig, tlsAgent } from '../../bench/support.ts';

const NAMESPACE = 'ha';
const WRITERS = 4;

interface Replica { server: RunningApiServer; url: string; agent: Dispatcher }

async function call(r: Replica, method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(`${r.url}${path}`, {
    method, dispatcher: r.agent, headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

async function replica(etcd: EtcdCluster, listenHost: string, dataDir: string): Promise<Replica> {
  const server = await startApiServer({
    dataDir, listen: `${listenHost}:0`,
    args: ['--storage', 'etcd', '--etcd-endpoints', etcd.endpoints.join(',')],
  });
  const creds = readKubeconfig(server.kubeconfig);
  return { server, url: server.url, agent: tlsAgent(creds, WRITERS + 2) };
}

/** Replicas share the cluster's identity: its CA and the key that signs ServiceAccount tokens. */
function shareIdentity(fromDataDir: string, toDataDir: string): void {
  mkdirSync(join(toDataDir, 'pki'), { recursive: true, mode: 0o700 });
  for (const file of ['ca.crt', 'ca.key', 'sa.key']) copyFileSync(join(fromDataDir, 'pki', file), join(toDataDir, 'pki', file));
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface SeenEvent { type: string; name: string; rv: number }

/**
 * Watches config maps through a replica from `fromRv`, resuming from the last resourceVersion if the
 * stream ends. Records every event, every resume, and any ERROR (a 410 would be a gap).
 */
function watchThrough(r: Replica, fromRv: string) {
  const events: SeenEvent[] = [];
  const errors: unknown[] = [];
  let resumes = 0;
  let rv = fromRv;
  const controller = new AbortController();
  const done = (async () => {
    while (!controller.signal.aborted) {
      try {
        const res = await request(`${r.url}/api/v1/namespaces/${NAMESPACE}/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, {
          dispatcher: r.agent, signal: controller.signal,
        });
        if (res.statusCode !== 200) errors.push({ status: res.statusCode, body: await res.body.text() });
        let buffered = '';
        for await (const chunk of res.body) {
          buffered += chunk.toString();
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            const event = JSON.parse(buffered.slice(0, nl));
            buffered = buffered.slice(nl + 1);
            if (event.type === 'ERROR') errors.push(event.object);
            else if (event.type === 'BOOKMARK') rv = event.object.metadata.resourceVersion;
            else {
              rv = event.object.metadata.resourceVersion;
              events.push({ type: event.type, name: event.object.metadata.name, rv: Number(rv) });
            }
          }
        }
      } catch (err) {
        if (controller.signal.aborted) break;
        errors.push(String(err));
      }
      if (!controller.signal.aborted) resumes++;
    }
  })();
  return {
    events, errors,
    get resumes() { return resumes; },
    async stop() {
      controller.abort();
      await done;
    },
  };
}

test('two apiserver replicas on a three-member etcd: no acknowledged write is lost and the watch has no gap when a member and a replica die mid-load', async (t) => {
  const etcd = await startEtcdCluster(3);
  const replicas: Replica[] = [];
  let watch: ReturnType<typeof watchThrough> | undefined;
  try {
    const dirA = tempDir('ha-a');
    const a = await replica(etcd, '127.0.0.2', dirA);
    replicas.push(a);
    const dirB = tempDir('ha-b');
    shareIdentity(dirA, dirB);
    const b = await replica(etcd, '127.0.0.3', dirB);
    replicas.push(b);
    assert.notEqual(a.url, b.url);

    // Writes through A become visible through B; B's watch starts from B's own list.
    assert.equal((await call(a, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } })).status, 201);
    await until('the namespace through B', async () => (await call(b, 'GET', `/api/v1/namespaces/${NAMESPACE}`)).status === 200);
    const start = await call(b, 'GET', `/api/v1/namespaces/${NAMESPACE}/configmaps`);
    assert.equal(start.status, 200);
    watch = watchThrough(b, start.body.metadata.resourceVersion);

    // The load: each writer creates config maps one after another through the current target.
    const acknowledged = new Map<string, number>();
    let failed = 0;
    let target = a;
    let loadRunning = true;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; loadRunning; i++) {
        const name = `w${w}-${i}`;
        const via = target;
        try {
          const res = await call(via, 'POST', `/api/v1/namespaces/${NAMESPACE}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { writer: String(w), i: String(i) } });
          if (res.status === 201) acknowledged.set(name, Number(res.body.metadata.resourceVersion));
          else {
            failed++; // e.g. etcd lost the member or its leader under the request: not acknowledged
            await new Promise((r) => setTimeout(r, 20));
          }
        } catch {
          failed++; // the replica died under the request: not acknowledged
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    });

    await until('writes through A', () => acknowledged.size >= 150);
    await etcd.members[0].kill();
    const afterMemberLoss = acknowledged.size;
    await until('writes through A with one etcd member gone', () => acknowledged.size >= afterMemberLoss + 150);
    await a.server.kill();
    target = b;
    const afterReplicaLoss = acknowledged.size;
    await until('writes through B', () => acknowledged.size >= afterReplicaLoss + 150);
    loadRunning = false;
    await Promise.all(writers);

    // Every acknowledged write is readable through B, at the revision it was acknowledged with.
    const list = await call(b, 'GET', `/api/v1/namespaces/${NAMESPACE}/configmaps`);
    assert.equal(list.status, 200);
    const listed = new Map<string, number>(list.body.items.map((item: any) => [item.metadata.name, Number(item.metadata.resourceVersion)]));
    const lost = [...acknowledged].filter(([name, rv]) => listed.get(name) !== rv);
    assert.deepEqual(lost, [], 'acknowledged writes missing or changed');
    for (const name of ['w0-0', [...acknowledged.keys()].at(-1)!]) {
      const got = await call(b, 'GET', `/api/v1/namespaces/${NAMESPACE}/configmaps/${name}`);
      assert.equal(got.status, 200);
      assert.equal(Number(got.body.metadata.resourceVersion), acknowledged.get(name));
    }

    // B's watch delivered exactly what is stored: one ADDED per object (acknowledged or not) at its
    // revision, in revision order, with no ERROR, no 410 and no resume.
    await until('the watch to catch up', () => watch!.events.length >= listed.size);
    await new Promise((r) => setTimeout(r, 200)); // anything extra (a repeat) would arrive now
    assert.deepEqual(watch.errors, []);
    assert.equal(watch.resumes, 0);
    assert.ok(watch.events.every((e) => e.type === 'ADDED'));
    assert.deepEqual(new Map(watch.events.map((e) => [e.name, e.rv])), listed);
    assert.equal(watch.events.length, listed.size, 'an event was delivered twice');
    for (let i = 1; i < watch.events.length; i++) assert.ok(watch.events[i].rv > watch.events[i - 1].rv, 'events out of revision order');
    // B's own etcd watch was on the killed member and resumed from its last revision.
    assert.match(b.server.output(), /etcd watch interrupted; resuming/);
    t.diagnostic(`${acknowledged.size} writes acknowledged, ${failed} failed during the failovers, ${listed.size} stored, ${watch.events.length} watched`);
  } finally {
    await watch?.stop();
    for (const r of replicas) {
      await r.agent.close();
      await r.server.kill();
    }
    await etcd.stop();
  }
});
