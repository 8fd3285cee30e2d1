import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.ts';

test('delays double per failure from base and stop at the cap', () => {
  const b = new Backoff({ baseMs: 10, maxMs: 100, jitter: 0 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.next('a')), [10, 20, 40, 80, 100, 100]);
  assert.equal(b.failures('a'), 6);
});

test('keys back off independently and reset starts a key over', () => {
  const b = new Backoff({ baseMs: 1, maxMs: 1000, jitter: 0 });
  b.next('a');
  b.next('a');
  assert.equal(b.next('b'), 1);
  assert.equal(b.next('a'), 4);
  b.reset('a');
  assert.equal(b.failures('a'), 0);
  assert.equal(b.next('a'), 1);
  assert.equal(b.failures('b'), 1);
});

test('jitter only shortens a delay, so the cap holds', () => {
  const low = new Backoff({ baseMs: 100, maxMs: 100, jitter: 0.5, random: () => 0.999999 });
  const high = new Backoff({ baseMs: 100, maxMs: 100, jitter: 0.5, random: () => 0 });
  assert.equal(low.next('k'), 50);
  assert.equal(high.next('k'), 100);
  const real = new Backoff({ baseMs: 100, maxMs: 400, jitter: 0.2 });
  for (let i = 0; i < 50; i++) {
    const d = real.next('k');
    assert.ok(d <= 400 && d >= 80, `delay ${d} outside [80, 400]`);
  }
});

test('many failures never overflow to Infinity', () => {
  const b = new Backoff({ baseMs: 5, maxMs: 300_000, jitter: 0 });
  let last = 0;
  for (let i = 0; i < 2000; i++) last = b.next('k');
  assert.equal(last, 300_000);
});

test('nonsensical options are rejected with the reason', () => {
  assert.throws(() => new Backoff({ baseMs: 0, maxMs: 10, jitter: 0 }), /baseMs must be positive/);
  assert.throws(() => new Backoff({ baseMs: 10, maxMs: 5, jitter: 0 }), /maxMs \(5\) must be at least baseMs/);
  assert.throws(() => new Backoff({ baseMs: 1, maxMs: 5, jitter: 1.5 }), /jitter must be between 0 and 1/);
});
