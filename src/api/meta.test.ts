import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatApiVersion, parseApiVersion } from './meta.ts';

test('apiVersion splits into group and version and back', () => {
  assert.deepEqual(parseApiVersion('v1'), { group: '', version: 'v1' });
  assert.deepEqual(parseApiVersion('rbac.authorization.k8s.io/v1'), { group: 'rbac.authorization.k8s.io', version: 'v1' });
  assert.equal(formatApiVersion('', 'v1'), 'v1');
  assert.equal(formatApiVersion('zookeeper.granary.dev', 'v1alpha1'), 'zookeeper.granary.dev/v1alpha1');
});
