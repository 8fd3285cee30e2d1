import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isBuiltin, kindDefinitionName, listDefinitionName, operationId, operationTag } from './names.ts';

describe('OpenAPI names', () => {
  test('operation ids camel-case the group without .k8s.io, the version and the rest', () => {
    assert.equal(operationId('list', '', 'v1', 'NamespacedPod'), 'listCoreV1NamespacedPod');
    assert.equal(operationId('read', 'rbac.authorization.k8s.io', 'v1', 'ClusterRole'), 'readRbacAuthorizationV1ClusterRole');
    assert.equal(operationId('patch', 'zookeeper.granary.dev', 'v1alpha1', 'NamespacedZookeeperClusterStatus'), 'patchZookeeperGranaryDevV1alpha1NamespacedZookeeperClusterStatus');
    assert.equal(operationId('create', 'my-group.example.com', 'v2beta1', 'Thing'), 'createMyGroupExampleComV2beta1Thing');
  });

  test('tags are the lower camel-cased group and version', () => {
    assert.equal(operationTag('', 'v1'), 'core_v1');
    assert.equal(operationTag('coordination.k8s.io', 'v1'), 'coordination_v1');
    assert.equal(operationTag('zookeeper.granary.dev', 'v1alpha1'), 'zookeeperGranaryDev_v1alpha1');
  });

  test('built-in kinds are named under their prefix, custom resources under their reversed group', () => {
    const lease = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', listKind: 'LeaseList', openapiPrefix: 'io.k8s.api.coordination.v1' };
    assert.ok(isBuiltin(lease));
    assert.equal(kindDefinitionName(lease), 'io.k8s.api.coordination.v1.Lease');
    assert.equal(listDefinitionName(lease), 'io.k8s.api.coordination.v1.LeaseList');
    const zk = { group: 'zookeeper.granary.dev', version: 'v1alpha1', kind: 'ZookeeperCluster', listKind: 'ZookeeperClusterList', openapiPrefix: undefined };
    assert.ok(!isBuiltin(zk));
    assert.equal(kindDefinitionName(zk), 'dev.granary.zookeeper.v1alpha1.ZookeeperCluster');
    assert.equal(listDefinitionName(zk), 'dev.granary.zookeeper.v1alpha1.ZookeeperClusterList');
  });
});
