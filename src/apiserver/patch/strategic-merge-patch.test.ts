import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';
import { deploymentSchema } from './test-fixtures.ts';

type Obj = Record<string, any>;

const smp = (doc: unknown, patch: unknown): Obj => applyStrategicMergePatch(doc, patch, deploymentSchema) as Obj;

function deployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a', 'b'] },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'app:1', args: ['--a'], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
            { name: 'proxy', image: 'envoy:1' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }, { name: 'conf', configMap: { name: 'c' } }],
          tolerations: [{ key: 'x', effect: 'NoSchedule' }],
        },
      },
    },
  };
}

const containers = (d: Obj) => d.spec.template.spec.containers;

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

test('lists with a merge key merge item by item; other lists are replaced', () => {
  const doc = deployment();
  const out = smp(doc, {
    spec: { template: { spec: {
      containers: [{ name: 'app', image: 'app:2' }, { name: 'metrics', image: 'prom:1' }],
      tolerations: [{ key: 'y', effect: 'NoExecute' }],
    } } },
  });
  // As in Kubernetes, items new to the list come before live-only items that followed the patch's items.
  assert.deepEqual(containers(out).map((c: Obj) => [c.name, c.image]), [['app', 'app:2'], ['metrics', 'prom:1'], ['proxy', 'envoy:1']]);
  assert.deepEqual(containers(out)[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], 'fields the patch does not name stay');
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'y', effect: 'NoExecute' }]);
  assert.deepEqual(containers(doc)[0].image, 'app:1', 'the input is not changed');
});

test('nested merge lists merge by their own keys, and null deletes a field', () => {
  const out = smp(deployment(), {
    spec: { replicas: null, template: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } } },
  });
  assert.equal(out.spec.replicas, undefined);
  assert.deepEqual(containers(out)[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }]);
});

test('$patch: delete removes a list item by merge key; $patch: replace replaces a list or a map', () => {
  const deleted = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'proxy', $patch: 'delete' }] } } } });
  assert.deepEqual(containers(deleted).map((c: Obj) => c.name), ['app']);

  const replaced = smp(deployment(), { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } } } });
  assert.deepEqual(containers(replaced), [{ name: 'only', image: 'x' }]);

  const map = smp(deployment(), { spec: { strategy: { $patch: 'replace', type: 'Recreate' } } });
  assert.deepEqual(map.spec.strategy, { type: 'Recreate' });

  const emptied = smp(deployment(), { metadata: { labels: { $patch: 'delete' } } });
  assert.deepEqual(emptied.metadata.labels, {});
});

test('$patch: merge is the default behaviour, and an unknown directive is 400', () => {
  const out = smp(deployment(), { metadata: { labels: { $patch: 'merge', tier: 'front' } } });
  assert.deepEqual(out.metadata.labels, { app: 'web', tier: 'front' });
  assert.equal(apiError(() => smp(deployment(), { metadata: { labels: { $patch: 'frob' } } })).code, 400);
});

test('$retainKeys clears the keys of a map it does not list (switching a deployment to Recreate)', () => {
  const out = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } });
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  const volumes = smp(deployment(), {
    spec: { template: { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'secret'], secret: { secretName: 's' } }] } } },
  });
  assert.deepEqual(volumes.spec.template.spec.volumes[0], { name: 'data', secret: { secretName: 's' } });
  const bad = apiError(() => smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 2 } } } }));
  assert.equal(bad.code, 400);
});

test('primitive lists with patch strategy merge (finalizers) merge by value; $deleteFromPrimitiveList removes', () => {
  const added = smp(deployment(), { metadata: { finalizers: ['c', 'a'] } });
  assert.deepEqual(added.metadata.finalizers, ['c', 'a', 'b']);
  const removed = smp(deployment(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } });
  assert.deepEqual(removed.metadata.finalizers, ['b']);
  assert.equal(apiError(() => smp(deployment(), { metadata: { $deleteFromPrimitiveListfinalizers: ['a'] } })).code, 400);
});

test('$setElementOrder orders a merged list, server-only items keep their relative place', () => {
  const out = smp(deployment(), {
    spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'proxy' }, { name: 'app' }],
      containers: [{ name: 'app', image: 'app:3' }],
    } } },
  });
  assert.deepEqual(containers(out).map((c: Obj) => [c.name, c.image]), [['proxy', 'envoy:1'], ['app', 'app:3']]);

  const withServerOnly = smp({ metadata: { finalizers: ['x', 'a', 'y', 'b'] } }, {
    metadata: { '$setElementOrder/finalizers': ['b', 'a'] },
  });
  assert.deepEqual(withServerOnly.metadata.finalizers, ['x', 'y', 'b', 'a']);
  const interleaved = smp({ metadata: { finalizers: ['a', 'x', 'b', 'y'] } }, {
    metadata: { '$setElementOrder/finalizers': ['a', 'c', 'b'], finalizers: ['c'] },
  });
  assert.deepEqual(interleaved.metadata.finalizers, ['a', 'c', 'x', 'b', 'y']);

  const mismatch = apiError(() => smp(deployment(), {
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'app' }], containers: [{ name: 'proxy', image: 'p' }] } } },
  }));
  assert.equal(mismatch.code, 400);
  assert.match(mismatch.message, /doesn't match \$setElementOrder list/);
});

