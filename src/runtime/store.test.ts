import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.ts';
import { object } from '../../test/support/in-memory-api.ts';
import { keyOf, parseRefKey, refKey, Store } from './store.ts';

const pod = (name: string, labels: Record<string, string> = {}, owner?: string, namespace = 'default') =>
  object('v1', 'Pod', name, { metadata: { name, namespace, labels, ownerReferences: owner ? [{ apiVersion: 'v1', kind: 'X', name: owner, uid: owner }] : [] } });
const names = (objects: KubeObject[]) => objects.map((o) => o.metadata.name).sort();

test('keys: namespace/name, or name alone for cluster-scoped objects, and back', () => {
  assert.equal(refKey({ namespace: 'ns', name: 'a' }), 'ns/a');
  assert.equal(refKey({ name: 'node-1' }), 'node-1');
  assert.deepEqual(parseRefKey('ns/a'), { namespace: 'ns', name: 'a' });
  assert.deepEqual(parseRefKey('node-1'), { name: 'node-1' });
  assert.equal(keyOf(pod('a')), 'default/a');
});

test('a store is ready after its first list and follows applies and deletes, indexes included', async () => {
  const store = new Store<KubeObject>();
  let ready = false;
  void store.ready.then(() => (ready = true));
  store.apply({ type: 'Init' });
  store.apply({ type: 'InitApply', object: pod('a', { app: 'x' }, 'o1') });
  await Promise.resolve();
  assert.equal(ready, false, 'not before the list is complete');
  assert.equal(store.synced, false);
  store.apply({ type: 'InitDone' });
  await store.ready;
  assert.equal(store.synced, true);
  store.apply({ type: 'Apply', object: pod('b', { app: 'x', tier: 'db' }, 'o1', 'other') });
  assert.deepEqual(names(store.list()), ['a', 'b']);
  assert.deepEqual(names(store.byLabels({ app: 'x' })), ['a', 'b']);
  assert.deepEqual(names(store.byLabels({ app: 'x', tier: 'db' })), ['b']);
  assert.deepEqual(names(store.byLabels({ app: 'x' }, 'default')), ['a']);
  assert.deepEqual(names(store.byNamespace('other')), ['b']);
  assert.deepEqual(names(store.byOwner('o1')), ['a', 'b']);
  // A changed object leaves the index entries of its old version.
  store.apply({ type: 'Apply', object: pod('b', { app: 'y' }, 'o2', 'other') });
  assert.deepEqual(names(store.byLabels({ app: 'x' })), ['a']);
  assert.deepEqual(names(store.byOwner('o2')), ['b']);
  store.apply({ type: 'Delete', object: pod('a') });
  assert.equal(store.get({ namespace: 'default', name: 'a' }), undefined);
  assert.deepEqual(names(store.byOwner('o1')), []);
  assert.equal(store.size, 1);
});

test('a relist keeps the old objects visible until it is complete, then reports what vanished', () => {
  const store = new Store<KubeObject>();
  store.apply({ type: 'Init' });
  for (const name of ['a', 'b', 'c']) store.apply({ type: 'InitApply', object: pod(name, { app: 'x' }) });
  store.apply({ type: 'InitDone' });
  store.apply({ type: 'Init' });
  store.apply({ type: 'InitApply', object: pod('a', { app: 'x' }) });
  store.apply({ type: 'InitApply', object: pod('d', { app: 'x' }) });
  assert.deepEqual(names(store.list()), ['a', 'b', 'c'], 'mid-relist the store is as it was');
  const vanished = store.apply({ type: 'InitDone' });
  assert.deepEqual(names(vanished), ['b', 'c']);
  assert.deepEqual(names(store.list()), ['a', 'd']);
  assert.deepEqual(names(store.byLabels({ app: 'x' })), ['a', 'd'], 'indexes are rebuilt');
});

test('custom indexes are kept with every change, and added ones index what is there', () => {
  const store = new Store<KubeObject>();
  const nodeOf = (o: KubeObject) => [(o.spec as { nodeName?: string } | undefined)?.nodeName ?? ''];
  store.apply({ type: 'Init' });
  store.apply({ type: 'InitApply', object: { ...pod('a'), spec: { nodeName: 'n1' } } });
  store.apply({ type: 'InitDone' });
  store.addIndex('node', nodeOf);
  store.addIndex('node', () => ['ignored: the first index of a name stays']);
  assert.deepEqual(names(store.byIndex('node', 'n1')), ['a']);
  store.apply({ type: 'Apply', object: { ...pod('b'), spec: { nodeName: 'n1' } } });
  store.apply({ type: 'Apply', object: { ...pod('a'), spec: { nodeName: 'n2' } } });
  assert.deepEqual(names(store.byIndex('node', 'n1')), ['b']);
  assert.deepEqual(names(store.byIndex('node', 'n2')), ['a']);
  store.apply({ type: 'Init' });
  store.apply({ type: 'InitApply', object: { ...pod('c'), spec: { nodeName: 'n2' } } });
  store.apply({ type: 'InitDone' });
  assert.deepEqual(names(store.byIndex('node', 'n2')), ['c'], 'a relist rebuilds custom indexes too');
  assert.throws(() => store.byIndex('zone', 'a'), /no index "zone"/);
});
