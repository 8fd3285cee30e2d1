// EtcdBackend against a real etcd (Debian's etcd-server) on loopback. Each test keeps its keys
// under its own prefix, so one etcd serves them all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdBackend } from './etcd.ts';
import { EtcdUnavailable, parseEndpoint, prefixEnd } from './etcd-client.ts';
import { SqliteBackend } from './sqlite.ts';
import { WatchCache } from './cache.ts';
import { PreconditionFailed, RevisionCompacted, type StorageBackend, type StorageEvent } from './backend.ts';
import { startEtcdCluster, type EtcdCluster } from '../../../test/support/etcd.ts';
import { freePort } from '../../../test/support/net.ts';
import { createCertificateAuthority, signClientCertificate, signServingCertificate } from '../pki.ts';
import type { KubeObject } from '../../api/meta.ts';

let etcd: EtcdCluster;
let prefixes = 0;
const open: EtcdBackend[] = [];

before(async () => {
  etcd = await startEtcdCluster(1);
});

after(async () => {
  await Promise.all(open.map((b) => b.close()));
  await etcd.stop();
});

/** A backend on its own key prefix (or a given one, to share it like replicas do). */
function backend(prefix = `/test-${++prefixes}`, endpoints = etcd.endpoints): EtcdBackend {
  const b = new EtcdBackend({ endpoints, prefix });
  open.push(b);
  return b;
}

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data,
});

