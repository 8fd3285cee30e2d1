import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpRepository, parseIndex } from './http-repository.ts';

const digest = 'a'.repeat(64);

test('parseIndex accepts the documented format', () => {
  const index = parseIndex(JSON.stringify({ products: { zk: { versions: { '3.9.2': { archive: 'zk/zk-3.9.2.tar.gz', sha256: digest, stripComponents: 1 } } } } }), 'test');
  assert.equal(index.products.zk.versions['3.9.2'].archive, 'zk/zk-3.9.2.tar.gz');
});

test('parseIndex names the field at fault', () => {
  const cases: [unknown, RegExp][] = [
    ['not json', /not JSON/],
    [{}, /"products" object/],
    [{ products: { zk: {} } }, /products\.zk must have a "versions" object/],
    [{ products: { zk: { versions: { '1': { sha256: digest } } } } }, /products\.zk\.versions\.1\.archive/],
    [{ products: { zk: { versions: { '1': { archive: 'a', sha256: 'short' } } } } }, /sha256 must be 64 hexadecimal digits/],
    [{ products: { zk: { versions: { '1': { archive: 'a', sha256: digest, stripComponents: -1 } } } } }, /stripComponents/],
  ];
  for (const [document, message] of cases) {
    const text = typeof document === 'string' ? document : JSON.stringify(document);
    assert.throws(() => parseIndex(text, 'http://repo/index.json'), (err: Error & { reason: string }) => err.reason === 'RepositoryUnavailable' && message.test(err.message) && err.message.includes('http://repo/index.json'));
  }
});

test('repository URLs must be http or https', () => {
  assert.throws(() => new HttpRepository('r', 'ftp://example.com/repo'), /must use http or https/);
  assert.throws(() => new HttpRepository('r', 'not a url'), /invalid URL/);
});
