import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { lookupUser, processStartTime, resolveExecutable } from './host.ts';

test('lookupUser reads names and uids from the password file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-host-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\nzk:x:120:130:ZooKeeper:/var/lib/zk:/usr/sbin/nologin\n');
  assert.deepEqual(lookupUser('zk', passwd), { uid: 120, gid: 130, name: 'zk', home: '/var/lib/zk', shell: '/usr/sbin/nologin' });
  assert.equal(lookupUser('120', passwd)?.name, 'zk');
  assert.deepEqual(lookupUser('5000', passwd), { uid: 5000, gid: 5000 });
  assert.equal(lookupUser('nobody-here', passwd), undefined);
});

test('resolveExecutable follows the service PATH and the working directory', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-host-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'bin', 'tool'), 0o755);
  writeFileSync(join(dir, 'bin', 'data'), 'not executable');
  assert.equal(resolveExecutable('tool', { PATH: `/nonexistent:${dir}/bin` }), join(dir, 'bin', 'tool'));
  assert.equal(resolveExecutable('tool', { PATH: 'bin' }, dir), join(dir, 'bin', 'tool'));
  assert.equal(resolveExecutable('./bin/tool', {}, dir), join(dir, 'bin', 'tool'));
  assert.equal(resolveExecutable('data', { PATH: `${dir}/bin` }), undefined);
  assert.equal(resolveExecutable('sh', {}), '/usr/bin/sh');
});

test('processStartTime identifies live processes only', () => {
  const mine = processStartTime(process.pid);
  assert.ok(mine !== undefined && mine > 0);
  assert.equal(processStartTime(process.pid), mine);
  assert.equal(processStartTime(2 ** 22 + 1), undefined);
});
