import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDatatype, checkValue, type Datatype } from './datatype.ts';
import { compareVersions, parseVersion, versionInRange } from './version.ts';

const ok = (d: Datatype, raw: string) => {
  const r = checkValue(d, raw);
  assert.ok(r.ok, `${raw} should pass ${JSON.stringify(d)}: ${r.ok ? '' : r.message}`);
  return r.value;
};
const bad = (d: Datatype, raw: string) => {
  const r = checkValue(d, raw);
  assert.ok(!r.ok, `${raw} should fail ${JSON.stringify(d)}`);
  return r.message;
};

test('integers: whole numbers within bounds', () => {
  const d: Datatype = { type: 'integer', min: 1, max: 100 };
  assert.equal(ok(d, '42'), '42');
  assert.match(bad(d, '0'), /0 is below the minimum of 1/);
  assert.match(bad(d, '101'), /above the maximum of 100/);
  assert.match(bad(d, '4.2'), /not a whole number/);
  assert.match(bad(d, ''), /not a whole number/);
  assert.match(bad({ type: 'integer' }, '99999999999999999999'), /not a whole number/);
  assert.equal(ok({ type: 'integer' }, '-7'), '-7');
});

test('floats, booleans, strings, enums', () => {
  assert.equal(ok({ type: 'float', min: 0, max: 1 }, '0.75'), '0.75');
  assert.equal(ok({ type: 'float' }, '1e3'), '1e3');
  assert.match(bad({ type: 'float', max: 1 }, '1.5'), /above the maximum of 1/);
  assert.match(bad({ type: 'float' }, 'NaN'), /not a number/);
  assert.equal(ok({ type: 'bool' }, 'true'), 'true');
  assert.match(bad({ type: 'bool' }, 'yes'), /use true or false/);
  assert.equal(ok({ type: 'string' }, 'anything at all'), 'anything at all');
  assert.equal(ok({ type: 'enum', allowed: ['NIO', 'Netty'] }, 'Netty'), 'Netty');
  assert.match(bad({ type: 'enum', allowed: ['NIO', 'Netty'] }, 'netty'), /"netty" is not one of NIO, Netty/);
});

test('ports: 1..65535 unless the spec narrows it', () => {
  assert.equal(ok({ type: 'port' }, '2181'), '2181');
  assert.match(bad({ type: 'port' }, '0'), /outside 1\.\.65535/);
  assert.match(bad({ type: 'port' }, '65536'), /outside 1\.\.65535/);
  assert.equal(ok({ type: 'port', min: 0 }, '0'), '0');
  assert.match(bad({ type: 'port', min: 1024 }, '80'), /outside 1024\.\.65535/);
  assert.match(bad({ type: 'port' }, 'http'), /not a port number/);
});

test('durations convert into the spec\'s unit', () => {
  const ms: Datatype = { type: 'duration', unit: 'ms', min: 100 };
  assert.equal(ok(ms, '30s'), '30000');
  assert.equal(ok(ms, '1h30m'), '5400000');
  assert.equal(ok(ms, '2000'), '2000', 'a bare number is in the unit');
  assert.match(bad(ms, '50ms'), /below the minimum of 100 ms/);
  assert.equal(ok({ type: 'duration', unit: 's' }, '2m'), '120');
  assert.match(bad({ type: 'duration', unit: 's' }, '1500ms'), /not a whole number of s/);
  assert.match(bad(ms, '10 seconds'), /not a duration/);
  assert.match(bad(ms, '-5'), /not a duration/);
  assert.equal(ok({ type: 'duration' }, '5m'), '5m', 'without a unit the value is kept as written');
  assert.match(bad({ type: 'duration', max: 1000 }, '2s'), /above the maximum of 1000 ms/);
});

test('memory sizes convert into the spec\'s unit, single letters as Java reads them', () => {
  const mi: Datatype = { type: 'memory', unit: 'Mi', min: 64 };
  assert.equal(ok(mi, '2Gi'), '2048');
  assert.equal(ok(mi, '1g'), '1024');
  assert.equal(ok(mi, '512m'), '512');
  assert.equal(ok(mi, '512'), '512');
  assert.match(bad(mi, '32Mi'), /below the minimum of 64 Mi/);
  assert.match(bad(mi, '100000Ki'), /not a whole number of Mi/);
  assert.match(bad(mi, '1.5Gi'), /not a memory size/);
  assert.equal(ok({ type: 'memory' }, '4096'), '4096');
  assert.equal(ok({ type: 'memory', unit: 'B' }, '1Ki'), '1024');
});

test('paths must be absolute and must not climb', () => {
  assert.equal(ok({ type: 'path' }, '/var/lib/zookeeper'), '/var/lib/zookeeper');
  assert.match(bad({ type: 'path' }, 'data'), /not an absolute path/);
  assert.match(bad({ type: 'path' }, '/var/lib/../../etc'), /must not contain "\.\." segments/);
});

test('datatype definitions are checked', () => {
  assert.deepEqual(checkDatatype({ type: 'integer', min: 1, max: 10 }), []);
  assert.deepEqual(checkDatatype({ type: 'enum' }), ['enum needs a non-empty "allowed" list']);
  assert.match(checkDatatype({ type: 'duration', unit: 'weeks' })[0], /duration unit "weeks"/);
  assert.match(checkDatatype({ type: 'memory', unit: 'MB' })[0], /memory unit "MB"/);
  assert.deepEqual(checkDatatype({ type: 'float', min: 2, max: 1 }), ['min 2 is above max 1']);
});

test('versions compare numerically part by part, ignoring build suffixes', () => {
  const v = (s: string) => parseVersion(s)!;
  assert.deepEqual(v('3.9.2'), [3, 9, 2]);
  assert.deepEqual(v('v3.9.2-granary.1'), [3, 9, 2]);
  assert.equal(parseVersion('latest'), undefined);
  assert.equal(parseVersion('3..1'), undefined);
  assert.ok(compareVersions(v('3.10.0'), v('3.9.2')) > 0);
  assert.equal(compareVersions(v('3.9'), v('3.9.0')), 0);
  assert.ok(versionInRange(v('3.5.9'), v('3.5'), v('3.6')));
  assert.ok(!versionInRange(v('3.6.0'), v('3.5'), v('3.6')), 'the upper bound is excluded');
  assert.ok(versionInRange(v('3.5.0'), v('3.5'), undefined), 'the lower bound is included');
  assert.ok(versionInRange(v('1.0'), undefined, undefined));
});
