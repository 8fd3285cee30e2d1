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

test('an image named after what every object inherits is not in the index', async () => {
  const index = JSON.stringify({ products: { zk: { versions: { '1': { archive: 'zk.tgz', sha256: digest } } } } });
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end(index));
  await new Promise<void>((resolve) => server.listen(0, '127.0.9.1', resolve));
  try {
    const repo = new HttpRepository('r', `http://127.0.9.1:${(server.address() as { port: number }).port}/`);
    for (const [product, version] of [['constructor', '1'], ['tostring', '1'], ['zk', 'constructor'], ['zk', '__proto__']]) {
      assert.equal(await repo.find({ image: `${product}:${version}`, product, version }), undefined, `${product}:${version}`);
    }
    assert.ok(await repo.find({ image: 'zk:1', product: 'zk', version: '1' }));
  } finally {
    server.close();
  }
});
