import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity } from './quantity.ts';

test('parses decimal, binary and exponent quantities', () => {
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity('1.5'), 1.5);
  assert.equal(parseQuantity('2Gi'), 2 * 1024 ** 3);
  assert.equal(parseQuantity('128M'), 128e6);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.equal(parseQuantity('.5Ki'), 512);
  assert.equal(parseQuantity(3), 3);
  for (const bad of ['', 'Gi', '1GB', '1 Gi', 'abc']) assert.equal(parseQuantity(bad), undefined, bad);
});
