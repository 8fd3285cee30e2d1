import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceDefinition } from '../../api/resources.ts';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { buildOpenApiV2, type OpenApiV2Document } from './v2.ts';
import { ALL_FIXTURES, gadgets, leases, namespaces, pods, zookeeperClusters } from './test-fixtures.ts';

const INFO = { version: 'v1.33.0' };
const doc = buildOpenApiV2(ALL_FIXTURES, INFO);
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

type Operation = {
  operationId: string; consumes: string[]; parameters: { name: string; in: string; type?: string; schema?: JSONSchemaProps }[];
  responses: Record<string, { schema?: JSONSchemaProps }>; 'x-kubernetes-action': string; 'x-kubernetes-group-version-kind': object;
};

function op(path: string, method: string): Operation {
  const item = doc.paths[path];
  assert.ok(item, `no path ${path}`);
  assert.ok(item[method], `no ${method} on ${path}`);
  return item[method] as Operation;
}

function* allSchemas(d: OpenApiV2Document): Generator<[string, JSONSchemaProps]> {
  function* walk(where: string, s: JSONSchemaProps): Generator<[string, JSONSchemaProps]> {
    yield [where, s];
    for (const [name, p] of Object.entries(s.properties ?? {})) yield* walk(`${where}.${name}`, p);
    if (s.items) yield* walk(`${where}[]`, s.items);
    if (typeof s.additionalProperties === 'object') yield* walk(`${where}{}`, s.additionalProperties);
  }
  for (const [name, s] of Object.entries(d.definitions)) yield* walk(name, s);
}

