import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelValueErrors } from '../api/selectors.ts';
import { appLabels, isDnsLabel, isDnsSubdomain, resourceName, selectorLabels, subdomainName, toLabelValue } from './labels.ts';

const isLabelValue = (v: string) => labelValueErrors(v).length === 0;

test('appLabels gives the recommended label set; selectorLabels only the stable part', () => {
  const input = { name: 'zookeeper', instance: 'simple-zk', version: '3.9.2', component: 'server', roleGroup: 'default', managedBy: 'zookeeper-operator', partOf: 'granary' };
  assert.deepEqual(appLabels(input), {
    'app.kubernetes.io/name': 'zookeeper',
    'app.kubernetes.io/instance': 'simple-zk',
    'app.kubernetes.io/version': '3.9.2',
    'app.kubernetes.io/component': 'server',
    'app.kubernetes.io/role-group': 'default',
    'app.kubernetes.io/managed-by': 'zookeeper-operator',
    'app.kubernetes.io/part-of': 'granary',
  });
  assert.deepEqual(selectorLabels(input), {
    'app.kubernetes.io/name': 'zookeeper',
    'app.kubernetes.io/instance': 'simple-zk',
    'app.kubernetes.io/component': 'server',
    'app.kubernetes.io/role-group': 'default',
  });
  assert.deepEqual(selectorLabels({ name: 'zookeeper', instance: 'a' }), { 'app.kubernetes.io/name': 'zookeeper', 'app.kubernetes.io/instance': 'a' });
});

test('label values that labels cannot hold become valid, distinct values', () => {
  const version = toLabelValue('3.9.2+build.7');
  assert.ok(isLabelValue(version));
  assert.match(version, /^3\.9\.2-build\.7-[0-9a-f]{8}$/);
  assert.notEqual(toLabelValue('3.9.2+build.7'), toLabelValue('3.9.2-build.7'));
  const long = 'x'.repeat(100);
  const shortened = toLabelValue(long);
  assert.equal(shortened.length, 63);
  assert.ok(isLabelValue(shortened));
  assert.equal(toLabelValue(long), shortened);
  assert.ok(isLabelValue(toLabelValue('!!!')));
  assert.equal(toLabelValue('Valid_Value.1'), 'Valid_Value.1');
  assert.equal(appLabels({ name: 'zookeeper', instance: 'a'.repeat(70) })['app.kubernetes.io/instance'].length, 63);
});

test('resourceName keeps valid names and fits the rest into a DNS label deterministically', () => {
  assert.equal(resourceName('simple-zk', 'server', 'default', 3), 'simple-zk-server-default-3');
  assert.equal(resourceName('a', '', 'b'), 'a-b');
  const long = resourceName('z'.repeat(60), 'server', 'default');
  assert.equal(long.length, 63);
  assert.ok(isDnsLabel(long));
  assert.match(long, /^z{54}-[0-9a-f]{8}$/);
  assert.equal(resourceName('z'.repeat(60), 'server', 'default'), long);
  assert.notEqual(resourceName('z'.repeat(60), 'server', 'other'), long, 'inputs sharing a long prefix stay distinct');
  // Changing characters also adds the hash, so "A_b" and "a-b" cannot collide.
  const cleaned = resourceName('My_Cluster');
  assert.match(cleaned, /^my-cluster-[0-9a-f]{8}$/);
  assert.notEqual(resourceName('my-cluster'), cleaned);
  assert.ok(isDnsLabel(resourceName('--', '__')));
  // Cutting must not leave a '-' before the hash.
  const cut = resourceName(`${'a'.repeat(53)}-bbbbbbbbbb!`);
  assert.ok(isDnsLabel(cut) && !cut.includes('--'), cut);
});

test('subdomainName keeps dots and allows 253 characters', () => {
  assert.equal(subdomainName('simple-zk.server', 'config'), 'simple-zk.server-config');
  assert.equal(subdomainName('a'.repeat(100), 'b'.repeat(100)).length, 201);
  const long = subdomainName('a'.repeat(200), 'b'.repeat(100));
  assert.equal(long.length, 253);
  assert.ok(isDnsSubdomain(long));
  const messy = subdomainName('Zoo..Keeper.-x-');
  assert.ok(isDnsSubdomain(messy), messy);
  assert.match(messy, /^zoo\.keeper\.x-[0-9a-f]{8}$/);
});