/** Collects a backend watch's events; `until(n)` resolves once n have arrived. */
function collect(b: StorageBackend, afterRevision: number) {
  const events: StorageEvent[] = [];
  const errors: Error[] = [];
  let wake = () => {};
  const stop = b.watch(afterRevision, (batch) => {
    events.push(...batch);
    wake();
  }, (err) => {
    errors.push(err);
    wake();
  });
  const until = async (n: number) => {
    const deadline = Date.now() + 10_000;
    while (events.length < n && errors.length === 0) {
      if (Date.now() > deadline) throw new Error(`watch delivered ${events.length} of ${n} events`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  return { events, errors, stop, until };
}

/** The same writes on any backend; every write is checked against its expected outcome. */
async function script(b: StorageBackend): Promise<void> {
  const a1 = await b.create('/core/configmaps/default/a', '{"v":1}');
  const bee = await b.create('/core/configmaps/default/b', '{"v":"b"}');
  await assert.rejects(b.create('/core/configmaps/default/a', '{}'), (e) => e instanceof PreconditionFailed && e.kind === 'exists');
  const a2 = await b.update('/core/configmaps/default/a', '{"v":2}', a1);
  await assert.rejects(b.update('/core/configmaps/default/a', '{}', a1), (e) => e instanceof PreconditionFailed && e.kind === 'revision');
  await assert.rejects(b.update('/core/configmaps/default/zz', '{}', a1), (e) => e instanceof PreconditionFailed && e.kind === 'missing');
  await b.delete('/core/configmaps/default/b', bee);
  await assert.rejects(b.delete('/core/configmaps/default/b', bee), (e) => e instanceof PreconditionFailed && e.kind === 'missing');
  await b.create('/core/configmaps/default/b', '{"v":"again"}');
  await b.delete('/core/configmaps/default/a', a2);
}

/** Events with revisions counted from `base`, so two stores can be compared. */
function relative(events: StorageEvent[], base: number) {
  return events.map((e) => ({ ...e, revision: e.revision - base, createRevision: e.createRevision - base }));
}

test('writes and watch events match the SQLite backend: same outcomes, same event shapes, in revision order', async () => {
  const sqlite = new SqliteBackend(join(mkdtempSync(join(tmpdir(), 'granary-etcd-cmp-')), 'state.db'));
  const onSqlite = collect(sqlite, sqlite.currentRevision());
  await script(sqlite);
  await onSqlite.until(6);

  const b = backend();
  const { revision: base } = await b.listAll();
  const onEtcd = collect(b, base);
  await script(b);
  await onEtcd.until(6);

  assert.deepEqual(onEtcd.errors, []);
  assert.deepEqual(relative(onEtcd.events, base), relative(onSqlite.events, 0));
  assert.deepEqual(onEtcd.events.map((e) => e.type), ['put', 'put', 'put', 'delete', 'put', 'delete']);
  assert.equal(b.currentRevision(), base + 6);
  onSqlite.stop();
  onEtcd.stop();
  await sqlite.close();
});

test('a refused write names the revision the key has now', async () => {
  const b = backend();
  const first = await b.create('/core/configmaps/default/x', '{}');
  const second = await b.update('/core/configmaps/default/x', '{"v":2}', first);
  await assert.rejects(b.update('/core/configmaps/default/x', '{}', first), (e) => e instanceof PreconditionFailed && e.modRevision === second);
  await assert.rejects(b.create('/core/configmaps/default/x', '{}'), (e) => e instanceof PreconditionFailed && e.kind === 'exists' && e.modRevision === second);
});

test('listAll and listAt read every key in pages at one revision; old revisions until compacted, then RevisionCompacted', async () => {
  const b = backend();
  const names = Array.from({ length: 1205 }, (_, i) => `/core/configmaps/default/k${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += 200) await Promise.all(names.slice(i, i + 200).map((n) => b.create(n, `{"n":"${n}"}`)));
  const { entries, revision } = await b.listAll();
  assert.deepEqual(entries.map((e) => e.key), names);
  assert.equal(revision, b.currentRevision());

  const x1 = await b.create('/core/secrets/default/x', '{"v":1}');
  await b.update('/core/secrets/default/x', '{"v":2}', x1);
  assert.deepEqual((await b.listAt('/core/secrets/', x1)).map((e) => e.value), ['{"v":1}']);
  assert.equal((await b.listAt('/core/configmaps/default/k1', revision)).length, 205);
  assert.deepEqual(await b.listAt('/core/secrets/', revision), []);

  await b.compact(x1 + 1);
  await assert.rejects(b.listAt('/core/secrets/', x1), RevisionCompacted);
  assert.deepEqual((await b.listAt('/core/secrets/', x1 + 1)).map((e) => e.value), ['{"v":2}']);
});

test('a watch replays history after its revision, and one from before the compacted revision fails with RevisionCompacted', async () => {
  const b = backend();
  const { revision: start } = await b.listAll();
  const r1 = await b.create('/core/configmaps/default/w', '{"v":1}');
  const r2 = await b.update('/core/configmaps/default/w', '{"v":2}', r1);
  const replay = collect(b, r1);
  await replay.until(1);
  assert.deepEqual(replay.events.map((e) => [e.revision, e.value, e.prevValue]), [[r2, '{"v":2}', '{"v":1}']]);
  replay.stop();

  await b.compact(r2);
  const tooOld = collect(b, start);
  await tooOld.until(1);
  assert.equal(tooOld.errors.length, 1);
  assert.ok(tooOld.errors[0] instanceof RevisionCompacted);
  assert.equal((tooOld.errors[0] as RevisionCompacted).compactRevision, r2);
  const fromCompacted = collect(b, r2);
  const r3 = await b.update('/core/configmaps/default/w', '{"v":3}', r2);
  await fromCompacted.until(1);
  assert.deepEqual(fromCompacted.events.map((e) => e.revision), [r3]);
  fromCompacted.stop();
});

test('compaction by several replicas, or of a revision already compacted, is harmless', async () => {
  const prefix = `/test-${++prefixes}`;
  const [a, b] = [backend(prefix), backend(prefix)];
  const r1 = await a.create('/core/configmaps/default/c', '{}');
  const r2 = await a.update('/core/configmaps/default/c', '{"v":2}', r1);
  await b.listAll();
  await Promise.all([a.compact(r2), b.compact(r2)]);
  await a.compact(r1);
  await b.compact(r2);
  await assert.rejects(a.listAt('/core/', r1), RevisionCompacted);
  // A revision beyond what this replica has seen is compacted only as far as it has seen.
  await b.compact(Number.MAX_SAFE_INTEGER);
  assert.equal((await b.listAt('/core/', b.currentRevision())).length, 1);
});

test('two replicas on one prefix: each watch cache sees the other\'s writes, with their revisions', async () => {
  const prefix = `/test-${++prefixes}`;
  const caches = [new WatchCache(backend(prefix)), new WatchCache(backend(prefix))];
  await Promise.all(caches.map((c) => c.start()));
  const made = await caches[0].create('/core/configmaps/default/shared', cm('shared', { by: 'a' }));
  await caches[1].waitForRevision(made.modRevision);
  assert.deepEqual(caches[1].get('/core/configmaps/default/shared')?.object, made.object);
  const changed = await caches[1].update('/core/configmaps/default/shared', cm('shared', { by: 'b' }), made.modRevision);
  // Replica A may still hold `made` when it writes: the stale write is refused, and by the time the
  // refusal returns, A shows B's version.
  await assert.rejects(caches[0].update('/core/configmaps/default/shared', cm('shared', { by: 'stale' }), made.modRevision), PreconditionFailed);
  assert.equal(caches[0].get('/core/configmaps/default/shared')?.modRevision, changed.modRevision);
  for (const c of caches) c.stop();
});

test('a watch resumes from its last revision after etcd restarts, without losing or repeating events', async () => {
  const b = backend();
  const { revision } = await b.listAll();
  const w = collect(b, revision);
  await b.create('/core/configmaps/default/before', '{}');
  await w.until(1);
  await etcd.members[0].kill();
  await etcd.members[0].restart();
  // The first request may still meet the closed connection; a write that was never sent is safe to repeat.
  let created = 0;
  for (let attempt = 0; !created; attempt++) {
    try {
      created = await b.create('/core/configmaps/default/after', '{}');
    } catch (err) {
      if (!(err instanceof EtcdUnavailable) || attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await w.until(2);
  await new Promise((r) => setTimeout(r, 300)); // a repeated event would arrive now
  assert.deepEqual(w.errors, []);
  assert.deepEqual(w.events.map((e) => e.key), ['/core/configmaps/default/before', '/core/configmaps/default/after']);
  assert.equal(w.events[1].revision, created);
  w.stop();
});

test('an endpoint that does not answer is left for the next one', async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const b = backend(undefined, [dead, ...etcd.endpoints]);
  const { revision } = await b.listAll();
  const w = collect(b, revision);
  const r = await b.create('/core/configmaps/default/f', '{}');
  await w.until(1);
  assert.equal(w.events[0].revision, r);
  w.stop();
});

test('over TLS: the backend talks to an etcd that requires client certificates, and one without a certificate is turned away', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-etcd-tls-'));
  const ca = await createCertificateAuthority('etcd-test-ca', 1);
  const serving = await signServingCertificate(ca, { hosts: ['127.0.0.1'], days: 1 });
  const client = await signClientCertificate(ca, { commonName: 'granary-apiserver', days: 1 });
  const file = (name: string, content: string) => {
    writeFileSync(join(dir, name), content, { mode: 0o600 });
    return join(dir, name);
  };
  const server = { caFile: file('ca.crt', ca.certPem), certFile: file('server.crt', serving.certPem), keyFile: file('server.key', serving.keyPem) };
  const clientFiles = { caFile: server.caFile, certFile: file('client.crt', client.certPem), keyFile: file('client.key', client.keyPem!) };
  const secure = await startEtcdCluster(1, { tls: server, clientTls: clientFiles });
  try {
    assert.match(secure.endpoints[0], /^https:/);
    const tls = { ca: readFileSync(clientFiles.caFile), cert: readFileSync(clientFiles.certFile), key: readFileSync(clientFiles.keyFile) };
    const b = new EtcdBackend({ endpoints: secure.endpoints, tls });
    const { revision } = await b.listAll();
    const w = collect(b, revision);
    const r = await b.create('/core/configmaps/default/tls', '{}');
    await w.until(1);
    assert.equal(w.events[0].revision, r);
    w.stop();
    await b.close();

    const anonymous = new EtcdBackend({ endpoints: secure.endpoints, tls: { ca: tls.ca }, requestTimeoutMs: 3000 });
    await assert.rejects(anonymous.listAll(), EtcdUnavailable);
    await anonymous.close();
    assert.throws(() => new EtcdBackend({ endpoints: secure.endpoints, tls: { cert: tls.cert } }), /needs its key/);
    assert.throws(() => new EtcdBackend({ endpoints: etcd.endpoints, tls }), /use https:\/\/ endpoints/);
  } finally {
    await secure.stop();
  }
});

test('bad endpoints and prefixes are refused with a message that says what to write', () => {
  assert.throws(() => new EtcdBackend({ endpoints: [] }), /at least one endpoint/);
  assert.throws(() => new EtcdBackend({ endpoints: ['localhost:2379'] }), /must start with http:\/\/ or https:\/\//);
  assert.throws(() => new EtcdBackend({ endpoints: ['127.0.0.1:2379'] }), /is not a URL; write it like http:\/\/127.0.0.1:2379/);
  assert.throws(() => new EtcdBackend({ endpoints: ['http://a:2379', 'https://b:2379'] }), /all http:\/\/ or all https:\/\//);
  assert.throws(() => new EtcdBackend({ endpoints: ['http://a:2379/v3'] }), /only scheme, host and port/);
  assert.throws(() => new EtcdBackend({ endpoints: ['http://a:2379'], prefix: 'registry' }), /must start with "\/"/);
  assert.deepEqual(parseEndpoint('http://[::1]'), { address: '[::1]:2379', tls: false });
  assert.deepEqual(prefixEnd(Buffer.from('/registry/')), Buffer.from('/registry0'));
  assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff])), Buffer.from('b'));
});
