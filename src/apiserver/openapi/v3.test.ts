import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { JSONSchemaProps } from '../../api/schema.ts';
import { buildOpenApiV3 } from './v3.ts';
import { ALL_FIXTURES, gadgets, leases, pods, zookeeperClusters } from './test-fixtures.ts';

const INFO = { version: 'v1.33.0' };
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const v3 = buildOpenApiV3(ALL_FIXTURES, INFO);

interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, {
    operationId: string; parameters?: { name: string; in: string; schema: { type: string } }[];
    requestBody?: { content: Record<string, { schema: JSONSchemaProps }>; required?: boolean };
    responses: Record<string, { content?: Record<string, { schema: JSONSchemaProps }> }>;
    'x-kubernetes-group-version-kind': object;
  }>>;
  components: { schemas: Record<string, JSONSchemaProps> };
}

function document(key: string): Document {
  const found = v3.documents.get(key);
  assert.ok(found, `no document ${key}`);
  return JSON.parse(found.body) as Document;
}

function* references(value: unknown): Generator<string> {
  if (Array.isArray(value)) for (const v of value) yield* references(v);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') yield v;
      else yield* references(v);
    }
  }
}

describe('buildOpenApiV3', () => {
  test('has one document per group-version, listed in the index with the hash of its content', () => {
    assert.deepEqual([...v3.documents.keys()], ['api/v1', 'apis/coordination.k8s.io/v1', 'apis/gadgets.granary.dev/v1', 'apis/zookeeper.granary.dev/v1alpha1']);
    for (const [key, doc] of v3.documents) {
      const sha512 = createHash('sha512').update(doc.body).digest('hex').toUpperCase();
      assert.equal(doc.hash, sha512);
      assert.deepEqual(v3.index.paths[key], { serverRelativeURL: `/openapi/v3/${key}?hash=${sha512}` });
    }
    assert.deepEqual(Object.keys(v3.index.paths), [...v3.documents.keys()]);
  });

  test('a document holds its own group-version paths and the schemas they reach, no others', () => {
    const coordination = document('apis/coordination.k8s.io/v1');
    assert.equal(coordination.openapi, '3.0.0');
    assert.deepEqual(coordination.info, { title: 'Kubernetes', version: 'v1.33.0' });
    assert.ok(Object.keys(coordination.paths).every((p) => p.startsWith('/apis/coordination.k8s.io/v1/')));
    const schemas = Object.keys(coordination.components.schemas);
    for (const name of ['io.k8s.api.coordination.v1.Lease', 'io.k8s.api.coordination.v1.LeaseList', `${META}.ObjectMeta`, `${META}.Status`, `${META}.WatchEvent`]) {
      assert.ok(schemas.includes(name), `missing ${name}`);
    }
    assert.ok(!schemas.includes('io.k8s.api.core.v1.Pod'));
    assert.ok(!schemas.includes('io.k8s.api.autoscaling.v1.Scale'), 'leases have no scale subresource');
    assert.ok(document('apis/gadgets.granary.dev/v1').components.schemas['io.k8s.api.autoscaling.v1.Scale']);
  });

  test('references point into components and resolve; one with a description is wrapped in allOf', () => {
    for (const key of v3.documents.keys()) {
      const doc = document(key);
      for (const ref of references(doc)) {
        assert.match(ref, /^#\/components\/schemas\//, `${key}: ${ref}`);
        assert.ok(doc.components.schemas[ref.slice('#/components/schemas/'.length)], `${key}: ${ref} does not resolve`);
      }
    }
    const pod = document('api/v1').components.schemas['io.k8s.api.core.v1.Pod'];
    assert.deepEqual(pod.properties!.metadata, { description: 'Pod metadata.', allOf: [{ $ref: `#/components/schemas/${META}.ObjectMeta` }] });
    assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
    const probePort = pod.properties!.spec.properties!.containers.items!.properties!.ports.items!.properties!.probePort;
    assert.deepEqual(probePort.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
  });

  test('keeps the v3 features of a custom resource schema', () => {
    const spec = document('apis/zookeeper.granary.dev/v1alpha1').components.schemas['dev.granary.zookeeper.v1alpha1.ZookeeperCluster'].properties!.spec;
    assert.deepEqual(spec.properties!.image, { type: 'string', nullable: true });
    assert.deepEqual(spec.required, ['replicas', 'image']);
    assert.deepEqual(spec.properties!.clientPort, { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
    assert.deepEqual(spec.properties!.config.properties, { tickTime: { type: 'integer' } });
    assert.deepEqual(spec.oneOf, [{ required: ['image'] }]);
  });

  test('patch operations list fieldValidation inline and the patch types the kind accepts', () => {
    const podPatch = document('api/v1').paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
    assert.equal(podPatch.operationId, 'patchCoreV1NamespacedPod');
    assert.deepEqual(podPatch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
    const fieldValidation = podPatch.parameters!.find((p) => p.name === 'fieldValidation');
    assert.equal(fieldValidation?.in, 'query');
    assert.deepEqual(fieldValidation?.schema, { type: 'string' });
    assert.deepEqual(Object.keys(podPatch.requestBody!.content), [
      'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml',
    ]);
    assert.equal(podPatch.requestBody!.required, true);
    assert.deepEqual(podPatch.responses[200].content!['application/json'].schema, { $ref: '#/components/schemas/io.k8s.api.core.v1.Pod' });
    const zkPatch = document('apis/zookeeper.granary.dev/v1alpha1').paths['/apis/zookeeper.granary.dev/v1alpha1/namespaces/{namespace}/zookeeperclusters/{name}/status'].patch;
    assert.ok(zkPatch.parameters!.some((p) => p.name === 'fieldValidation' && p.in === 'query'));
    assert.ok(!('application/strategic-merge-patch+json' in zkPatch.requestBody!.content));
  });

  test('a document changes, and with it its hash, only when its own resources do', () => {
    const again = buildOpenApiV3([...ALL_FIXTURES].reverse(), INFO);
    for (const [key, doc] of v3.documents) assert.equal(again.documents.get(key)!.hash, doc.hash, key);
    const changedLease = { ...leases, schema: { type: 'object' as const, properties: { spec: { type: 'object' as const, description: 'changed' } } } };
    const changed = buildOpenApiV3([pods, changedLease, gadgets, zookeeperClusters], INFO);
    assert.notEqual(changed.documents.get('apis/coordination.k8s.io/v1')!.hash, v3.documents.get('apis/coordination.k8s.io/v1')!.hash);
    assert.equal(changed.documents.get('apis/gadgets.granary.dev/v1')!.hash, v3.documents.get('apis/gadgets.granary.dev/v1')!.hash);
  });
});
