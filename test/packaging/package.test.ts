// The granary Debian package as Debian's own tools see it: lintian finds no error or warning; the
// control fields; the files, with root as owner, fixed modes and the commit's time; the bundled
// Node.js runs the packaged code; and two builds of one commit hold the same files. (The package
// and lintian's verdict are built once per run, test/support/granary-debs.ts; in a whole run
// fleet.test.ts, which sorts first, has built them while the hosts' root filesystem was built.)
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../support/apiserver.ts';
import { granaryDebs, type GranaryDebs } from '../support/granary-debs.ts';

const TOOLS = ['/usr/bin/lintian', '/usr/bin/dpkg-deb', '/usr/bin/dpkg-shlibdeps', '/usr/bin/strip'];

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'Debian packages are built on Debian';
  const missing = TOOLS.filter((t) => { try { execFileSync('test', ['-x', t]); return false; } catch { return true; } });
  return missing.length > 0 ? `missing ${missing.join(', ')} (scripts/test-deps.sh installs lintian, dpkg-dev and binutils)` : undefined;
}

interface Entry { mode: string; owner: string; size: number; mtime: string; path: string }

/** The data archive's members as `tar -tv --numeric-owner --full-time` lists them. */
function members(deb: string): Entry[] {
  const tarball = execFileSync('dpkg-deb', ['--fsys-tarfile', deb], { maxBuffer: 512 * 1024 * 1024 });
  const listing = execFileSync('tar', ['-tv', '--numeric-owner', '--full-time', '-f', '-'], {
    input: tarball, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env.PATH, TZ: 'UTC' },
  });
  return listing.trim().split('\n').map((line) => {
    const [mode, owner, size, date, time, ...rest] = line.split(/\s+/);
    return { mode, owner, size: Number(size), mtime: `${date} ${time}`, path: rest.join(' ') };
  });
}

describe('the granary Debian package', { skip: unavailable() }, () => {
  let debs: GranaryDebs;
  let files: Entry[];

  before(async () => {
    debs = await granaryDebs();
    files = members(debs.current);
  });

  test('lintian finds no error and no warning', () => {
    const tags = debs.lintian.output.split('\n').filter((l) => /^[EW]: /.test(l));
    assert.deepEqual(tags, []);
    assert.equal(debs.lintian.code, 0, debs.lintian.output);
  });

  test('control fields: name, package.json\'s version, this architecture, the dependencies a host needs', () => {
    const field = (name: string) => execFileSync('dpkg-deb', ['--field', debs.current, name], { encoding: 'utf8' }).trim();
    assert.equal(field('Package'), 'granary');
    assert.equal(field('Version'), (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    assert.equal(field('Architecture'), execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim());
    const depends = field('Depends').split(', ').map((d) => d.split(' ')[0]);
    for (const needed of ['systemd', 'apt', 'adduser', 'init-system-helpers', 'libc6', 'libstdc++6']) assert.ok(depends.includes(needed), `${needed} in ${depends.join(', ')}`);
  });

  test('files: the code without tests, Node.js 22, the command and the units; owned by root, fixed modes, the commit\'s time', () => {
    const paths = new Set(files.map((f) => f.path));
    for (const path of ['./usr/bin/granary', './usr/lib/granary/node/bin/node', './usr/lib/granary/src/cli/main.ts', './usr/lib/granary/package-lock.json',
      './usr/lib/granary/node_modules/undici/package.json', './usr/share/doc/granary/copyright', './usr/share/man/man1/granary.1.gz',
      './usr/lib/systemd/system/granary-apiserver.service', './usr/lib/systemd/system/granary-agent.service', './usr/lib/systemd/system/granary-operator.service']) {
      assert.ok(paths.has(path), `${path} is in the package`);
    }
    assert.deepEqual(files.filter((f) => f.path.endsWith('.test.ts') || f.path.includes('/testdata/') || f.path.startsWith('./usr/lib/granary/test/')).map((f) => f.path), []);
    assert.deepEqual([...new Set(files.map((f) => f.owner))], ['0/0']);
    const commitTime = Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT, encoding: 'utf8' }));
    const expected = new Date(commitTime * 1000).toISOString().replace('T', ' ').replace('.000Z', '');
    assert.deepEqual([...new Set(files.map((f) => f.mtime))], [expected]);
    const executables = ['./usr/bin/granary', './usr/lib/granary/node/bin/node'];
    for (const f of files) {
      const want = f.mode.startsWith('d') ? 'drwxr-xr-x' : executables.includes(f.path) ? '-rwxr-xr-x' : '-rw-r--r--';
      assert.equal(f.mode, want, f.path);
    }
  });

  test('the bundled Node.js 22 runs the packaged code', () => {
    const root = tempDir('deb-contents');
    try {
      execFileSync('dpkg-deb', ['--extract', debs.current, root]);
      const node = join(root, 'usr/lib/granary/node/bin/node');
      assert.match(execFileSync(node, ['--version'], { encoding: 'utf8' }), /^v22\./);
      const help = execFileSync(node, ['--disable-warning=ExperimentalWarning', join(root, 'usr/lib/granary/src/cli/main.ts'), 'help'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
      assert.match(help, /init \[--advertise-address IP\]/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('two builds of one commit hold the same files (the newer build differs in its version only)', () => {
    const newer = members(debs.newer);
    const versionOnly = new Set(['./usr/share/doc/granary/changelog.gz']);
    assert.deepEqual(newer.filter((f) => !versionOnly.has(f.path)), files.filter((f) => !versionOnly.has(f.path)));
    const sums = (deb: string) => {
      const dir = tempDir('deb-control');
      try {
        execFileSync('dpkg-deb', ['--control', deb, dir]);
        return readFileSync(join(dir, 'md5sums'), 'utf8').split('\n').filter((l) => !l.endsWith('changelog.gz'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    assert.deepEqual(sums(debs.newer), sums(debs.current), 'every file has the same content');
    assert.ok(files.length > 1000, `${files.length} files compared`);
  });
});
