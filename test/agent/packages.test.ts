// Packages end to end: an HTTP repository on loopback serving real archives (with a program that
// runs once installed), downloads that fail half-way and resume, repositories tried by priority,
// sharing between pods and removal when unused, persistence across agent restarts, each refusal
// (digest mismatch, archive entries climbing out, links out), and a real Debian package
// installed with apt from the OS repository.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { create as createTar } from 'tar';
import { PackageManager, type RepositoryConfig } from '../../src/agent/packages/manager.ts';
import { buildTarGz } from '../support/tar.ts';
import { TestRepository } from '../support/package-repository.ts';
import { freePort } from '../support/net.ts';
import { notDebian, notRoot } from '../support/machine-limits.ts';

const run = promisify(execFile);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const FAST_RETRY = { attempts: 4, baseDelayMs: 50, maxDelayMs: 200, stallTimeoutMs: 5000 };

/** A real archive made with tar from files on disk: a program, its config, and padding to make resuming visible. */
async function buildProductArchive(work: string, greeting: string): Promise<Buffer> {
  const source = mkdtempSync(join(work, 'src-'));
  mkdirSync(join(source, 'greeter-1.0', 'bin'), { recursive: true });
  mkdirSync(join(source, 'greeter-1.0', 'share'), { recursive: true });
  writeFileSync(join(source, 'greeter-1.0', 'bin', 'greet'), `#!/bin/sh\necho "${greeting} $1"\n`);
  chmodSync(join(source, 'greeter-1.0', 'bin', 'greet'), 0o755);
  // Random bytes do not compress, so the archive is large enough to be cut in the middle.
  writeFileSync(join(source, 'greeter-1.0', 'share', 'data.bin'), randomBytes(512 * 1024));
  const file = join(work, `greeter-${sha256(Buffer.from(greeting)).slice(0, 8)}.tar.gz`);
  await createTar({ gzip: true, file, cwd: source, portable: true }, ['greeter-1.0']);
  rmSync(source, { recursive: true, force: true });
  return readFileSync(file);
}

