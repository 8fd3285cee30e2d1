// The controller on in-memory streams: what gets reconciled when, owned and watched kinds,
// selectors, predicates, the error policy and cleanup, several controllers on one shared cache.
// test/runtime/controller.test.ts runs the same controller against a real API server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from '../client/client.ts';
import { createLogger } from '../common/log.ts';
import { InMemoryApi, inMemorySource, object, Revisions } from '../../test/support/in-memory-api.ts';
import { SharedCache } from './cache.ts';
import { Controller, generationChanged, type Action, type ControllerOptions, type ErrorPolicy } from './controller.ts';
import { ReconcileError } from './reconcile.ts';
import type { ObjectRef } from './store.ts';

const log = createLogger('test', 'silent');
const revisions = new Revisions();
const kinds = () => ({
  apps: new InMemoryApi('demo.granary.dev/v1', 'App', revisions),
  configMaps: new InMemoryApi('v1', 'ConfigMap', revisions),
  nodes: new InMemoryApi('v1', 'Node', revisions),
});
const app = (name: string, generation = 1, labels: Record<string, string> = {}) =>
  object('demo.granary.dev/v1', 'App', name, { metadata: { name, namespace: 'default', uid: `uid-${name}`, generation, labels } });
const child = (name: string, owner: string) =>
  object('v1', 'ConfigMap', name, { metadata: { name, namespace: 'default', ownerReferences: [{ apiVersion: 'demo.granary.dev/v1', kind: 'App', name: owner, uid: `uid-${owner}`, controller: true }] } });

/** The controller only uses the client for its resource API; the stores come from the cache. */
const NO_CLIENT = { resource: () => ({}) } as unknown as KubeClient;

interface Harness {
  cache: SharedCache;
  reconciled: string[];
  cleaned: string[];
  stop: () => Promise<void>;
  controller: Controller<KubeObject>;
}

function run(source: ReturnType<typeof kinds>, opts: Partial<ControllerOptions<KubeObject>> = {}, setup: (c: Controller<KubeObject>) => void = () => {}, cache?: SharedCache): Harness {
  const shared = cache ?? new SharedCache(inMemorySource(source.apps, source.configMaps, source.nodes));
  const reconciled: string[] = [];
  const cleaned: string[] = [];
  const controller = new Controller<KubeObject>({
    name: `test-${Math.random()}`, client: NO_CLIENT, log, cache: shared, apiVersion: 'demo.granary.dev/v1', kind: 'App',
    reconcile: async (obj) => {
      reconciled.push(obj.metadata.name!);
      return undefined;
    },
    cleanup: async (ref) => {
      cleaned.push(ref.name);
      return undefined;
    },
    ...opts,
  });
  setup(controller);
  const abort = new AbortController();
  if (!cache) shared.start(abort.signal);
  const running = controller.run(abort.signal);
  return {
    cache: shared, reconciled, cleaned, controller,
    stop: async () => {
      abort.abort();
      await running;
      if (!cache) await shared.stopped();
    },
  };
}

async function settle(check: () => boolean, what = 'the controller'): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  // Anything else that would follow has had its chance.
  await new Promise((r) => setTimeout(r, 30));
}

test('the initial list reconciles every object once; changes reconcile the object; a deletion runs cleanup', async () => {
  const source = kinds();
  source.apps.put(app('a'));
  source.apps.put(app('b'));
  const h = run(source);
  await settle(() => h.reconciled.length === 2);
  assert.deepEqual(h.reconciled.sort(), ['a', 'b']);
  source.apps.put(app('a', 2));
  await settle(() => h.reconciled.length === 3);
  source.apps.remove('b', 'default');
  await settle(() => h.cleaned.length === 1);
  assert.deepEqual(h.cleaned, ['b']);
  await h.stop();
});

test('predicates filter changes of the primary: generationChanged ignores status-only updates', async () => {
  const source = kinds();
  source.apps.put(app('a'));
  const h = run(source, { predicates: [generationChanged] });
  await settle(() => h.reconciled.length === 1);
  source.apps.put({ ...app('a'), status: { phase: 'Ready' } });
  source.apps.put({ ...app('a'), metadata: { ...app('a').metadata, labels: { touched: 'yes' } } });
  await settle(() => true);
  assert.deepEqual(h.reconciled, ['a'], 'same generation: not reconciled');
  source.apps.put(app('a', 2));
  await settle(() => h.reconciled.length === 2);
  await h.stop();
});

test.only('owned objects reconcile their owner; watched ones the primaries their mapper names; a relist only what changed unseen', async () => {
  const source = kinds();
  source.apps.put(app('a'));
  source.apps.put(app('b'));
  source.configMaps.put(child('a-config', 'a'));
  const h = run(source, {}, (c) => c.owns('v1', 'ConfigMap').watches('v1', 'Node', () => [{ namespace: 'default', name: 'b' }]));
  await settle(() => h.reconciled.length === 2);
  assert.deepEqual(h.controller.storeOf('v1', 'ConfigMap').list().map((o) => o.metadata.name), ['a-config']);
  source.configMaps.put({ ...child('a-config', 'a'), data: { x: '1' } });
  await settle(() => h.reconciled.length === 3);
  assert.equal(h.reconciled[2], 'a');
  source.nodes.put(object('v1', 'Node', 'n1', { metadata: { name: 'n1' } }));
  await settle(() => h.reconciled.length === 4);
  assert.equal(h.reconciled[3], 'b');
  // The ConfigMap watch is lost and its history compacted: the relist maps only what changed meanwhile.
  source.configMaps.closeStreams();
  source.configMaps.put(child('b-config', 'b'));
  source.configMaps.compactedBefore = Number(source.configMaps.resourceVersion);
  await settle(() => h.reconciled.length === 5, 'the relist');
  assert.equal(h.reconciled[4], 'b', 'only the new child\'s owner; a-config did not change');
  await h.stop();
});

