import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../meta.ts';
import type { JSONSchemaProps } from '../schema.ts';
import { ContainerSchema, CoreEventSchema, NodeSchema, PodSchema, PodSpecSchema, PodStatusSchema, type Pod } from './core.ts';

/** The schema at a dotted path, stepping into list items with []. */
function at(schema: JSONSchemaProps, path: string): JSONSchemaProps {
  let node = schema;
  for (const step of path.split('.')) {
    node = step === '[]' ? node.items! : node.properties![step];
    assert.ok(node, `no ${step} in ${path}`);
  }
  return node;
}

const merge = (s: JSONSchemaProps) => ({
  listType: s['x-kubernetes-list-type'], keys: s['x-kubernetes-list-map-keys'],
  strategy: s['x-kubernetes-patch-strategy'], mergeKey: s['x-kubernetes-patch-merge-key'],
});

test('pod spec lists merge as Kubernetes declares them', () => {
  const spec = PodSpecSchema as JSONSchemaProps;
  assert.deepEqual(merge(at(spec, 'containers')), { listType: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' });
  assert.deepEqual(merge(at(spec, 'initContainers')), { listType: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' });
  assert.deepEqual(merge(at(spec, 'volumes')), { listType: 'map', keys: ['name'], strategy: 'merge,retainKeys', mergeKey: 'name' });
  assert.deepEqual(merge(at(spec, 'containers.[].ports')), { listType: 'map', keys: ['containerPort', 'protocol'], strategy: 'merge', mergeKey: 'containerPort' });
  assert.deepEqual(merge(at(spec, 'containers.[].env')), { listType: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' });
  assert.deepEqual(merge(at(spec, 'containers.[].volumeMounts')), { listType: 'map', keys: ['mountPath'], strategy: 'merge', mergeKey: 'mountPath' });
  assert.deepEqual(merge(at(spec, 'containers.[].envFrom')), { listType: 'atomic', keys: undefined, strategy: undefined, mergeKey: undefined });
  assert.deepEqual(merge(at(spec, 'containers.[].command')), { listType: 'atomic', keys: undefined, strategy: undefined, mergeKey: undefined });
  assert.deepEqual(merge(at(spec, 'tolerations')), { listType: 'atomic', keys: undefined, strategy: undefined, mergeKey: undefined });
  assert.deepEqual(merge(at(spec, 'imagePullSecrets')), { listType: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' });
  assert.deepEqual(merge(at(spec, 'topologySpreadConstraints')), { listType: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], strategy: 'merge', mergeKey: 'topologyKey' });
  assert.equal(at(spec, 'nodeSelector')['x-kubernetes-map-type'], 'atomic');
  assert.equal(at(spec, 'containers.[].ports.[].protocol').default, 'TCP');
});

test('pod status lists merge as Kubernetes declares them', () => {
  const status = PodStatusSchema as JSONSchemaProps;
  assert.deepEqual(merge(at(status, 'conditions')), { listType: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' });
  assert.deepEqual(merge(at(status, 'podIPs')), { listType: 'map', keys: ['ip'], strategy: 'merge', mergeKey: 'ip' });
  assert.deepEqual(merge(at(status, 'hostIPs')), { listType: 'atomic', keys: undefined, strategy: 'merge', mergeKey: 'ip' });
  assert.deepEqual(merge(at(status, 'containerStatuses')), { listType: 'atomic', keys: undefined, strategy: undefined, mergeKey: undefined });
  assert.deepEqual(at(status, 'containerStatuses.[]').required, ['name', 'ready', 'restartCount', 'image', 'imageID']);
  assert.deepEqual(Object.keys(at(status, 'containerStatuses.[].state').properties!), ['waiting', 'running', 'terminated']);
});

test('quantities and ports accept integers or strings; integers carry Kubernetes formats', () => {
  const container = ContainerSchema as JSONSchemaProps;
  assert.equal((at(container, 'resources.limits').additionalProperties as JSONSchemaProps)['x-kubernetes-int-or-string'], true);
  assert.equal(at(container, 'livenessProbe.httpGet.port')['x-kubernetes-int-or-string'], true);
  assert.equal(at(container, 'livenessProbe.httpGet.port').type, undefined);
  assert.equal(at(container, 'ports.[].containerPort').format, 'int32');
  assert.equal(at(PodSpecSchema as JSONSchemaProps, 'terminationGracePeriodSeconds').format, 'int64');
  assert.deepEqual(ContainerSchema.required, ['name']);
  assert.deepEqual(PodSpecSchema.required, ['containers']);
});

test('node status carries what a node agent reports, keyed as Kubernetes keys it', () => {
  const node = NodeSchema as JSONSchemaProps;
  assert.deepEqual(merge(at(node, 'status.conditions')), { listType: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' });
  assert.deepEqual(merge(at(node, 'status.addresses')), { listType: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' });
  assert.deepEqual(merge(at(node, 'spec.taints')), { listType: 'atomic', keys: undefined, strategy: undefined, mergeKey: undefined });
  assert.deepEqual(merge(at(node, 'spec.podCIDRs')), { listType: 'set', keys: undefined, strategy: 'merge', mergeKey: undefined });
  assert.deepEqual(at(node, 'status.daemonEndpoints.kubeletEndpoint').required, ['Port']);
  assert.equal(at(node, 'status.nodeInfo').required?.length, 10);
});

test('core Event requires metadata and the involved object, which is an atomic reference', () => {
  assert.deepEqual(CoreEventSchema.required, ['metadata', 'involvedObject']);
  assert.equal(at(CoreEventSchema as JSONSchemaProps, 'involvedObject')['x-kubernetes-map-type'], 'atomic');
  assert.equal(PodSchema.required, undefined);
});

test('a typed Pod is a KubeObject', () => {
  const pod: Pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'zk-0', namespace: 'default' },
    spec: { containers: [{ name: 'zookeeper', image: 'zookeeper', ports: [{ containerPort: 2181 }], resources: { requests: { cpu: '500m', memory: '1Gi' } } }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'zookeeper', ready: true, restartCount: 0, image: 'zookeeper', imageID: '', state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }] },
  };
  const object: KubeObject = pod;
  assert.equal(object.metadata.name, 'zk-0');
});
