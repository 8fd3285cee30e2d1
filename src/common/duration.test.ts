import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from './duration.ts';

test('parses Go durations: signed numbers with units, in sequence', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('24h'), 86_400_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('.5s'), 500);
  assert.equal(parseDuration('1500us'), 1.5);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('-1m'), -60_000);
  assert.equal(parseDuration('+2s'), 2000);
  for (const bad of ['', '30', 's', '1d', '1h 30m', 'h1', '.s', '--1s', '1.2.3s']) assert.equal(parseDuration(bad), undefined, bad);
});
