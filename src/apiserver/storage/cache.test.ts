// The watch cache with storage shared by several API servers: writes it did not make, events that
// arrive late, and history compacted while it was not looking. A SQLite backend stands in for the
// shared storage; the wrapper below holds back or breaks the cache's watch the way a slow or lost
// connection to etcd does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from './sqlite.ts';
import { WatchCache, WatchTooOld, type CacheEvent } from './cache.ts';
import { PreconditionFailed, RevisionCompacted, type StorageBackend, type StorageEvent } from './backend.ts';
import type { KubeObject } from '../../api/meta.ts';

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data,
});
const json = (name: string, data: Record<string, string> = {}) => JSON.stringify(cm(name, data));

/** Shared storage whose watch to the cache can be held back or broken, like a replica's link to etcd. */
class LaggingBackend implements StorageBackend {
  readonly inner: SqliteBackend;
  private held: StorageEvent[][] | undefined;
  private deliver: ((events: StorageEvent[]) => void) | undefined;
  private fail: ((err: Error) => void) | undefined;
  private stopInner: (() => void) | undefined;

  constructor(dir: string) {
    this.inner = new SqliteBackend(join(dir, 'state.db'));
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const events of held) this.deliver?.(events);
  }

  /** Ends the cache's watch the way etcd does when the history it needs was compacted. */
  breakWithCompaction(): void {
    this.held = undefined; // never delivered, as on a lost connection
    this.stopInner?.();
    this.fail?.(new RevisionCompacted(0, this.inner.currentRevision()));
  }

  watch(after: number, onEvents: (events: StorageEvent[]) => void, onError: (err: Error) => void): () => void {
    this.deliver = onEvents;
    this.fail = onError;
    this.stopInner = this.inner.watch(after, (events) => (this.held ? this.held.push(events) : onEvents(events)), onError);
    return this.stopInner;
  }

  listAll() { return this.inner.listAll(); }
  listAt(prefix: string, revision: number) { return this.inner.listAt(prefix, revision); }
  create(key: string, value: string) { return this.withRevision(key, this.inner.create(key, value)); }
  update(key: string, value: string, expected: number) { return this.withRevision(key, this.inner.update(key, value, expected)); }
  delete(key: string, expected: number) { return this.withRevision(key, this.inner.delete(key, expected)); }
  compact(revision: number) { return this.inner.compact(revision); }
  currentRevision() { return this.inner.currentRevision(); }
  close() { return this.inner.close(); }

  /** Refusals name the key's current revision, as the etcd backend's do. */
  private async withRevision(key: string, write: Promise<number>): Promise<number> {
    try {
      return await write;
    } catch (err) {
      if (!(err instanceof PreconditionFailed) || err.kind === 'missing') throw err;
      const [current] = await this.inner.listAt(key, this.inner.currentRevision());
      throw new PreconditionFailed(err.kind, key, current?.modRevision);
    }
  }
}

async function setup() {
  const backend = new LaggingBackend(mkdtempSync(join(tmpdir(), 'granary-cache-')));
  const cache = new WatchCache(backend, { historyLimit: 100 });
  await cache.start();
  return { backend, cache };
}

test('a write whose event comes after its answer waits for it and returns the entry it made', async () => {
  const { backend, cache } = await setup();
  backend.hold();
  const pending = cache.create('/core/configmaps/default/a', cm('a'));
  // Let the write commit (and its event be held) before the cache sees anything.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(cache.get('/core/configmaps/default/a'), undefined);
  backend.release();
  const entry = await pending;
  assert.equal(entry.object.metadata.name, 'a');
  assert.equal(entry.object.metadata.resourceVersion, String(entry.modRevision));
  await backend.close();
});

test('a write refused by a newer revision from elsewhere returns once the cache shows that revision', async () => {
  const { backend, cache } = await setup();
  const first = await cache.create('/core/configmaps/default/x', cm('x', { v: '1' }));
  backend.hold();
  // Another API server updates x; this cache has not heard yet.
  const elsewhere = await backend.inner.update('/core/configmaps/default/x', json('x', { v: 'other' }), first.modRevision);
  assert.equal(cache.get('/core/configmaps/default/x')?.modRevision, first.modRevision);
  setTimeout(() => backend.release(), 50);
  await assert.rejects(cache.update('/core/configmaps/default/x', cm('x', { v: '2' }), first.modRevision),
    (e) => e instanceof PreconditionFailed && e.kind === 'revision' && e.modRevision === elsewhere);
  // A retry now reads the object it conflicted with.
  assert.equal(cache.get('/core/configmaps/default/x')?.modRevision, elsewhere);
  assert.deepEqual(cache.get('/core/configmaps/default/x')?.object.data, { v: 'other' });
  await backend.close();
});

test('history compacted past the cache: it relists, tells subscribers what changed, and follows again', async () => {
  const { backend, cache } = await setup();
  const a = await cache.create('/core/configmaps/default/a', cm('a'));
  const b = await cache.create('/core/configmaps/default/b', cm('b', { v: '1' }));
  await cache.create('/core/configmaps/default/c', cm('c'));
  const before = cache.currentRevision();
  const seen: CacheEvent[] = [];
  cache.watch('/core/configmaps/', before, (e) => seen.push(e));

  backend.hold();
  await backend.inner.delete('/core/configmaps/default/a', a.modRevision);
  await backend.inner.update('/core/configmaps/default/b', json('b', { v: '2' }), b.modRevision);
  await backend.inner.create('/core/configmaps/default/d', json('d'));
  backend.breakWithCompaction();
  const snapshot = backend.inner.currentRevision();
  await cache.waitForRevision(snapshot);

  assert.deepEqual(seen.map((e) => [e.type, e.entry.object.metadata.name, e.revision]),
    [['DELETED', 'a', snapshot], ['MODIFIED', 'b', snapshot], ['ADDED', 'd', snapshot]]);
  assert.equal(seen[0].entry.object.metadata.resourceVersion, String(snapshot));
  assert.deepEqual(seen[1].prev?.object.data, { v: '1' });
  assert.deepEqual(cache.list('/core/configmaps/').map((e) => e.object.metadata.name), ['b', 'c', 'd']);
  assert.equal(cache.currentRevision(), snapshot);
  // Events between `before` and the snapshot are gone: a watch resuming there must relist.
  assert.throws(() => cache.watch('/core/configmaps/', before, () => {}), WatchTooOld);

  // It follows storage again from the snapshot.
  const e = await cache.create('/core/configmaps/default/e', cm('e'));
  assert.equal(e.object.metadata.name, 'e');
  assert.deepEqual(seen.at(-1)?.type, 'ADDED');
  assert.equal(seen.at(-1)?.entry.object.metadata.name, 'e');
  cache.stop();
  await backend.close();
});
