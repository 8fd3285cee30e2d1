import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { notDebian } from '../../../test/support/machine-limits.ts';
import { compareDebianVersions, parseDebianVersion, upstreamVersion } from './debian-version.ts';

test('a Debian version splits into epoch, upstream and revision', () => {
  assert.deepEqual(parseDebianVersion('3.8.0-11+deb12u2'), { epoch: 0, upstream: '3.8.0', revision: '11+deb12u2' });
  assert.deepEqual(parseDebianVersion('1:17.0.11+9~deb12u1-1'), { epoch: 1, upstream: '17.0.11+9~deb12u1', revision: '1' });
  assert.deepEqual(parseDebianVersion('2:1.2-3-4'), { epoch: 2, upstream: '1.2-3', revision: '4' });
  assert.deepEqual(parseDebianVersion('1.0'), { epoch: 0, upstream: '1.0', revision: '' });
  assert.equal(upstreamVersion('1:3.8.0-11+deb12u2'), '3.8.0');
  assert.equal(upstreamVersion('3.8.0'), '3.8.0');
});

const ordered = [
  '1.0~rc1', '1.0', '1.0-0.1', '1.0-1~bpo1', '1.0-1', '1.0-1+deb12u1', '1.0-2', '1.0-10', '1.0a', '1.0+dfsg-1', '1.0.1',
  '1.2', '1.10', '3.8.0-11+deb12u1', '3.8.0-11+deb12u2', '3.8.0-12', '3.9.2-1', '1:0.1', '1:0.1-1', '2:0~~',
];

test('versions compare as dpkg compares them', () => {
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      const c = Math.sign(compareDebianVersions(ordered[i], ordered[j]));
      assert.equal(c, Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
    }
  }
  assert.equal(compareDebianVersions('1.0', '1.0-0'), 0, 'no revision is revision 0');
  assert.equal(compareDebianVersions('0:1.0', '1.0'), 0, 'no epoch is epoch 0');
  assert.equal(compareDebianVersions('1.001', '1.1'), 0, 'numbers compare as numbers');
});

test('agrees with dpkg --compare-versions', { skip: notDebian() }, () => {
  const samples = ['1.0~rc1', '1.0', '1.0-1', '1.0+dfsg-1', '1.0a', '1.0.1', '1:0.1', '3.8.0-11+deb12u2', '3.8.0-2', '1.0~~a', '1.0~', '1.0-1~'];
  for (const a of samples) {
    for (const b of samples) {
      let dpkgSays = 0;
      try {
        execFileSync('dpkg', ['--compare-versions', a, 'lt', b]);
        dpkgSays = -1;
      } catch {
        try {
          execFileSync('dpkg', ['--compare-versions', a, 'gt', b]);
          dpkgSays = 1;
        } catch { /* equal */ }
      }
      assert.equal(Math.sign(compareDebianVersions(a, b)), dpkgSays, `${a} vs ${b}`);
    }
  }
});
