import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.ts';
import { InMemoryApi, inMemorySource, object } from '../../test/support/in-memory-api.ts';
import { SharedCache, StoreView, type InformerEvent } from './cache.ts';

const cm = (name: string, labels: Record<string, string> = {}) => object('v1', 'ConfigMap', name, { metadata: { name, namespace: 'default', labels } });
const describe = ({ event }: InformerEvent<KubeObject>) => ('object' in event ? `${event.type} ${event.object.metadata.name}` : event.type);

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('one informer, and one watch, per kind however many ask for it; another namespace or field selector is another watch', async () => {
  const configMaps = new InMemoryApi('v1', 'ConfigMap');
  const pods = new InMemoryApi('v1', 'Pod');
  const cache = new SharedCache(inMemorySource(configMaps, pods));
  const a = cache.informer('v1', 'ConfigMap');
  assert.equal(cache.informer('v1', 'ConfigMap'), a);
  assert.notEqual(cache.informer('v1', 'ConfigMap', { namespace: 'kube-system' }), a);
  cache.informer('v1', 'Pod', { fieldSelector: 'spec.nodeName=n1' });
  const stop = new AbortController();
  cache.start(stop.signal);
  cache.start(stop.signal);
  cache.informer('v1', 'ConfigMap');
  await until('the watches', () => configMaps.openWatches === 2 && pods.openWatches === 1);
  assert.deepEqual(configMaps.calls.filter((c) => c.verb === 'watch').map((c) => c.namespace ?? ''), ['', 'kube-system']);
  assert.equal(pods.calls.find((c) => c.verb === 'watch')!.params.fieldSelector, 'spec.nodeName=n1');
  assert.deepEqual(cache.watched().map((k) => `${k.kind} ${k.namespace ?? '*'} ${k.fieldSelector ?? ''}`.trim()), ['ConfigMap *', 'ConfigMap kube-system', 'Pod * spec.nodeName=n1']);
  stop.abort();
  await cache.stopped();
  assert.equal(configMaps.openWatches + pods.openWatches, 0, 'every watch ends with the signal');
});

test('every subscriber sees a complete list first: from the start, joining a synced informer, or mid-list', async () => {
  const api = new InMemoryApi('v1', 'ConfigMap');
  api.put(cm('a'));
  api.put(cm('b'));
  const cache = new SharedCache(inMemorySource(api));
  const informer = cache.informer('v1', 'ConfigMap');
  const early: string[] = [];
  informer.subscribe((change) => early.push(describe(change)));
  const stop = new AbortController();
  cache.start(stop.signal);
  await informer.store.ready;
  const late: string[] = [];
  informer.subscribe((change) => late.push(describe(change)));
  api.put(cm('c'));
  await until('the change', () => late.length === 5);
  assert.deepEqual(early, ['Init', 'InitApply a', 'InitApply b', 'InitDone', 'Apply c']);
  assert.deepEqual(late, ['Init', 'InitApply a', 'InitApply b', 'InitDone', 'Apply c']);

  // Mid-list: what was listed so far is replayed, the rest follows live.
  const mid: string[] = [];
  informer.dispatch({ type: 'Init' });
  informer.dispatch({ type: 'InitApply', object: cm('a') });
  const unsubscribe = informer.subscribe((change) => mid.push(describe(change)));
  informer.dispatch({ type: 'InitApply', object: cm('c') });
  informer.dispatch({ type: 'InitDone' });
  assert.deepEqual(mid, ['Init', 'InitApply a', 'InitApply c', 'InitDone']);
  unsubscribe();
  informer.dispatch({ type: 'Apply', object: cm('d') });
  assert.equal(mid.length, 4, 'nothing after unsubscribing');
  stop.abort();
  await cache.stopped();
});

test('subscribers are told each change after the store has it, with the object before and what a relist found gone', () => {
  const cache = new SharedCache(inMemorySource(new InMemoryApi('v1', 'ConfigMap')));
  const informer = cache.informer('v1', 'ConfigMap');
  const seen: { what: string; inStore?: string; previous?: string; vanished: string[] }[] = [];
  informer.subscribe(({ event, previous, vanished }) => seen.push({
    what: event.type,
    inStore: 'object' in event ? (informer.store.get({ namespace: 'default', name: event.object.metadata.name! })?.metadata.labels?.v ?? 'gone') : undefined,
    previous: previous?.metadata.labels?.v,
    vanished: vanished.map((o) => o.metadata.name!),
  }));
  informer.dispatch({ type: 'Init' });
  informer.dispatch({ type: 'InitApply', object: cm('a', { v: '1' }) });
  informer.dispatch({ type: 'InitApply', object: cm('b', { v: '1' }) });
  informer.dispatch({ type: 'InitDone' });
  informer.dispatch({ type: 'Apply', object: cm('a', { v: '2' }) });
  informer.dispatch({ type: 'Delete', object: cm('a', { v: '2' }) });
  informer.dispatch({ type: 'Init' });
  informer.dispatch({ type: 'InitDone' });
  assert.deepEqual(seen.slice(3), [
    { what: 'InitDone', inStore: undefined, previous: undefined, vanished: [] },
    { what: 'Apply', inStore: '2', previous: '1', vanished: [] },
    { what: 'Delete', inStore: 'gone', previous: '2', vanished: [] },
    { what: 'Init', inStore: undefined, previous: undefined, vanished: [] },
    { what: 'InitDone', inStore: undefined, previous: undefined, vanished: ['b'] },
  ]);
});

test('a store view shows only what its label selector matches, through every lookup', () => {
  const cache = new SharedCache(inMemorySource(new InMemoryApi('v1', 'ConfigMap')));
  const informer = cache.informer('v1', 'ConfigMap');
  informer.dispatch({ type: 'Init' });
  for (const [name, labels] of [['a', { app: 'zk' }], ['b', { app: 'zk', tier: 'x' }], ['c', { app: 'other' }]] as const) informer.dispatch({ type: 'InitApply', object: cm(name, labels) });
  informer.dispatch({ type: 'InitDone' });
  const zk = new StoreView(informer.store, 'app=zk');
  const all = new StoreView(informer.store);
  assert.deepEqual(zk.list().map((o) => o.metadata.name), ['a', 'b']);
  assert.equal(zk.size, 2);
  assert.equal(all.size, 3);
  assert.equal(zk.get({ namespace: 'default', name: 'c' }), undefined);
  assert.equal(zk.get({ namespace: 'default', name: 'a' })?.metadata.name, 'a');
  assert.deepEqual(zk.byNamespace('default').map((o) => o.metadata.name), ['a', 'b']);
  assert.deepEqual(zk.byLabels({ tier: 'x' }).map((o) => o.metadata.name), ['b']);
  zk.addIndex('first-letter', (o) => [o.metadata.name![0]]);
  assert.deepEqual(all.byIndex('first-letter', 'c').map((o) => o.metadata.name), ['c'], 'indexes belong to the shared store');
  assert.deepEqual(zk.byIndex('first-letter', 'c'), []);
  assert.equal(new StoreView(informer.store, 'app in (zk,other),tier!=x').list().length, 2);
});
