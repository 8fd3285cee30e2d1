import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isContainerServiceName, podSliceName, serviceName, specDigest, validateSpec, type ServiceSpec } from './runtime.ts';

test('serviceName: readable for Kubernetes names, separators unique', () => {
  assert.equal(serviceName('kube-system', 'zk-server-0', 'zookeeper'), 'granary-kube-system_zk-server-0_zookeeper.service');
  // Dashes could make these collide without the underscore separators.
  assert.notEqual(serviceName('a-b', 'c', 'd'), serviceName('a', 'b-c', 'd'));
  assert.notEqual(serviceName('a', 'b_c', 'd'), serviceName('a_b', 'c', 'd'));
  assert.equal(serviceName('a', 'b_c', 'd'), 'granary-a_b\\x5fc_d.service');
  assert.equal(serviceName('ns', 'pod', 'ünï'), 'granary-ns_pod_\\xc3\\xbcn\\xc3\\xaf.service');
  assert.throws(() => serviceName('', 'p', 'c'), { reason: 'InvalidSpec' });
});

test('serviceName: over-long names are shortened with a digest, still distinct and within systemd limits', () => {
  const pod = 'p'.repeat(253);
  const one = serviceName('ns', pod, 'a');
  const two = serviceName('ns', pod, 'b');
  assert.ok(one.length <= 255, `${one.length}`);
  assert.notEqual(one, two);
  assert.match(one, /^granary-ns_p+:[0-9a-f]{16}\.service$/);
  assert.equal(serviceName('ns', pod, 'a'), one, 'deterministic');
});

test('isContainerServiceName: pod services, never Granary\'s own units', () => {
  assert.ok(isContainerServiceName(serviceName('kube-system', 'zk-server-0', 'zookeeper')));
  assert.ok(isContainerServiceName(serviceName('ns', 'p'.repeat(253), 'a')));
  assert.ok(isContainerServiceName(serviceName('a', 'b_c', 'd')));
  for (const own of ['granary-agent.service', 'granary-apiserver.service', 'granary-operator.service', 'granary.slice', 'granary-ns_pod.slice', 'ssh.service']) {
    assert.equal(isContainerServiceName(own), false, own);
  }
});

test('podSliceName: a child of granary.slice, dashes escaped so they do not nest', () => {
  assert.equal(podSliceName('my-ns', 'web-0'), 'granary-my\\x2dns_web\\x2d0.slice');
  assert.notEqual(podSliceName('a-b', 'c'), podSliceName('a', 'b-c'));
});

const base: ServiceSpec = {
  name: serviceName('ns', 'p', 'c'), slice: podSliceName('ns', 'p'), labels: { namespace: 'ns', pod: 'p', podUid: 'u', container: 'c' },
  argv: ['/bin/true'], env: { A: '1' }, restart: 'always', stopTimeoutSec: 30,
};

test('validateSpec: accepts a good spec and names every problem of a bad one', () => {
  validateSpec(base);
  assert.throws(() => validateSpec({ ...base, argv: [], env: { '9x': 'y' }, workingDir: 'rel', user: 'a b', stopTimeoutSec: -1, cpuMillis: 0 }), (err: Error & { reason: string }) => {
    assert.equal(err.reason, 'InvalidSpec');
    for (const part of ['argv is empty', '"9x"', 'workingDir "rel"', 'user "a b"', 'stopTimeoutSec', 'cpuMillis']) assert.ok(err.message.includes(part), `${part} in ${err.message}`);
    return true;
  });
  assert.throws(() => validateSpec({ ...base, name: 'sshd.service' }), /not a granary service name/);
  validateSpec({ ...base, env: { 'dotted.name-ok': 'x' } });
});

test('specDigest: independent of key order, sensitive to content', () => {
  assert.equal(specDigest({ ...base, env: { A: '1', B: '2' } }), specDigest({ ...base, env: { B: '2', A: '1' } }));
  assert.notEqual(specDigest(base), specDigest({ ...base, argv: ['/bin/false'] }));
});