test('a label selector on the primary: objects outside it are not reconciled, and one that leaves it is cleaned up', async () => {
  const source = kinds();
  source.apps.put(app('in', 1, { managed: 'yes' }));
  source.apps.put(app('out', 1, { managed: 'no' }));
  const h = run(source, { labelSelector: 'managed=yes' });
  await settle(() => h.reconciled.length === 1);
  assert.deepEqual(h.reconciled, ['in']);
  assert.deepEqual(h.controller.store.list().map((o) => o.metadata.name), ['in']);
  source.apps.put(app('in', 2, { managed: 'no' }));
  await settle(() => h.cleaned.length === 1);
  assert.deepEqual(h.cleaned, ['in']);
  source.apps.remove('out', 'default');
  await settle(() => true);
  assert.deepEqual(h.cleaned, ['in'], 'the deletion of an object the controller never had is not its business');
  await h.stop();
});

test('the error policy decides what a failure leads to; by default terminal errors wait, others back off', async () => {
  const source = kinds();
  source.apps.put(app('flaky'));
  source.apps.put(app('broken'));
  source.apps.put(app('custom'));
  const attempts = new Map<string, number>();
  const policyCalls: string[] = [];
  const errorPolicy: ErrorPolicy<KubeObject> = (err, obj) => {
    policyCalls.push(`${obj?.metadata.name}: ${(err as Error).message}`);
    if (obj?.metadata.name === 'custom') return { requeueAfterMs: 50 };
    return err instanceof ReconcileError && err.terminal ? undefined : 'backoff';
  };
  const h = run(source, {
    errorPolicy,
    reconcile: async (obj) => {
      const name = obj.metadata.name!;
      const n = (attempts.get(name) ?? 0) + 1;
      attempts.set(name, n);
      if (name === 'broken') throw ReconcileError.terminal('InvalidSpec', 'cannot be helped');
      if (n < 3) throw new Error(`attempt ${n}`);
      return undefined;
    },
  });
  await settle(() => attempts.get('flaky') === 3 && attempts.get('custom') === 3, 'the retries');
  assert.equal(attempts.get('broken'), 1, 'a terminal error is not retried');
  assert.deepEqual(policyCalls.filter((c) => c.startsWith('custom')), ['custom: attempt 1', 'custom: attempt 2']);
  source.apps.put(app('broken', 2));
  await settle(() => attempts.get('broken') === 2, 'a change of the broken object');
  await h.stop();
});

test('cleanup may ask to be called again, as reconcile does', async () => {
  const source = kinds();
  source.apps.put(app('gone'));
  let calls = 0;
  const h = run(source, {
    cleanup: async (_ref: ObjectRef): Promise<Action> => {
      calls++;
      return calls < 3 ? { requeueAfterMs: 20 } : undefined;
    },
  });
  await settle(() => h.reconciled.length === 1);
  source.apps.remove('gone', 'default');
  await settle(() => calls === 3, 'the cleanups');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(calls, 3, 'not after it said it was done');
  await h.stop();
});

test('controllers on one shared cache share one watch per kind, each with its own queue and view', async () => {
  const source = kinds();
  source.apps.put(app('a', 1, { team: 'x' }));
  source.apps.put(app('b', 1, { team: 'y' }));
  source.configMaps.put(child('a-config', 'a'));
  const cache = new SharedCache(inMemorySource(source.apps, source.configMaps, source.nodes));
  const abort = new AbortController();
  cache.start(abort.signal);
  const first = run(source, { labelSelector: 'team=x' }, (c) => c.owns('v1', 'ConfigMap'), cache);
  const second = run(source, {}, (c) => c.owns('v1', 'ConfigMap').watches('v1', 'Node', () => []), cache);
  const third = run(source, {}, (c) => c.watches('v1', 'ConfigMap', () => []), cache);
  await settle(() => first.reconciled.length === 1 && second.reconciled.length === 2 && third.reconciled.length === 2);
  assert.deepEqual([source.apps.openWatches, source.configMaps.openWatches, source.nodes.openWatches], [1, 1, 1]);
  assert.equal(source.apps.calls.filter((c) => c.verb === 'list').length, 1, 'one list for all');
  source.configMaps.put({ ...child('a-config', 'a'), data: { x: '1' } });
  await settle(() => first.reconciled.length === 2 && second.reconciled.length === 3);
  await Promise.all([first.stop(), second.stop(), third.stop()]);
  assert.equal(source.apps.openWatches, 1, 'controllers stopping leave the shared watch to the cache');
  abort.abort();
  await cache.stopped();
  assert.equal(source.apps.openWatches + source.configMaps.openWatches + source.nodes.openWatches, 0);
});

test('a controller without a shared cache watches for itself, and stops its watches when it stops', async () => {
  const source = kinds();
  source.apps.put(app('a'));
  const reconciled: string[] = [];
  const client = { resource: (apiVersion: string, kind: string) => inMemorySource(source.apps, source.configMaps, source.nodes)(apiVersion, kind) } as unknown as KubeClient;
  const controller = new Controller<KubeObject>({
    name: 'own-cache', client, log, apiVersion: 'demo.granary.dev/v1', kind: 'App',
    reconcile: async (obj) => void reconciled.push(obj.metadata.name!),
  }).owns('v1', 'ConfigMap');
  const abort = new AbortController();
  const running = controller.run(abort.signal);
  await settle(() => reconciled.length === 1);
  assert.deepEqual([source.apps.openWatches, source.configMaps.openWatches], [1, 1]);
  abort.abort();
  await running;
  assert.deepEqual([source.apps.openWatches, source.configMaps.openWatches], [0, 0]);
});
