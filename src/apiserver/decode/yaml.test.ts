import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { DEFAULT_DECODE_LIMITS } from './limits.ts';
import { decodeYamlText } from './yaml.ts';
import { YamlDecoder } from './yaml-pool.ts';

const refusal = async (fn: () => unknown): Promise<ApiError> => {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('expected a refusal');
};

const decode = (text: string) => decodeYamlText(text, DEFAULT_DECODE_LIMITS);

test('YAML decodes to JSON values, with duplicate keys reported by path instead of refused', () => {
  const { value, duplicates } = decode('metadata:\n  name: a\n  name: b\nspec:\n  items:\n  - {k: 1, k: 2}\n  - k: 3\n');
  assert.deepEqual(value, { metadata: { name: 'b' }, spec: { items: [{ k: 2 }, { k: 3 }] } });
  assert.deepEqual(duplicates, ['metadata.name', 'spec.items[0].k']);
});

test('deep nesting is refused before the document is composed: flow, compact and indented', async () => {
  for (const text of [
    '['.repeat(20_000) + ']'.repeat(20_000),
    '- '.repeat(20_000) + 'x',
    Array.from({ length: 120 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1',
  ]) {
    const err = await refusal(() => decode(text));
    assert.equal(err.code, 400);
    assert.match(err.message, /nest deeper than 100 levels/);
  }
});

test('many keys decode in linear time (the library\'s quadratic duplicate check is off)', () => {
  const text = Array.from({ length: 40_000 }, (_, i) => `k${i}: v`).join('\n');
  const started = performance.now();
  const { value } = decodeYamlText(text, { ...DEFAULT_DECODE_LIMITS, maxMembers: 100_000 });
  assert.equal(Object.keys(value as object).length, 40_000);
  assert.ok(performance.now() - started < 5000, `took ${performance.now() - started} ms`);
});

test('__proto__ keys, non-scalar keys, several documents and numbers beyond float64 are refused', async () => {
  for (const [text, message] of [
    ['a:\n  __proto__:\n    polluted: 1\n', /"__proto__" \(at a.__proto__\)/],
    ['? [a]\n: 1\n', /keys must be strings/],
    ['a: 1\n---\nb: 2\n', /several YAML documents/],
    ['n: 1e400\n', /out of range/],
    ['n: .inf\n', /out of range/],
    ['data: !!binary aGVsbG8=\n', /has no JSON form/],
  ] as const) {
    const err = await refusal(() => decode(text));
    assert.equal(err.code, 400, text);
    assert.match(err.message, message);
  }
});

test('aliases expand a bounded number of times', async () => {
  const text = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
  const err = await refusal(() => decode(text));
  assert.equal(err.code, 400);
});

const pool = new YamlDecoder(1500);
after(() => pool.close());

test('the worker decodes bodies off the event loop and refuses one that runs out of time, then recovers', async () => {
  assert.deepEqual((await pool.decode('a: [1, 2]\n')).value, { a: [1, 2] });
  const slow = Array.from({ length: 200_000 }, (_, i) => `k${i}: v`).join('\n');
  let ticks = 0;
  const timer = setInterval(() => ticks++, 50);
  const err = await refusal(() => pool.decode(slow));
  clearInterval(timer);
  assert.equal(err.code, 413);
  assert.match(err.message, /took longer than 1.5s/);
  assert.ok(ticks >= 20, `the event loop kept turning (${ticks} ticks)`);
  assert.deepEqual((await pool.decode('b: 1\n')).value, { b: 1 }, 'a new worker takes over');
});
