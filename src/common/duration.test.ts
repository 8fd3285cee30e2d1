import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from './duration.ts';

test('parses Go durations: numbers with ms, s, m or h, in sequence', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('24h'), 86_400_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  for (const bad of ['', '30', 's', '1d', '-1h', '1h 30m', 'h1']) assert.equal(parseDuration(bad), undefined, bad);
});
