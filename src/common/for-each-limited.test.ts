import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachLimited } from './for-each-limited.ts';

test('forEachLimited: every item once, never more than the limit in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const seen: number[] = [];
  await forEachLimited(Array.from({ length: 50 }, (_, i) => i), 4, async (i) => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, i % 3));
    seen.push(i);
    inFlight--;
  });
  assert.equal(most, 4);
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  await forEachLimited([], 4, async () => assert.fail('no items, no calls'));
});

test('forEachLimited: rejects with the error once the calls in flight have ended', async () => {
  let running = 0;
  const error = new Error('item 3');
  await assert.rejects(forEachLimited([1, 2, 3, 4, 5, 6], 3, async (i) => {
    running++;
    await new Promise((r) => setTimeout(r, 5));
    running--;
    if (i === 3) throw error;
  }), error);
  assert.equal(running, 0);
});
