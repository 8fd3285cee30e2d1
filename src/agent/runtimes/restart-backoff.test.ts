import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KUBERNETES_BACK_OFF, nextConsecutiveRestarts, restartDelaySeconds, restartsAfter } from './restart-backoff.ts';

test('restart policies decide by exit code', () => {
  assert.equal(restartsAfter('always', 0), true);
  assert.equal(restartsAfter('always', 1), true);
  assert.equal(restartsAfter('on-failure', 0), false);
  assert.equal(restartsAfter('on-failure', 137), true);
  assert.equal(restartsAfter('never', 1), false);
});

test('the Kubernetes back-off doubles from 10s and stops at 5 minutes', () => {
  const delays = [1, 2, 3, 4, 5, 6, 7, 40].map((n) => restartDelaySeconds(n, KUBERNETES_BACK_OFF));
  assert.deepEqual(delays, [10, 20, 40, 80, 160, 300, 300, 300]);
});

test('a run longer than the reset time forgives earlier crashes', () => {
  assert.equal(nextConsecutiveRestarts(5, 12, KUBERNETES_BACK_OFF), 6);
  assert.equal(nextConsecutiveRestarts(5, 600, KUBERNETES_BACK_OFF), 1);
});
