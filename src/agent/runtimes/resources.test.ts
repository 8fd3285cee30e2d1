import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceLimits } from './resources.ts';

test('limits become millicores and bytes', () => {
  assert.deepEqual(serviceLimits({ limits: { cpu: '250m', memory: '1Gi' } }), { cpuMillis: 250, memoryBytes: 1024 ** 3 });
  assert.deepEqual(serviceLimits({ limits: { cpu: '0.0015' } }), { cpuMillis: 2 });
  assert.deepEqual(serviceLimits({ requests: { cpu: '1' } }), {});
  assert.deepEqual(serviceLimits(undefined), {});
});