describe('buildOpenApiV2', () => {
  test('names definitions as Kubernetes does, built-in kinds by prefix and custom ones by reversed group', () => {
    for (const name of [
      'io.k8s.api.core.v1.Pod', 'io.k8s.api.core.v1.PodList', 'io.k8s.api.core.v1.Namespace', 'io.k8s.api.coordination.v1.Lease',
      'dev.granary.zookeeper.v1alpha1.ZookeeperCluster', 'dev.granary.zookeeper.v1alpha1.ZookeeperClusterList',
      `${META}.ObjectMeta`, `${META}.ListMeta`, `${META}.Status`, `${META}.DeleteOptions`, `${META}.WatchEvent`, `${META}.Patch`,
      'io.k8s.api.autoscaling.v1.Scale', 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    ]) {
      assert.ok(doc.definitions[name], `missing definition ${name}`);
    }
    assert.deepEqual(Object.keys(doc.definitions), Object.keys(doc.definitions).toSorted());
    assert.equal(doc.swagger, '2.0');
    assert.deepEqual(doc.info, { title: 'Kubernetes', version: 'v1.33.0' });
  });

  test('kinds and list kinds carry x-kubernetes-group-version-kind as a list', () => {
    assert.deepEqual(doc.definitions['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
    assert.deepEqual(doc.definitions['io.k8s.api.coordination.v1.LeaseList']['x-kubernetes-group-version-kind'], [{ group: 'coordination.k8s.io', version: 'v1', kind: 'LeaseList' }]);
    assert.deepEqual(doc.definitions['dev.granary.zookeeper.v1alpha1.ZookeeperCluster']['x-kubernetes-group-version-kind'], [{ group: 'zookeeper.granary.dev', version: 'v1alpha1', kind: 'ZookeeperCluster' }]);
    const list = doc.definitions['io.k8s.api.core.v1.PodList'];
    assert.deepEqual(list.required, ['items']);
    assert.deepEqual(list.properties!.items.items, { $ref: '#/definitions/io.k8s.api.core.v1.Pod' });
    assert.equal(list.properties!.metadata.$ref, `#/definitions/${META}.ListMeta`);
  });

  test('object metadata becomes a reference to ObjectMeta, which carries the owner and finalizer patch strategies', () => {
    const pod = doc.definitions['io.k8s.api.core.v1.Pod'];
    assert.deepEqual(Object.keys(pod.properties!).slice(0, 3), ['apiVersion', 'kind', 'metadata']);
    assert.deepEqual(pod.properties!.metadata, { description: 'Pod metadata.', $ref: `#/definitions/${META}.ObjectMeta` });
    const meta = doc.definitions[`${META}.ObjectMeta`].properties!;
    assert.equal(meta.ownerReferences['x-kubernetes-patch-merge-key'], 'uid');
    assert.equal(meta.ownerReferences['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(meta.finalizers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(meta.creationTimestamp.$ref, `#/definitions/${META}.Time`);
  });

  test('in built-in kinds every metadata field is ObjectMeta; in custom resources only that of embedded resources', () => {
    const template = doc.definitions['dev.granary.gadgets.v1.Gadget'].properties!.spec.properties!.template;
    assert.deepEqual(template.properties!.metadata, { description: 'Labels of the parts.', $ref: `#/definitions/${META}.ObjectMeta` });
    assert.equal(template.properties!.spec.properties!.size.type, 'integer');
    const backup = doc.definitions['dev.granary.zookeeper.v1alpha1.ZookeeperCluster'].properties!.spec.properties!.backup;
    assert.deepEqual(backup.properties!.metadata, { type: 'object', properties: { bucket: { type: 'string' } } });
  });

  test('keeps the patch metadata of built-in lists and publishes built-in int-or-string fields as IntOrString', () => {
    const containers = doc.definitions['io.k8s.api.core.v1.Pod'].properties!.spec.properties!.containers;
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
    const ports = containers.items!.properties!.ports;
    assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
    assert.deepEqual(ports.items!.properties!.probePort, {
      description: 'Port number or name to probe.', $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    });
    assert.deepEqual(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], {
      description: doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].description, type: 'string', format: 'int-or-string',
    });
  });

  test('converts a custom resource schema the way Kubernetes publishes CRDs in v2', () => {
    const zk = doc.definitions['dev.granary.zookeeper.v1alpha1.ZookeeperCluster'];
    const spec = zk.properties!.spec;
    assert.deepEqual(spec.properties!.image, {}, 'nullable fields are untyped');
    assert.deepEqual(spec.required, ['replicas'], 'nullable fields are not required');
    assert.deepEqual(spec.properties!.clientPort, { 'x-kubernetes-int-or-string': true });
    assert.deepEqual(spec.properties!.config, { 'x-kubernetes-preserve-unknown-fields': true });
    assert.deepEqual(spec.properties!.tags, {}, 'an array without items is untyped');
    assert.equal(spec.oneOf, undefined);
    assert.deepEqual(spec.properties!.replicas, { type: 'integer', minimum: 1, default: 3 });
    assert.deepEqual(spec.properties!.mode['x-kubernetes-validations'], [{ rule: 'self != ""', message: 'mode must not be empty' }]);
    const template = spec.properties!.template;
    assert.equal(template.properties!.metadata.$ref, `#/definitions/${META}.ObjectMeta`);
    assert.equal(template.properties!.apiVersion.type, 'string');
    assert.deepEqual(template.required, ['apiVersion', 'kind']);
  });

  test('every schema is one kubectl can build its model from', () => {
    for (const [where, s] of allSchemas(doc)) {
      if (s.$ref !== undefined) {
        assert.match(s.$ref, /^#\/definitions\//, where);
        assert.ok(doc.definitions[s.$ref.slice('#/definitions/'.length)], `${where}: ${s.$ref} does not resolve`);
        assert.equal(s.type, undefined, `${where}: $ref beside type`);
        assert.equal(s.properties, undefined, `${where}: $ref beside properties`);
      }
      if (s.type === 'array') assert.ok(s.items && typeof s.items === 'object', `${where}: array without items`);
      for (const keyword of ['nullable', 'anyOf', 'allOf', 'oneOf', 'not'] as const) assert.equal(s[keyword], undefined, `${where}: ${keyword}`);
    }
  });

  test('serves namespaced resources per namespace and across namespaces, with watch paths and subresources', () => {
    assert.equal(op('/api/v1/namespaces/{namespace}/pods', 'get').operationId, 'listCoreV1NamespacedPod');
    assert.equal(op('/api/v1/namespaces/{namespace}/pods', 'post').operationId, 'createCoreV1NamespacedPod');
    assert.equal(op('/api/v1/namespaces/{namespace}/pods', 'delete').operationId, 'deleteCoreV1CollectionNamespacedPod');
    assert.equal(op('/api/v1/namespaces/{namespace}/pods', 'delete')['x-kubernetes-action'], 'deletecollection');
    assert.equal(op('/api/v1/namespaces/{namespace}/pods/{name}', 'get').operationId, 'readCoreV1NamespacedPod');
    assert.equal(op('/api/v1/namespaces/{namespace}/pods/{name}', 'put').operationId, 'replaceCoreV1NamespacedPod');
    assert.equal(op('/api/v1/pods', 'get').operationId, 'listCoreV1PodForAllNamespaces');
    assert.equal(op('/api/v1/watch/namespaces/{namespace}/pods', 'get').operationId, 'watchCoreV1NamespacedPodList');
    assert.equal(op('/api/v1/watch/namespaces/{namespace}/pods', 'get')['x-kubernetes-action'], 'watchlist');
    assert.equal(op('/api/v1/watch/namespaces/{namespace}/pods/{name}', 'get')['x-kubernetes-action'], 'watch');
    assert.equal(op('/api/v1/watch/pods', 'get').operationId, 'watchCoreV1PodListForAllNamespaces');
    assert.equal(op('/api/v1/namespaces/{namespace}/pods/{name}/status', 'patch').operationId, 'patchCoreV1NamespacedPodStatus');
    assert.equal(op('/api/v1/namespaces/{namespace}/pods/{name}/log', 'get').responses[200].schema!.type, 'string');
    const binding = op('/api/v1/namespaces/{namespace}/pods/{name}/binding', 'post');
    assert.equal(binding.operationId, 'createCoreV1NamespacedPodBinding');
    assert.deepEqual(binding['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Binding' });
    assert.equal(op('/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}', 'get').operationId, 'readCoordinationV1NamespacedLease');
    assert.equal(op('/apis/zookeeper.granary.dev/v1alpha1/namespaces/{namespace}/zookeeperclusters', 'get').operationId, 'listZookeeperGranaryDevV1alpha1NamespacedZookeeperCluster');
    const item = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].parameters as { name: string; in: string; required?: boolean }[];
    assert.deepEqual(item.map((p) => [p.name, p.in, p.required ?? false]), [['name', 'path', true], ['namespace', 'path', true], ['pretty', 'query', false]]);
  });

  test('serves cluster-scoped resources without a namespace segment', () => {
    assert.equal(op('/api/v1/namespaces', 'get').operationId, 'listCoreV1Namespace');
    assert.equal(op('/api/v1/namespaces/{name}', 'delete').operationId, 'deleteCoreV1Namespace');
    assert.equal(op('/api/v1/namespaces/{name}/finalize', 'put').operationId, 'replaceCoreV1NamespaceFinalize');
    assert.equal(op('/api/v1/watch/namespaces', 'get').operationId, 'watchCoreV1NamespaceList');
    assert.equal(doc.paths['/api/v1/namespaces'].delete, undefined, 'namespaces do not allow deletecollection');
  });

  test('every write lists fieldValidation, and every patch also fieldManager, dryRun and force', () => {
    let patches = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of ['put', 'post', 'patch'] as const) {
        const o = item[method] as Operation | undefined;
        if (!o) continue;
        const query = o.parameters.filter((p) => p.in === 'query').map((p) => p.name);
        assert.ok(query.includes('fieldValidation'), `${method} ${path}`);
        if (method === 'patch') {
          patches++;
          for (const name of ['fieldManager', 'dryRun', 'force']) assert.ok(query.includes(name), `${name} on patch ${path}`);
          assert.equal(o.parameters[0].in, 'body');
          assert.equal(o.parameters[0].schema!.$ref, `#/definitions/${META}.Patch`);
        }
      }
    }
    assert.ok(patches >= 8, `only ${patches} patch operations`);
  });

  test('built-in kinds accept strategic merge patches, custom resources do not', () => {
    assert.deepEqual(op('/api/v1/namespaces/{namespace}/pods/{name}', 'patch').consumes, [
      'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml',
    ]);
    const custom = '/apis/zookeeper.granary.dev/v1alpha1/namespaces/{namespace}/zookeeperclusters/{name}';
    for (const path of [custom, `${custom}/status`, `${custom}/scale`]) {
      assert.deepEqual(op(path, 'patch').consumes, ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'], path);
    }
  });

  test('operations carry the kind they act on, the scale subresource autoscaling/v1 Scale', () => {
    assert.deepEqual(op('/api/v1/namespaces/{namespace}/pods/{name}', 'patch')['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
    assert.deepEqual(op('/api/v1/pods', 'get')['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
    const scale = op('/apis/gadgets.granary.dev/v1/namespaces/{namespace}/gadgets/{name}/scale', 'put');
    assert.deepEqual(scale['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    assert.equal(scale.responses[200].schema!.$ref, '#/definitions/io.k8s.api.autoscaling.v1.Scale');
    assert.equal(op('/api/v1/namespaces/{namespace}/pods/{name}', 'delete').responses[200].schema!.$ref, '#/definitions/io.k8s.api.core.v1.Pod');
    assert.equal(op('/apis/zookeeper.granary.dev/v1alpha1/namespaces/{namespace}/zookeeperclusters/{name}', 'delete').responses[200].schema!.$ref, `#/definitions/${META}.Status`);
  });

  test('publishes only the operations a resource allows', () => {
    const readOnly: ResourceDefinition = { ...leases, plural: 'leasereports', kind: 'LeaseReport', listKind: 'LeaseReportList', verbs: ['get', 'list'] };
    const d = buildOpenApiV2([readOnly], INFO);
    assert.deepEqual(Object.keys(d.paths).sort(), [
      '/apis/coordination.k8s.io/v1/leasereports',
      '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leasereports',
      '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leasereports/{name}',
    ]);
    assert.deepEqual(Object.keys(d.paths['/apis/coordination.k8s.io/v1/namespaces/{namespace}/leasereports/{name}']), ['get', 'parameters']);
  });

  test('a kind without a schema is a bare object, so clients accept any field', () => {
    const d = buildOpenApiV2([{ ...leases, schema: undefined }], INFO);
    assert.deepEqual(d.definitions['io.k8s.api.coordination.v1.Lease'], {
      type: 'object', 'x-kubernetes-group-version-kind': [{ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }],
    });
  });

  test('drops types Swagger 2.0 does not have, which kubectl would reject the whole document for', () => {
    const odd = { type: 'object', properties: { gone: { type: 'null' }, either: { type: ['string', 'integer'] } } } as unknown as JSONSchemaProps;
    const spec = buildOpenApiV2([{ ...leases, schema: { type: 'object', properties: { spec: odd } } }], INFO).definitions['io.k8s.api.coordination.v1.Lease'].properties!.spec;
    assert.deepEqual(spec.properties, { gone: {}, either: {} });
  });

  test('drops references the resource schema brings, which could not resolve', () => {
    const withRef: ResourceDefinition = { ...leases, schema: { type: 'object', properties: { spec: { $ref: '#/definitions/Elsewhere', description: 'spec' } } } };
    const spec = buildOpenApiV2([withRef], INFO).definitions['io.k8s.api.coordination.v1.Lease'].properties!.spec;
    assert.deepEqual(spec, { description: 'spec' });
  });

  test('leaves its input untouched and gives the same document whatever the order of resources', () => {
    const before = JSON.stringify(ALL_FIXTURES);
    const reversed = buildOpenApiV2([...ALL_FIXTURES].reverse(), INFO);
    assert.equal(JSON.stringify(ALL_FIXTURES), before);
    assert.equal(JSON.stringify(reversed), JSON.stringify(doc));
    assert.equal(JSON.stringify(buildOpenApiV2([pods, namespaces, gadgets, zookeeperClusters, leases], INFO)), JSON.stringify(doc));
  });
});
