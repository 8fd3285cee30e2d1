import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Container, Pod, Secret } from '../pod-types.ts';
import { expandCommand, expandReferences, resolveEnv, type ConfigSources } from './env.ts';

const variables = { packageroot: '/pkg', configroot: '/pod/config', logroot: '/pod/log', dataroot: '/pod/data', volumeroot: '/agent/volumes' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

const configMaps: Record<string, ConfigMap> = {
  settings: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { LEVEL: 'debug', 'bad key': 'x', '1NUM': 'y', HOME_DIR: '{{dataroot}}/home' } },
  other: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' }, data: { LEVEL: 'info' } },
};
const secrets: Record<string, Secret> = {
  creds: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { PASSWORD: b64('s3cr3t'), TOKEN: b64('t') } },
};
const sources: ConfigSources = { configMap: (n) => configMaps[n], secret: (n) => secrets[n] };

function pod(container: Partial<Container>): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'zk-0', namespace: 'data', uid: 'uid-1', labels: { app: 'zk', 'x/y': 'z' }, annotations: { note: 'hi' } },
    spec: {
      nodeName: 'node-a', serviceAccountName: 'zk',
      containers: [{ name: 'main', resources: { limits: { memory: '1Gi' }, requests: { cpu: '250m' } }, ...container }],
    },
  };
}

function resolve(container: Partial<Container>) {
  const p = pod(container);
  return resolveEnv({ pod: p, container: p.spec.containers[0], sources, variables, hostIP: '127.0.0.2', nodeAllocatable: { cpu: '8', memory: '16Gi' } });
}

test('envFrom in order with prefixes, invalid keys skipped, env overrides', () => {
  const { env, skipped } = resolve({
    envFrom: [{ configMapRef: { name: 'settings' } }, { configMapRef: { name: 'other' }, prefix: 'OTHER_' }, { secretRef: { name: 'creds' } }],
    env: [{ name: 'LEVEL', value: 'warn' }],
  });
  assert.deepEqual(env, { HOME_DIR: '/pod/data/home', LEVEL: 'warn', OTHER_LEVEL: 'info', PASSWORD: 's3cr3t', TOKEN: 't' });
  assert.deepEqual(skipped, ['1NUM', 'bad key']);
});

test('values refer to earlier variables with $(NAME); $$ escapes; unknown references stay', () => {
  const { env } = resolve({
    env: [
      { name: 'A', value: 'one' },
      { name: 'B', value: '$(A)-two $(LATER) $$(A) $$ $x $(' },
      { name: 'LATER', value: 'late' },
      { name: 'PATHS', value: '{{packageroot}}/bin:$(A)' },
    ],
  });
  assert.equal(env.B, 'one-two $(LATER) $(A) $ $x $(');
  assert.equal(env.PATHS, '/pkg/bin:one');
  assert.deepEqual(expandCommand(['$(A)', '--x=$(B)', '$(NONE)'], { A: '1', B: '2' }), ['1', '--x=2', '$(NONE)']);
  assert.equal(expandReferences('$(A)$(A)', () => 'v'), 'vv');
});

test('valueFrom: keys, pod fields and resources', () => {
  const { env } = resolve({
    env: [
      { name: 'CM', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LEVEL' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
      { name: 'MAYBE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'NOPE', optional: true } } },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'XY', valueFrom: { fieldRef: { fieldPath: "metadata.labels['x/y']" } } },
      { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
    ],
  });
  assert.deepEqual(env, {
    CM: 'debug', PW: 's3cr3t', NAME: 'zk-0', NS: 'data', UID: 'uid-1', APP: 'zk', XY: 'z', NOTE: 'hi', NODE: 'node-a',
    HOST_IP: '127.0.0.2', POD_IP: '127.0.0.2', MEM_MI: '1024', CPU_REQ_M: '250', CPU_LIMIT: '8',
  });
});

test('missing sources are CreateContainerConfigError unless optional', () => {
  const cases: [Partial<Container>, RegExp][] = [
    [{ envFrom: [{ configMapRef: { name: 'absent' } }] }, /configmap "absent" not found/],
    [{ envFrom: [{ secretRef: { name: 'absent' } }] }, /secret "absent" not found/],
    [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'NOPE' } } }] }, /couldn't find key NOPE in ConfigMap data\/settings/],
    [{ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'NOPE' } } }] }, /couldn't find key NOPE in Secret data\/creds/],
    [{ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }] }, /not supported in env/],
    [{ env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] }, /not supported/],
  ];
  for (const [container, message] of cases) {
    assert.throws(() => resolve(container), (err: Error & { reason: string }) => err.reason === 'CreateContainerConfigError' && message.test(err.message), String(message));
  }
  const { env } = resolve({ envFrom: [{ configMapRef: { name: 'absent', optional: true } }], env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'absent', key: 'k', optional: true } } }] });
  assert.deepEqual(env, {});
});

test('keys that name what every object inherits find nothing, and __proto__ is a variable like any other', () => {
  const { env } = resolve({
    env: [
      { name: '__proto__', value: 'kept' },
      { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'creds', key: 'constructor', optional: true } } },
      { name: 'FROM_MAP', valueFrom: { configMapKeyRef: { name: 'settings', key: 'toString', optional: true } } },
      { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['constructor']" } } },
    ],
  });
  assert.equal(Object.getPrototypeOf(env), Object.prototype);
  assert.equal(env.__proto__, 'kept');
  assert.ok(Object.keys(env).includes('__proto__'));
  assert.equal(env.FROM_SECRET, undefined);
  assert.equal(env.FROM_MAP, undefined);
  assert.equal(env.LABEL, '');
  assert.deepEqual(expandCommand(['$(constructor)', '$(__proto__)'], env), ['$(constructor)', 'kept']);
  assert.throws(() => resolve({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'hasOwnProperty' } } }] }), /couldn't find key hasOwnProperty/);
});
