import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../pod-types.ts';
import { containerServiceSpec, restartPolicyFor } from './container-spec.ts';

const variables = { packageroot: '/pkg/zk', configroot: '/pods/u/config', logroot: '/pods/u/log', dataroot: '/pods/u/data', volumeroot: '/agent/volumes' };

const pod = (spec: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'zk-0', namespace: 'data', uid: 'u-1' },
  spec: { containers: [{ name: 'zk', command: ['{{packageroot}}/bin/zk', 'start'], args: ['--conf=$(CONF)', '$$(CONF)'], workingDir: '{{dataroot}}', resources: { limits: { cpu: '1500m', memory: '512Mi' } } }], ...spec },
});

test('maps command, args, environment, working directory, user, grace period and limits', () => {
  const p = pod({ terminationGracePeriodSeconds: 90, securityContext: { runAsUser: 1000 } });
  const spec = containerServiceSpec({ pod: p, container: p.spec.containers[0], init: false, env: { CONF: '/pods/u/config/zoo.cfg' }, variables });
  assert.deepEqual(spec, {
    name: 'granary-data_zk-0_zk.service', slice: 'granary-data_zk\\x2d0.slice',
    labels: { namespace: 'data', pod: 'zk-0', podUid: 'u-1', container: 'zk' },
    argv: ['/pkg/zk/bin/zk', 'start', '--conf=/pods/u/config/zoo.cfg', '$(CONF)'],
    env: { CONF: '/pods/u/config/zoo.cfg' }, workingDir: '/pods/u/data', user: '1000',
    restart: 'always', stopTimeoutSec: 90, cpuMillis: 1500, memoryBytes: 512 * 1024 ** 2,
  });
  const container = { ...p.spec.containers[0], securityContext: { runAsUser: 0 } };
  assert.equal(containerServiceSpec({ pod: p, container, init: false, env: {}, variables }).user, '0', 'the container overrides the pod');
  assert.equal(containerServiceSpec({ pod: pod(), container: pod().spec.containers[0], init: false, env: {}, variables }).stopTimeoutSec, 30);
});

test('restart policies of containers and init containers', () => {
  assert.equal(restartPolicyFor(pod(), false), 'always');
  assert.equal(restartPolicyFor(pod(), true), 'on-failure');
  assert.equal(restartPolicyFor(pod({ restartPolicy: 'OnFailure' }), false), 'on-failure');
  assert.equal(restartPolicyFor(pod({ restartPolicy: 'Never' }), true), 'never');
});

test('a container without a command is refused with a hint', () => {
  const p = pod({ containers: [{ name: 'x' }] });
  assert.throws(() => containerServiceSpec({ pod: p, container: p.spec.containers[0], init: false, env: {}, variables }), /no command: packages have no default entrypoint/);
});
