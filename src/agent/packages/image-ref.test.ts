import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePackageRef } from './image-ref.ts';

test('reads product and version, with optional registry and path', () => {
  assert.deepEqual(parsePackageRef('zookeeper:3.9.2'), { image: 'zookeeper:3.9.2', registry: undefined, path: undefined, product: 'zookeeper', version: '3.9.2' });
  assert.deepEqual(parsePackageRef('repo.example.com:8443/granary/stable/kafka:3.7.0-1'), {
    image: 'repo.example.com:8443/granary/stable/kafka:3.7.0-1', registry: 'repo.example.com:8443', path: 'granary/stable', product: 'kafka', version: '3.7.0-1',
  });
  assert.equal(parsePackageRef('granary/hdfs:3.4.0').registry, undefined);
  assert.equal(parsePackageRef('granary/hdfs:3.4.0').path, 'granary');
  assert.equal(parsePackageRef('localhost/hello:2.10-3').registry, 'localhost');
});

test('accepts Debian versions with epoch, plus and tilde', () => {
  const ref = parsePackageRef('openjdk-17-jre-headless:1:17.0.11+9~deb12u1');
  assert.equal(ref.product, 'openjdk-17-jre-headless');
  assert.equal(ref.version, '1:17.0.11+9~deb12u1');
});

test('refuses what is not product:version, with a reason', () => {
  const cases: [string, RegExp][] = [
    ['zookeeper', /names no version/],
    ['zookeeper:', /invalid version/],
    ['Zookeeper:1', /invalid product name/],
    ['zk:../../etc', /names no version/],
    ['zk:.hidden', /invalid version/],
    ['zk@sha256:abcd', /pinned by digest/],
    ['a//zk:1', /empty or relative path/],
    [' zk:1', /surrounding spaces/],
    ['', /empty/],
  ];
  for (const [image, message] of cases) {
    assert.throws(() => parsePackageRef(image), (err: Error & { reason: string }) => err.reason === 'InvalidImageName' && message.test(err.message), image);
  }
});
