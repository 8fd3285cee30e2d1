import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch } from './merge-patch.ts';

test('objects merge key by key and null deletes', () => {
  const doc = { metadata: { labels: { a: '1', b: '2' } }, spec: { replicas: 1, paused: true } };
  const out = applyMergePatch(doc, { metadata: { labels: { b: null, c: '3' } }, spec: { replicas: 3, paused: null } });
  assert.deepEqual(out, { metadata: { labels: { a: '1', c: '3' } }, spec: { replicas: 3 } });
  assert.deepEqual(doc.metadata.labels, { a: '1', b: '2' }, 'the input is not changed');
});

test('lists are replaced wholesale', () => {
  const out = applyMergePatch({ spec: { containers: [{ name: 'a' }, { name: 'b' }] } }, { spec: { containers: [{ name: 'c' }] } });
  assert.deepEqual(out, { spec: { containers: [{ name: 'c' }] } });
});

test('RFC 7386 examples: nested nulls inside new objects are dropped, non-objects replace', () => {
  assert.deepEqual(applyMergePatch({ a: 'b' }, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
  assert.deepEqual(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
  assert.deepEqual(applyMergePatch({ a: 'foo' }, 'bar'), 'bar');
  assert.deepEqual(applyMergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
});

test('no key of a patch reaches a prototype: __proto__ and constructor stay data of the object', () => {
  const patch = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "metadata": {"__proto__": {"apiGroups": ["*"]}}}');
  const out = applyMergePatch({ metadata: { name: 'x' } }, patch) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal((Object.prototype as Record<string, unknown>).apiGroups, undefined);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(Object.getPrototypeOf(out.metadata), Object.prototype);
  assert.deepEqual(Object.keys(out).sort(), ['__proto__', 'constructor', 'metadata']);
  assert.deepEqual(out.constructor, { prototype: { polluted: 'yes' } });
});
