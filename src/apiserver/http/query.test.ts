import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { deleteOptions, listOptions, parseBool, parseInt64, Query } from './query.ts';

const q = (text: string) => new Query(new URLSearchParams(text));

test('booleans convert as apimachinery converts them', () => {
  for (const t of ['true', 'True', 'TRUE', '1', 't', 'yes', '']) assert.equal(parseBool(t), true, t);
  for (const f of ['false', 'False', 'FALSE', '0']) assert.equal(parseBool(f), false, f);
  assert.equal(parseBool(null), undefined);
  assert.equal(q('watch=false&watch=true').bool('watch'), false, 'the first value counts');
});

test('integers are Go\'s ParseInt in base 10', () => {
  assert.equal(parseInt64('+42'), 42);
  assert.equal(parseInt64('-7'), -7);
  for (const bad of ['', ' 1', '1.5', '0x10', '1e3', '1_000']) assert.throws(() => parseInt64(bad), (e: ApiError) => e.code === 400 && /invalid syntax/.test(e.message), bad);
  assert.throws(() => parseInt64('9223372036854775808'), /value out of range/);
});

test('list options: empty strings are unset; invalid combinations are 422 ListOptions', () => {
  const opts = listOptions(q('labelSelector=&resourceVersion=&limit=5&allowWatchBookmarks=1'), false);
  assert.deepEqual([opts.labelSelector, opts.resourceVersion, opts.limit, opts.allowWatchBookmarks], [undefined, undefined, 5, true]);
  assert.throws(() => listOptions(q('resourceVersion=0&resourceVersionMatch=Exact'), false), (e: ApiError) => e.code === 422 && e.details?.kind === 'ListOptions');
  assert.equal(listOptions(q('watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan'), true).sendInitialEvents, true);
});

test('delete options come from the body when there is one', () => {
  assert.deepEqual(deleteOptions(q('gracePeriodSeconds=5&dryRun=All'), { propagationPolicy: 'Foreground' }), { propagationPolicy: 'Foreground' });
  assert.deepEqual(deleteOptions(q('gracePeriodSeconds=-1&orphanDependents=True&dryRun=All'), undefined), { gracePeriodSeconds: 1, orphanDependents: true, dryRun: true });
  assert.throws(() => deleteOptions(q(''), { gracePeriodSeconds: 'soon' }), (e: ApiError) => e.code === 400);
});
