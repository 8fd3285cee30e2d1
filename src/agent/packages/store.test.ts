import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PackageStore, type PackageRecord } from './store.ts';

const record = (product: string, users: string[]): PackageRecord => ({
  product, version: '1.0', repository: 'r', kind: 'http', root: `/x/${product}`, removable: true, users, installedAt: '2025-01-01T00:00:00Z',
});

test('users are counted per package and survive reopening; stale staging is cleared', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-package-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await PackageStore.open(dir);
  await store.put(record('a', ['pod-1']));
  await store.put(record('b', ['pod-1']));
  await store.addUser('a', '1.0', 'pod-2');
  await store.addUser('a', '1.0', 'pod-2');
  assert.deepEqual(store.get('a', '1.0')?.users, ['pod-1', 'pod-2']);
  mkdirSync(join(store.stagingDir(), 'half-unpacked'), { recursive: true });

  const reopened = await PackageStore.open(dir);
  assert.deepEqual(reopened.get('a', '1.0')?.users, ['pod-1', 'pod-2']);
  assert.equal(existsSync(join(reopened.stagingDir(), 'half-unpacked')), false);
  const unused = await reopened.removeUser('pod-1');
  assert.deepEqual(unused.map((r) => r.product), ['b']);
  await reopened.delete('b', '1.0');
  assert.deepEqual((await PackageStore.open(dir)).all().map((r) => r.product), ['a']);
  assert.equal(reopened.contentDir('a', '1.0'), join(dir, 'a', '1.0'));
});
