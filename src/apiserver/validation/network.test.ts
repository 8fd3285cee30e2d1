import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp, inRange, parseCidr, parseIp, portNameErrors, validateNonSpecialIp } from './network.ts';

test('addresses round-trip through numbers, IPv6 in canonical form', () => {
  assert.deepEqual(parseIp('10.96.0.1'), { family: 'IPv4', value: 0x0a600001n });
  assert.equal(formatIp(parseIp('10.96.0.1')!), '10.96.0.1');
  assert.equal(parseIp('2001:db8::1')!.value, (0x20010db8n << 96n) | 1n);
  assert.equal(formatIp(parseIp('2001:0db8:0:0:0:0:0:0001')!), '2001:db8::1');
  assert.equal(formatIp(parseIp('::ffff:10.0.0.1')!), '::ffff:a00:1');
  for (const bad of ['10.0.0', '10.0.0.256', 'fe80::1%eth0', 'example.com', '']) assert.equal(parseIp(bad), undefined, bad);
});

test('CIDRs: base, size, membership', () => {
  const range = parseCidr('10.96.3.4/12')!;
  assert.deepEqual([formatIp({ family: 'IPv4', value: range.base }), range.prefix, range.size], ['10.96.0.0', 12, 1n << 20n]);
  assert.ok(inRange(parseIp('10.111.255.255')!, [range]));
  assert.ok(!inRange(parseIp('10.112.0.0')!, [range]));
  assert.ok(!inRange(parseIp('::1')!, [range]));
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '::/129', '10.0.0.0/x']) assert.equal(parseCidr(bad), undefined, bad);
});

test('special addresses and port names, in Kubernetes\' words', () => {
  assert.match(validateNonSpecialIp('a', '0.0.0.0')[0].message ?? '', /may not be unspecified/);
  assert.match(validateNonSpecialIp('a', '::1')[0].message ?? '', /loopback/);
  assert.deepEqual(validateNonSpecialIp('a', '127.0.0.2', { allowLoopback: true }), []);
  assert.match(validateNonSpecialIp('a', '169.254.1.1')[0].message ?? '', /link-local range/);
  assert.match(validateNonSpecialIp('a', 'ff02::1')[0].message ?? '', /link-local multicast/);
  assert.deepEqual(validateNonSpecialIp('a', '10.0.0.1'), []);
  assert.deepEqual(portNameErrors('metrics'), []);
  assert.deepEqual(portNameErrors('a--b'), ['must not contain consecutive hyphens']);
  assert.deepEqual(portNameErrors('8080'), ['must contain at least one letter (a-z)']);
  assert.deepEqual(portNameErrors('much-too-long-port-name'), ['must be no more than 15 characters']);
});
