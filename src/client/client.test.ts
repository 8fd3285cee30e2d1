import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './client.ts';

test('sleep waits out delays longer than setTimeout takes (a certificate renewal months away)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const year = 365 * 24 * 3600 * 1000;
  let done = false;
  const slept = sleep(year).then(() => { done = true; });
  t.mock.timers.tick(2 ** 31);
  await Promise.resolve();
  assert.equal(done, false, 'still sleeping after 24.8 days');
  t.mock.timers.tick(year - 2 ** 31 - 1);
  await Promise.resolve();
  assert.equal(done, false, 'still sleeping a millisecond before the year is out');
  t.mock.timers.tick(1);
  await slept;
  assert.equal(done, true);
});

test('sleep ends at once when its signal aborts', async () => {
  const stop = new AbortController();
  const slept = sleep(10 ** 10, stop.signal);
  stop.abort();
  await slept;
});
