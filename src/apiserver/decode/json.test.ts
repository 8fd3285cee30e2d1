import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { decodeJson } from './json.ts';
import { DEFAULT_DECODE_LIMITS } from './limits.ts';

const refusal = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
};

test('valid JSON decodes as JSON.parse does, with the paths of duplicate keys', () => {
  const text = '{"metadata":{"name":"a","labels":{"x":"1","x":"2"},"name":"b"},"spec":{"items":[{"k":1,"k":2},{"k":3}]},"s":"{\\"q\\":1}"}';
  const { value, duplicates } = decodeJson(text);
  assert.deepEqual(value, JSON.parse(text));
  assert.deepEqual(duplicates, ['metadata.labels.x', 'metadata.name', 'spec.items[0].k']);
});

test('nesting is bounded before anything is built (20,000 levels: 400, at once)', () => {
  const started = performance.now();
  const err = refusal(() => decodeJson(`${'['.repeat(20_000)}${']'.repeat(20_000)}`));
  assert.equal(err.code, 400);
  assert.match(err.message, /nest deeper than 100 levels/);
  assert.ok(performance.now() - started < 1000);
  const deepest = `${'{"a":'.repeat(DEFAULT_DECODE_LIMITS.maxDepth - 1)}[1]${'}'.repeat(DEFAULT_DECODE_LIMITS.maxDepth - 1)}`;
  assert.doesNotThrow(() => decodeJson(deepest), 'the limit itself is allowed');
});

test('the number of keys and list items is bounded (413)', () => {
  const err = refusal(() => decodeJson(`[${'1,'.repeat(DEFAULT_DECODE_LIMITS.maxMembers)}1]`));
  assert.equal(err.code, 413);
});

test('__proto__ is refused wherever it is a key, also escaped; constructor and prototype are data', () => {
  for (const text of ['{"__proto__":{}}', '{"a":[{"b":{"__proto__":{"polluted":1}}}]}', '{"\\u005f_proto__":1}']) {
    const err = refusal(() => decodeJson(text));
    assert.equal(err.code, 400);
    assert.match(err.message, /the key "__proto__" \(at [^)]+\) is not allowed/);
  }
  assert.doesNotThrow(() => decodeJson('{"s":"__proto__","k":["__proto__"]}'), 'as a value it is only a string');
  const { value } = decodeJson('{"constructor":{"prototype":{"x":1}}}');
  assert.deepEqual(value, { constructor: { prototype: { x: 1 } } });
});

test('numbers outside the float64 range are refused rather than stored as null', () => {
  for (const n of ['1e400', '-1e400', '123456789012345678901234567890e300']) {
    const err = refusal(() => decodeJson(`{"spec":{"replicas":${n}}}`));
    assert.match(err.message, /out of range/);
    assert.match(err.message, /spec\.replicas/);
  }
  assert.deepEqual(decodeJson('[1e300, -0.5, 12345678901234567890]').value, [1e300, -0.5, 12345678901234567890]);
});

test('syntax errors are 400 with JSON.parse\'s explanation', () => {
  const err = refusal(() => decodeJson('{"a": }'));
  assert.equal(err.code, 400);
  assert.match(err.message, /^error decoding JSON: /);
});

test('a body of many keys decodes in linear time', () => {
  const keys = Array.from({ length: 9_500 }, (_, i) => `"k${i}":"v"`).join(',');
  const started = performance.now();
  const { value } = decodeJson(`{"data":{${keys}}}`);
  assert.equal(Object.keys((value as { data: object }).data).length, 9_500);
  assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
});
