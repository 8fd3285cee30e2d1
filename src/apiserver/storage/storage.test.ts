import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from './sqlite.ts';
import { WatchCache, WatchTooOld, type CacheEvent } from './cache.ts';
import { PreconditionFailed, RevisionCompacted } from './backend.ts';
import type { KubeObject } from '../../api/meta.ts';

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data,
});

async function open(dir: string, historyLimit = 1000) {
  const backend = new SqliteBackend(join(dir, 'state.db'));
  const cache = new WatchCache(backend, { historyLimit });
  await cache.start();
  return { backend, cache };
}

test('writes get increasing revisions that become resourceVersions, and conflicts are refused', async () => {
  const { backend, cache } = await open(mkdtempSync(join(tmpdir(), 'granary-store-')));
  const a = await cache.create('/core/configmaps/default/a', cm('a'));
  const b = await cache.create('/core/configmaps/default/b', cm('b'));
  assert.equal(a.object.metadata.resourceVersion, String(a.modRevision));
  assert.ok(b.modRevision > a.modRevision);
  await assert.rejects(cache.create('/core/configmaps/default/a', cm('a')), (e) => e instanceof PreconditionFailed && e.kind === 'exists');
  const a2 = await cache.update('/core/configmaps/default/a', cm('a', { k: 'v' }), a.modRevision);
  assert.equal(a2.createRevision, a.modRevision);
  await assert.rejects(cache.update('/core/configmaps/default/a', cm('a'), a.modRevision), (e) => e instanceof PreconditionFailed && e.kind === 'revision');
  assert.deepEqual(cache.list('/core/configmaps/default/').map((e) => e.object.metadata.name), ['a', 'b']);
  const gone = await cache.delete('/core/configmaps/default/b', b.modRevision);
  assert.equal(gone.object.metadata.name, 'b');
  assert.equal(cache.get('/core/configmaps/default/b'), undefined);
  await backend.close();
});

test('concurrent writes in one turn commit together and each is acknowledged', async () => {
  const { backend, cache } = await open(mkdtempSync(join(tmpdir(), 'granary-store-')));
  const created = await Promise.all(Array.from({ length: 50 }, (_, i) => cache.create(`/core/configmaps/default/c${i}`, cm(`c${i}`))));
  assert.equal(new Set(created.map((c) => c.modRevision)).size, 50);
  assert.equal(cache.list('/core/configmaps/').length, 50);
  await backend.close();
});

test('state survives a reopen, and old revisions are readable until compacted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-store-'));
  let { backend, cache } = await open(dir);
  const x = await cache.create('/core/configmaps/default/x', cm('x', { v: '1' }));
  await cache.update('/core/configmaps/default/x', cm('x', { v: '2' }), x.modRevision);
  await backend.close();
  ({ backend, cache } = await open(dir));
  assert.deepEqual(cache.get('/core/configmaps/default/x')?.object.data, { v: '2' });
  const old = await cache.listAt('/core/configmaps/', x.modRevision);
  assert.deepEqual(old[0].object.data, { v: '1' });
  await backend.compact(backend.currentRevision());
  await assert.rejects(cache.listAt('/core/configmaps/', x.modRevision), RevisionCompacted);
  assert.deepEqual(cache.get('/core/configmaps/default/x')?.object.data, { v: '2' });
  await backend.close();
});

test('a watch replays held events after its revision, then live ones; evicted history means 410', async () => {
  const { backend, cache } = await open(mkdtempSync(join(tmpdir(), 'granary-store-')), 5);
  const start = cache.currentRevision();
  const first = await cache.create('/core/configmaps/default/w', cm('w'));
  const seen: CacheEvent[] = [];
  const stop = cache.watch('/core/configmaps/', start, (e) => seen.push(e));
  await cache.update('/core/configmaps/default/w', cm('w', { a: 'b' }), first.modRevision);
  const other = await cache.create('/core/secrets/default/s', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
  assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'MODIFIED']);
  await cache.delete('/core/secrets/default/s', other.modRevision);
  stop();
  for (let i = 0; i < 6; i++) await cache.create(`/core/configmaps/default/f${i}`, cm(`f${i}`));
  assert.throws(() => cache.watch('/core/configmaps/', start, () => {}), WatchTooOld);
  await backend.close();
});
