import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renewalTime } from './certificates.ts';

test('a certificate is renewed 70 to 90% through its lifetime', () => {
  assert.equal(renewalTime(1000, 2000, 0), 1700);
  assert.equal(renewalTime(1000, 2000, 1), 1900);
  assert.equal(renewalTime(1000, 2000, 0.5), 1800);
});