test('what kubectl apply (client-side) sends for an edited manifest is applied as kubectl expects', () => {
  // kubectl 1.27–1.33 three-way patch: a container image change, a removed env entry, a removed
  // label, a new annotation, the order of lists, and the last-applied annotation.
  const live = deployment();
  live.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}\n' };
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}\n' }, labels: { app: null, tier: 'web' } },
    spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'app' }, { name: 'proxy' }],
      containers: [{ '$setElementOrder/env': [{ name: 'A' }], env: [{ name: 'B', $patch: 'delete' }], image: 'app:4', name: 'app' }],
    } } },
  };
  const out = smp(live, patch);
  assert.deepEqual(out.metadata.labels, { tier: 'web' });
  assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{"new":true}\n');
  assert.deepEqual(containers(out)[0], { name: 'app', image: 'app:4', args: ['--a'], env: [{ name: 'A', value: '1' }] });
  assert.deepEqual(containers(out)[1], { name: 'proxy', image: 'envoy:1' });
});

test('a field missing from the original takes the patch value, directives and nulls removed', () => {
  const out = smp({ spec: {} }, {
    spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null }, template: { spec: { containers: [{ name: 'a', $patch: 'delete' }, { name: 'b' }] } } },
  });
  assert.deepEqual(out.spec, { strategy: { type: 'Recreate' }, template: { spec: { containers: [{ name: 'b' }] } } });
});

test('merging a map list item without its merge key is 400, and lists of lists are refused', () => {
  assert.equal(apiError(() => smp(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } })).code, 400);
  const lists = apiError(() => smp({ metadata: { finalizers: [['a']] } }, { metadata: { finalizers: [['b']] } }));
  assert.equal(lists.code, 422);
});

test('without schema information lists are replaced and maps merged', () => {
  const out = applyStrategicMergePatch({ spec: { a: [1, 2], m: { x: 1 } } }, { spec: { a: [3], m: { y: 2 } } }, undefined) as Obj;
  assert.deepEqual(out.spec, { a: [3], m: { x: 1, y: 2 } });
});

test('ownerReferences merge by uid (ObjectMeta is known without the kind schema declaring it)', () => {
  const live = { metadata: { ownerReferences: [{ uid: '1', kind: 'A', name: 'a', apiVersion: 'v1' }] } };
  const out = applyStrategicMergePatch(live, { metadata: { ownerReferences: [{ uid: '2', kind: 'B', name: 'b', apiVersion: 'v1' }] } }, undefined) as Obj;
  assert.deepEqual(out.metadata.ownerReferences.map((o: Obj) => o.uid), ['2', '1']);
});

test('a patch that is not an object is 400', () => {
  assert.equal(apiError(() => applyStrategicMergePatch({}, [1], undefined)).code, 400);
});

test('long lists merge in linear time (items matched through maps, not pairwise)', () => {
  const n = 50_000;
  const doc = deployment();
  doc.spec.template.spec.containers = Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: 'a' }));
  doc.metadata.finalizers = Array.from({ length: n }, (_, i) => `f${i}`);
  const started = performance.now();
  const out = smp(doc, {
    metadata: { finalizers: Array.from({ length: n }, (_, i) => `g${i}`) },
    spec: { template: { spec: { containers: Array.from({ length: n }, (_, i) => ({ name: `c${n - 1 - i}`, image: 'b' })) } } },
  });
  assert.equal(containers(out).length, n);
  assert.ok(containers(out).every((c: Obj) => c.image === 'b'));
  assert.equal(out.metadata.finalizers.length, 2 * n);
  assert.ok(performance.now() - started < 5000, `took ${performance.now() - started} ms`);
});

test('no key of a patch reaches a prototype, and an item without the merge key is matched only by another', () => {
  const out = smp({ metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ image: 'nameless' }] } } } },
    JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}, "spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}'));
  assert.equal(({} as Obj).polluted, undefined);
  assert.deepEqual(Object.keys(out).sort(), ['__proto__', 'constructor', 'metadata', 'spec']);
  assert.deepEqual(containers(out).map((c: Obj) => c.name ?? c.image), ['a', 'nameless']);
});
