import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './queue.ts';
import { Backoff } from './backoff.ts';

const queue = (concurrency = 1, backoff?: Backoff) => new WorkQueue({ name: `test-${Math.random()}`, concurrency, backoff });

/** Whether `promise` has settled once pending callbacks ran, and with what. */
async function settled<T>(promise: Promise<T>): Promise<{ done: boolean; value?: T }> {
  const pending = Symbol('pending');
  const value = await Promise.race([promise, new Promise<typeof pending>((resolve) => setImmediate(() => resolve(pending)))]);
  return value === pending ? { done: false } : { done: true, value: value as T };
}

test('a key queued several times is handed out once, keys in arrival order', async () => {
  const q = queue(3);
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.depth, 2);
  assert.equal(await q.next(), 'a');
  assert.equal(await q.next(), 'b');
  assert.equal(q.depth, 0);
  assert.equal(q.inFlight, 2);
  assert.equal((await settled(q.next())).done, false);
});

test('a key is never handed to two workers at once, and a change while it runs queues it again once', async () => {
  const q = queue(4);
  q.add('a');
  assert.equal(await q.next(), 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.depth, 0, 'a running key is not ready again');
  const waiting = q.next();
  assert.equal((await settled(waiting)).done, false, 'no worker gets the running key');
  q.done('a');
  assert.deepEqual(await settled(waiting), { done: true, value: 'a' });
  assert.equal(q.depth, 0, 'the changes during the run make one more run, not two');
  q.done('a');
  assert.equal(q.depth, 0);
  assert.equal((await settled(q.next())).done, false, 'a key that did not change while running is not run again');
});

test('at most `concurrency` keys run together', async () => {
  const q = queue(2);
  for (const k of ['a', 'b', 'c']) q.add(k);
  assert.equal(await q.next(), 'a');
  assert.equal(await q.next(), 'b');
  const third = q.next();
  assert.equal((await settled(third)).done, false);
  assert.equal(q.inFlight, 2);
  q.done('b');
  assert.deepEqual(await settled(third), { done: true, value: 'c' });
  assert.equal(q.inFlight, 2);
});

test('addAfter queues a key after its delay; of two delays the earlier wins', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const q = queue();
  q.addAfter('late-first', 100);
  q.addAfter('late-first', 10);
  q.addAfter('early-first', 10);
  q.addAfter('early-first', 100);
  t.mock.timers.tick(9);
  assert.equal(q.depth, 0);
  t.mock.timers.tick(1);
  assert.equal(q.depth, 2);
  assert.equal(await q.next(), 'late-first');
  q.done('late-first');
  assert.equal(await q.next(), 'early-first');
  q.done('early-first');
  t.mock.timers.tick(200);
  assert.equal(q.depth, 0, 'the later delay was dropped, not run a second time');
});

test('add cancels a pending delay, and a zero delay queues at once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const q = queue();
  q.addAfter('a', 50);
  q.add('a');
  assert.equal(await q.next(), 'a');
  q.done('a');
  t.mock.timers.tick(100);
  assert.equal(q.depth, 0);
  q.addAfter('b', 0);
  assert.equal(q.depth, 1);
});

test('addRateLimited waits longer after each failure and forget starts over', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const q = queue(1, new Backoff({ baseMs: 10, maxMs: 1000, jitter: 0 }));
  const readyAfter = async (ms: number) => {
    q.addRateLimited('a');
    t.mock.timers.tick(ms - 1);
    assert.equal(q.depth, 0, `not ready before ${ms} ms`);
    t.mock.timers.tick(1);
    assert.equal(q.depth, 1, `ready after ${ms} ms`);
    assert.equal(await q.next(), 'a');
    q.done('a');
  };
  await readyAfter(10);
  await readyAfter(20);
  await readyAfter(40);
  assert.equal(q.backoff.failures('a'), 3);
  q.forget('a');
  assert.equal(q.backoff.failures('a'), 0);
  await readyAfter(10);
});

test('shutdown releases waiting workers and ignores later adds', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const q = queue(1);
  q.add('a');
  assert.equal(await q.next(), 'a');
  q.add('b');
  q.addAfter('c', 10);
  const waiting = q.next();
  q.shutdown();
  assert.deepEqual(await settled(waiting), { done: true, value: undefined });
  q.add('d');
  q.done('a');
  t.mock.timers.tick(20);
  assert.equal(q.depth, 0);
  assert.equal(await q.next(), undefined);
});
