import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { applyJsonPatch } from './json-patch.ts';

const pod = () => ({
  metadata: { name: 'p', labels: { app: 'web', 'a/b': 'slash', 'x~y': 'tilde' }, finalizers: ['a', 'b'] },
  spec: { containers: [{ name: 'c', image: 'nginx' }] },
});

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

test('add, remove, replace, move and copy change a copy of the document', () => {
  const doc = pod();
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    { op: 'remove', path: '/metadata/labels/app' },
    { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.27' },
    { op: 'add', path: '/spec/containers/-', value: { name: 'sidecar' } },
    { op: 'copy', from: '/spec/containers/0/image', path: '/metadata/labels/image' },
    { op: 'move', from: '/metadata/finalizers/0', path: '/metadata/finalizers/1' },
  ]);
  assert.deepEqual(out, {
    metadata: { name: 'p', labels: { 'a/b': 'slash', 'x~y': 'tilde', tier: 'front', image: 'nginx:1.27' }, finalizers: ['b', 'a'] },
    spec: { containers: [{ name: 'c', image: 'nginx:1.27' }, { name: 'sidecar' }] },
  });
  assert.deepEqual(doc, pod(), 'the input is not changed');
});

test('JSON pointer escapes ~1 and ~0 name keys with / and ~', () => {
  const out = applyJsonPatch(pod(), [
    { op: 'test', path: '/metadata/labels/a~1b', value: 'slash' },
    { op: 'replace', path: '/metadata/labels/x~0y', value: 'T' },
  ]) as ReturnType<typeof pod>;
  assert.equal(out.metadata.labels['x~y'], 'T');
  const err = apiError(() => applyJsonPatch(pod(), [{ op: 'remove', path: '/metadata/labels/a~2b' }]));
  assert.equal(err.code, 422);
});

test('add inserts into a list at an index, and an index past the end is refused', () => {
  const out = applyJsonPatch({ l: [1, 3] }, [{ op: 'add', path: '/l/1', value: 2 }, { op: 'add', path: '/l/3', value: 4 }]);
  assert.deepEqual(out, { l: [1, 2, 3, 4] });
  const err = apiError(() => applyJsonPatch({ l: [1] }, [{ op: 'add', path: '/l/5', value: 2 }]));
  assert.equal(err.code, 422);
  assert.equal(err.reason, 'Invalid');
});

test('a failed test is 422 Invalid and leaves the document as it was', () => {
  const doc = pod();
  const err = apiError(() => applyJsonPatch(doc, [
    { op: 'remove', path: '/metadata/labels' },
    { op: 'test', path: '/metadata/finalizers', value: ['a'] },
  ]));
  assert.equal(err.code, 422);
  assert.equal(err.reason, 'Invalid');
  assert.match(err.message, /^the server rejected our request due to an error in our request: testing value \/metadata\/finalizers failed/);
  assert.deepEqual(doc, pod());
});

test('test passes on equal values, and a missing key tests equal to null', () => {
  const out = applyJsonPatch(pod(), [
    { op: 'test', path: '/metadata/finalizers', value: ['a', 'b'] },
    { op: 'test', path: '/metadata/deletionTimestamp', value: null },
    { op: 'remove', path: '/metadata/finalizers/0' },
  ]) as ReturnType<typeof pod>;
  assert.deepEqual(out.metadata.finalizers, ['b']);
});

test('paths that do not exist are 422: remove and replace of missing keys, missing parents', () => {
  for (const op of [
    { op: 'remove', path: '/metadata/annotations' },
    { op: 'replace', path: '/spec/nodeName', value: 'n' },
    { op: 'add', path: '/status/phase', value: 'Running' },
    { op: 'remove', path: '/spec/containers/3' },
    { op: 'move', from: '/spec/x', path: '/spec/y' },
  ]) {
    const err = apiError(() => applyJsonPatch(pod(), [op]));
    assert.equal(err.code, 422, JSON.stringify(op));
  }
});

test('a malformed patch is 400 BadRequest', () => {
  for (const patch of [
    { op: 'add', path: '/a', value: 1 },
    [{ op: 'frobnicate', path: '/a' }],
    [{ op: 'add', value: 1 }],
    [{ op: 'add', path: '/a' }],
    [{ op: 'copy', path: '/a' }],
    ['add'],
  ]) {
    const err = apiError(() => applyJsonPatch(pod(), patch));
    assert.equal(err.code, 400, JSON.stringify(patch));
    assert.equal(err.reason, 'BadRequest');
  }
});

test('more than 10000 operations is 413', () => {
  const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/metadata/name', value: 'p' }));
  assert.equal(apiError(() => applyJsonPatch(pod(), ops)).code, 413);
});

test('negative list indices count from the end, as Kubernetes allows', () => {
  assert.deepEqual(applyJsonPatch({ l: [1, 2, 3] }, [{ op: 'remove', path: '/l/-1' }]), { l: [1, 2] });
});

test('move into its own child is refused', () => {
  assert.equal(apiError(() => applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }])).code, 422);
});

test('the empty path addresses the whole document', () => {
  assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
});

test('copy operations may add at most 3 MiB, as Kubernetes bounds them (413)', () => {
  const big = 'x'.repeat(100 * 1024);
  // Each copy of the whole document doubles it: 25 of them used to exhaust the heap.
  const doubling = Array.from({ length: 25 }, (_, i) => ({ op: 'copy', from: '', path: `/copy${i}` }));
  assert.equal(apiError(() => applyJsonPatch({ a: big }, doubling)).code, 413);
  const ops = Array.from({ length: 25 }, (_, i) => ({ op: 'copy', from: '/a', path: `/spec${i}` }));
  const selfNesting = [{ op: 'add', path: '/a', value: { v: big } }, ...Array.from({ length: 40 }, () => ({ op: 'copy', from: '/a', path: '/a/n' }))];
  const err = apiError(() => applyJsonPatch({}, selfNesting));
  assert.equal(err.code, 413);
  assert.match(err.message, /accumulated size increase of copy/);
  assert.equal(Object.keys(applyJsonPatch({ a: { v: big } }, ops.slice(0, 20)) as object).length, 21, 'copies within the limit are fine');
});