describe('packages from an HTTP repository', () => {
  let work: string;
  let primary: TestRepository;
  let mirror: TestRepository;
  let repositories: RepositoryConfig[];
  let manager: PackageManager;
  let agentRoot: string;
  let archive: Buffer;

  before(async () => {
    work = mkdtempSync('/tmp/granary-packages-');
    agentRoot = join(work, 'agent');
    primary = new TestRepository();
    mirror = new TestRepository();
    await primary.start();
    await mirror.start();
    archive = await buildProductArchive(work, 'hello from primary');
    primary.publish('greeter', '1.0', archive, { stripComponents: 1 });
    mirror.publish('greeter', '1.0', await buildProductArchive(work, 'hello from mirror'), { stripComponents: 1 });
    repositories = [
      { name: 'mirror', priority: 1, http: { url: mirror.url } },
      { name: 'primary', priority: 10, http: { url: primary.url } },
    ];
    manager = await PackageManager.open({ root: agentRoot, repositories: () => repositories, retry: FAST_RETRY, indexCacheMs: 0 });
  });
  after(async () => {
    await primary.stop();
    await mirror.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('installs from the highest-priority repository, resuming a cut download, and the program runs', async () => {
    primary.faults.set('/repo/index.json', ['503']);
    primary.faults.set('/repo/archives/greeter-1.0.tar.gz', ['cut', 'cut']);
    const installed = await manager.ensure('packages.example.com/granary/greeter:1.0', 'pod-a');
    assert.equal(installed.repository, 'primary');
    assert.equal(installed.kind, 'http');
    assert.equal(installed.root, join(agentRoot, 'packages', 'greeter', '1.0'));
    const { stdout } = await run(join(installed.root, 'bin', 'greet'), ['world']);
    assert.equal(stdout, 'hello from primary world\n');
    const fetches = primary.archiveRequests('greeter');
    assert.equal(fetches.length, 3);
    assert.equal(fetches[0].range, undefined);
    assert.match(fetches[1].range ?? '', /^bytes=[1-9]\d*-$/, 'the second try resumes');
    assert.match(fetches[2].range ?? '', /^bytes=[1-9]\d*-$/);
    assert.equal(mirror.archiveRequests('greeter').length, 0);
    assert.deepEqual(readdirSync(join(agentRoot, 'packages', '.downloads')), [], 'the archive is not kept');
  });

  test('pods share an installed package; it goes away with its last user, also across agent restarts', async () => {
    const before = primary.archiveRequests('greeter').length;
    const again = await manager.ensure('greeter:1.0', 'pod-b');
    await manager.ensure('greeter:1.0', 'pod-b');
    assert.equal(primary.archiveRequests('greeter').length, before, 'no second download');
    assert.deepEqual(manager.installed().find((p) => p.product === 'greeter')?.users, ['pod-a', 'pod-b']);

    assert.deepEqual(await manager.release('pod-a'), []);
    assert.ok(existsSync(again.root));

    // A restarted agent knows who uses what.
    manager = await PackageManager.open({ root: agentRoot, repositories: () => repositories, retry: FAST_RETRY, indexCacheMs: 0 });
    assert.deepEqual(manager.installed().find((p) => p.product === 'greeter')?.users, ['pod-b']);
    assert.deepEqual(await manager.retainOnly(['pod-c']), ['greeter:1.0']);
    assert.equal(existsSync(again.root), false);
    assert.deepEqual(manager.installed(), []);
  });

  test('falls back to a lower-priority repository when a higher one is unreachable', async () => {
    const saved = repositories;
    const down = { name: 'down', priority: 100, http: { url: `http://127.0.0.1:${await freePort()}/repo` } };
    repositories = [down, ...saved];
    try {
      const installed = await manager.ensure('greeter:1.0', 'pod-d');
      assert.equal(installed.repository, 'primary');
      await manager.release('pod-d');
      repositories = [down];
      await assert.rejects(manager.ensure('greeter:1.0', 'pod-d'), (err: Error & { reason: string }) => {
        assert.equal(err.reason, 'RepositoryUnavailable');
        assert.match(err.message, /down: .*ECONNREFUSED/);
        return true;
      });
    } finally {
      repositories = saved;
    }
  });

  test('a version no repository has is PackageNotFound; a bad image is InvalidImageName', async () => {
    await assert.rejects(manager.ensure('greeter:9.9', 'pod-e'), (err: Error & { reason: string }) => {
      assert.equal(err.reason, 'PackageNotFound');
      assert.match(err.message, /greeter version 9\.9 \(tried primary, mirror\)/);
      return true;
    });
    await assert.rejects(manager.ensure('greeter', 'pod-e'), { reason: 'InvalidImageName' });
  });

  const refusals: [string, () => Buffer, { sha?: string }, string, RegExp][] = [
    ['an archive whose digest differs from the index', () => archive, { sha: 'ab'.repeat(32) }, 'DigestMismatch', /sha256 [0-9a-f]{64} but the repository index says abab/],
    ['an archive with a ../ entry', () => buildTarGz([{ path: 'bin/ok', body: 'x' }, { path: '../../evil', body: 'x' }]), {}, 'UnsafeArchive', /"\.\.\/\.\.\/evil" climbs out/],
    ['an archive with a symbolic link out', () => buildTarGz([{ path: 'etc', type: 'SymbolicLink', linkpath: '../../../../etc' }]), {}, 'UnsafeArchive', /"etc" links to "\.\.\/\.\.\/\.\.\/\.\.\/etc", outside/],
  ];
  for (const [what, make, extra, reason, message] of refusals) {
    test(`refuses ${what}, without trying other repositories or leaving files`, async () => {
      const version = `bad-${reason}`;
      primary.publish('greeter', version, make(), extra);
      mirror.publish('greeter', version, archive);
      await assert.rejects(manager.ensure(`greeter:${version}`, 'pod-f'), (err: Error & { reason: string }) => {
        assert.equal(err.reason, reason);
        assert.match(err.message, message);
        assert.match(err.message, /from repository primary/);
        return true;
      });
      assert.equal(mirror.archiveRequests('greeter').length, 0);
      assert.equal(existsSync(join(agentRoot, 'packages', 'greeter', version)), false);
      assert.deepEqual(readdirSync(join(agentRoot, 'packages', '.staging')), []);
      assert.deepEqual(readdirSync(join(agentRoot, 'packages', '.downloads')), []);
      assert.equal(existsSync(join(work, 'evil')), false);
    });
  }
});

const aptUnavailable = notRoot() ?? notDebian();

describe('packages from the OS repository (apt)', { skip: aptUnavailable }, () => {
  let work: string;
  let manager: PackageManager;
  let version: string;
  let preinstalled: boolean;

  before(async () => {
    work = mkdtempSync('/tmp/granary-apt-');
    manager = await PackageManager.open({ root: work, repositories: () => [{ name: 'debian', os: { packageManager: 'apt' } }] });
    preinstalled = (await run('dpkg-query', ['-W', '-f=${Status}', 'hello']).catch(() => ({ stdout: '' }))).stdout === 'install ok installed';
    const policy = (await run('apt-cache', ['policy', 'hello'])).stdout;
    version = /Candidate: (\S+)/.exec(policy)?.[1] ?? '';
    if (!version || version === '(none)') {
      await run('apt-get', ['update', '-qq']);
      version = /Candidate: (\S+)/.exec((await run('apt-cache', ['policy', 'hello'])).stdout)?.[1] ?? '';
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('installs a real Debian package, which runs, and removes it when unused', async () => {
    assert.ok(version && version !== '(none)', 'apt knows the hello package');
    const installed = await manager.ensure(`hello:${version}`, 'pod-os');
    assert.equal(installed.root, '/');
    assert.equal(installed.kind, 'os');
    const { stdout } = await run('/usr/bin/hello');
    assert.equal(stdout, 'Hello, world!\n');
    assert.equal(manager.installed()[0].removable, !preinstalled);
    assert.deepEqual(await manager.release('pod-os'), [`hello:${version}`]);
    assert.equal(existsSync('/usr/bin/hello'), preinstalled, preinstalled ? 'a package the host had stays' : 'the package is removed');
  });

  test('a version the distribution does not have is PackageNotFound', async () => {
    await assert.rejects(manager.ensure('hello:0.0-granary-missing', 'pod-os'), { reason: 'PackageNotFound' });
  });
});
