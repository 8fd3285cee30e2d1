import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { extractArchive, inspectArchive } from './archive.ts';
import { buildTarGz, type TarEntry } from '../../../test/support/tar.ts';

function fixture(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'granary-archive-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return {
    dir,
    archive(entries: TarEntry[]): string {
      const file = join(dir, `a${n++}.tar.gz`);
      writeFileSync(file, buildTarGz(entries));
      return file;
    },
    target(): string {
      const target = join(dir, `out${n++}`);
      mkdirSync(target);
      return target;
    },
  };
}

test('unpacks files, directories and links that stay inside', async (t) => {
  const f = fixture(t);
  const file = f.archive([
    { path: 'bin/', type: 'Directory' },
    { path: 'bin/run.sh', body: '#!/bin/sh\necho hi\n', mode: 0o4755 },
    { path: 'lib/', type: 'Directory' },
    { path: 'lib/real.so.1', body: 'elf' },
    { path: 'lib/real.so', type: 'SymbolicLink', linkpath: 'real.so.1' },
    { path: 'current', type: 'SymbolicLink', linkpath: 'lib' },
    { path: 'bin/lib-link', type: 'SymbolicLink', linkpath: '../lib/real.so.1' },
    { path: 'hard', type: 'Link', linkpath: 'lib/real.so.1' },
  ]);
  const target = f.target();
  await extractArchive(file, target);
  assert.equal(readFileSync(join(target, 'bin/run.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
  const mode = statSync(join(target, 'bin/run.sh')).mode & 0o7777;
  assert.equal(mode, 0o755, 'setuid is dropped');
  assert.equal(statSync(join(target, 'bin/run.sh')).uid, process.getuid!(), 'owned by the agent, not uid 1000');
  assert.equal(readlinkSync(join(target, 'lib/real.so')), 'real.so.1');
  assert.equal(readFileSync(join(target, 'bin/lib-link'), 'utf8'), 'elf');
  assert.equal(statSync(join(target, 'hard')).ino, statSync(join(target, 'lib/real.so.1')).ino);
});

test('strips a leading directory on request', async (t) => {
  const f = fixture(t);
  const file = f.archive([{ path: 'tool-1.0/', type: 'Directory' }, { path: 'tool-1.0/README', body: 'x' }]);
  const target = f.target();
  await extractArchive(file, target, 1);
  assert.deepEqual(readdirSync(target), ['README']);
});

test('links are checked as they will be written, after the leading directory is stripped', async (t) => {
  const f = fixture(t);
  // Inside tool-1.0/, "../x" stays in the archive; with tool-1.0/ stripped it would leave the package.
  for (const entries of [
    [{ path: 'tool-1.0/', type: 'Directory' }, { path: 'tool-1.0/up', type: 'SymbolicLink', linkpath: '../outside' }],
    [{ path: 'tool-1.0/', type: 'Directory' }, { path: 'tool-1.0/sub/up', type: 'SymbolicLink', linkpath: '../../etc' }],
    [{ path: 'x', body: 'x' }, { path: 'tool-1.0/hard', type: 'Link', linkpath: 'tool-1.0/../x' }],
  ] as TarEntry[][]) {
    const target = f.target();
    await assert.rejects(extractArchive(f.archive(entries), target, 1), (err: Error & { reason: string }) => err.reason === 'UnsafeArchive' && /outside the package directory|climbs out/.test(err.message), JSON.stringify(entries));
    assert.deepEqual(readdirSync(target), []);
  }
  const target = f.target();
  await extractArchive(f.archive([{ path: 'tool-1.0/lib/real', body: 'x' }, { path: 'tool-1.0/lib/link', type: 'SymbolicLink', linkpath: 'real' }, { path: 'tool-1.0/hard', type: 'Link', linkpath: 'tool-1.0/lib/real' }]), target, 1);
  assert.equal(readFileSync(join(target, 'lib/link'), 'utf8'), 'x');
  assert.equal(statSync(join(target, 'hard')).ino, statSync(join(target, 'lib/real')).ino);
});

const refusals: [string, TarEntry[], RegExp][] = [
  ['an entry climbing out', [{ path: 'ok', body: '' }, { path: '../escape', body: 'x' }], /"\.\.\/escape" climbs out/],
  ['a nested climb', [{ path: 'a/../../escape', body: 'x' }], /climbs out/],
  ['an absolute path', [{ path: '/etc/evil', body: 'x' }], /absolute path/],
  ['a symbolic link to an absolute path', [{ path: 'etc', type: 'SymbolicLink', linkpath: '/etc' }], /links to the absolute path "\/etc"/],
  ['a symbolic link climbing out', [{ path: 'sub/up', type: 'SymbolicLink', linkpath: '../../outside' }], /outside the package directory/],
  ['a chain of links climbing out', [
    { path: 'd/', type: 'Directory' },
    { path: 'd/root', type: 'SymbolicLink', linkpath: '..' },
    { path: 'escape', type: 'SymbolicLink', linkpath: 'd/root/..' },
  ], /"escape" links to "d\/root\/\.\.", through the symbolic link "d\/root"/],
  ['a link redirected by a later link', [
    { path: 'y', type: 'SymbolicLink', linkpath: 'x/..' },
    { path: 'x', type: 'SymbolicLink', linkpath: '..' },
  ], /"y" links to "x\/\.\.", through the symbolic link "x"/],
  ['a looping link', [{ path: 'a', type: 'SymbolicLink', linkpath: 'b/c' }, { path: 'b', type: 'SymbolicLink', linkpath: 'a' }], /through the symbolic link "b"/],
  ['a link through a link to the outside', [{ path: 'up', type: 'SymbolicLink', linkpath: '..' }, { path: 'pw', type: 'SymbolicLink', linkpath: 'up/etc/passwd' }], /"up" links to "\.\.", outside/],
  ['a hard link out', [{ path: 'pw', type: 'Link', linkpath: '../../etc/passwd' }], /"pw" links to/],
  ['a link to a link', [{ path: 'f', body: '' }, { path: 'l1', type: 'SymbolicLink', linkpath: 'f' }, { path: 'l2', type: 'SymbolicLink', linkpath: 'l1' }], /"l2" links to "l1", through the symbolic link "l1"/],
  ['a file written through a link', [{ path: 'l', type: 'SymbolicLink', linkpath: 'dir' }, { path: 'l/file', body: 'x' }], /through the symbolic link "l"/],
  ['a character device', [{ path: 'null', type: 'CharacterDevice' }], /CharacterDevice entry/],
  ['a block device', [{ path: 'disk', type: 'BlockDevice' }], /BlockDevice entry/],
  ['a FIFO', [{ path: 'pipe', type: 'FIFO' }], /FIFO entry/],
];

for (const [what, entries, message] of refusals) {
  test(`refuses ${what} and writes nothing`, async (t) => {
    const f = fixture(t);
    const file = f.archive([{ path: 'innocent', body: 'first' }, ...entries]);
    const target = f.target();
    await assert.rejects(extractArchive(file, target), (err: Error & { reason: string }) => {
      assert.equal(err.reason, 'UnsafeArchive');
      assert.match(err.message, message);
      return true;
    });
    assert.deepEqual(readdirSync(target), []);
    assert.equal(existsSync(join(f.dir, 'escape')), false);
  });
}

test('refuses what is not an archive, and empty archives', async (t) => {
  const f = fixture(t);
  const junk = join(f.dir, 'junk.tar.gz');
  writeFileSync(junk, 'definitely not gzip');
  await assert.rejects(inspectArchive(junk), { reason: 'UnsafeArchive' });
  await assert.rejects(inspectArchive(f.archive([])), { reason: 'UnsafeArchive' });
  assert.equal(lstatSync(junk).isFile(), true);
});
