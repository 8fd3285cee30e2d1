// The OS repository against a fake Debian host (dpkg-query, apt-cache madison, apt-get, dpkg as a
// small state machine), through the package manager: which exact version an image's version
// resolves to, what gets installed, and how the store shares and releases the package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PackageManager } from './manager.ts';
import type { CommandResult } from './os-repository.ts';

class FakeDebianHost {
  readonly installed = new Map<string, string>();
  readonly commands: string[] = [];
  readonly underPolicy: string[] = [];
  readonly available: Record<string, string[]>;
  constructor(available: Record<string, string[]>) {
    this.available = available;
  }

  run = async (wrapped: string[]): Promise<CommandResult> => {
    // Installs and removals come inside the agent's no-service-starts namespace (as root).
    const policy = wrapped.indexOf('granary-apt');
    if (policy >= 0) this.underPolicy.push(wrapped.slice(policy + 3).join(' '));
    const argv = policy >= 0 ? wrapped.slice(policy + 3) : wrapped;
    this.commands.push(argv.join(' '));
    const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
    const [command, ...args] = argv;
    const product = args.at(-1)!;
    if (command === 'dpkg-query') {
      const version = this.installed.get(product);
      return version ? ok(`install ok installed\t${version}`) : { code: 1, stdout: '', stderr: `dpkg-query: no packages found matching ${product}` };
    }
    if (command === 'apt-cache' && args[0] === 'madison') {
      return ok((this.available[product] ?? []).map((v) => ` ${product} | ${v} | http://deb.debian.org/debian bookworm/main amd64 Packages\n`).join(''));
    }
    if (command === 'apt-get' && args[0] === 'update') return ok();
    if (command === 'apt-get' && args[0] === 'install') {
      const [name, version] = product.split('=');
      if (!this.available[name]?.includes(version)) return { code: 100, stdout: '', stderr: `E: Version '${version}' for '${name}' was not found` };
      this.installed.set(name, version);
      return ok();
    }
    if (command === 'dpkg' && args[0] === '--remove') {
      this.installed.delete(product);
      return ok();
    }
    throw new Error(`unexpected command ${argv.join(' ')}`);
  };

  ran = (prefix: string) => this.commands.filter((c) => c.startsWith(prefix));
}

async function managerOn(t: { after(fn: () => void): void }, host: FakeDebianHost) {
  const root = mkdtempSync(join(tmpdir(), 'granary-apt-fake-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return PackageManager.open({ root, repositories: () => [{ name: 'debian', os: { packageManager: 'apt' } }], apt: { runCommand: host.run } });
}

test('an upstream version installs the newest Debian version of it; exact and upstream images share the package', async (t) => {
  const host = new FakeDebianHost({ zookeeper: ['3.8.0-11+deb12u1', '3.9.1-1', '3.8.0-11+deb12u2', '3.8.0-9', '3.8.0~rc1-1'] });
  const packages = await managerOn(t, host);

  const first = await packages.ensure('zookeeper:3.8.0', 'pod-a');
  assert.deepEqual([first.root, first.kind], ['/', 'os']);
  assert.deepEqual(host.ran('apt-get install'), ['apt-get install -y -qq --no-install-recommends --allow-downgrades -o DPkg::Lock::Timeout=300 zookeeper=3.8.0-11+deb12u2']);
  assert.equal(host.installed.get('zookeeper'), '3.8.0-11+deb12u2');

  await packages.ensure('zookeeper:3.8.0', 'pod-b');
  await packages.ensure('registry.example.com/zookeeper:3.8.0-11+deb12u2', 'pod-c');
  assert.equal(host.ran('apt-get install').length, 1, 'installed once');
  assert.deepEqual(packages.installed().map((r) => [r.version, r.installedVersion, r.removable, r.users]), [
    ['3.8.0', '3.8.0-11+deb12u2', true, ['pod-a', 'pod-b']],
    ['3.8.0-11+deb12u2', '3.8.0-11+deb12u2', true, ['pod-c']],
  ], 'recorded under the image\'s versions; the agent installed it, so both may remove it');

  assert.deepEqual(await packages.release('pod-a'), []);
  assert.deepEqual(await packages.release('pod-b'), ['zookeeper:3.8.0']);
  assert.deepEqual(host.ran('dpkg --remove'), [], 'pod-c still uses the package');
  assert.equal(host.installed.get('zookeeper'), '3.8.0-11+deb12u2');
  assert.deepEqual(await packages.release('pod-c'), ['zookeeper:3.8.0-11+deb12u2']);
  assert.deepEqual(host.ran('dpkg --remove'), ['dpkg --remove zookeeper']);
  assert.deepEqual(packages.installed(), []);
  // As root, installs and removals run where maintainer scripts start no service (test/agent/apt-policy.test.ts).
  assert.deepEqual(host.underPolicy, process.getuid?.() === 0 ? [...host.ran('apt-get install'), ...host.ran('dpkg --remove')] : []);
});

test('the installed package wins when its upstream version matches, and a host\'s package is never removed', async (t) => {
  const host = new FakeDebianHost({ zookeeper: ['3.8.0-11+deb12u2', '3.8.0-11+deb12u1'] });
  host.installed.set('zookeeper', '3.8.0-11+deb12u1');
  const packages = await managerOn(t, host);
  await packages.ensure('zookeeper:3.8.0', 'pod-a');
  await packages.ensure('zookeeper:3.8.0-11+deb12u1', 'pod-b');
  assert.deepEqual(host.ran('apt-get install'), [], 'nothing to install');
  assert.deepEqual(packages.installed().map((r) => [r.version, r.installedVersion, r.removable]), [
    ['3.8.0', '3.8.0-11+deb12u1', false],
    ['3.8.0-11+deb12u1', '3.8.0-11+deb12u1', false],
  ]);
  await packages.release('pod-a');
  await packages.release('pod-b');
  assert.deepEqual(host.ran('dpkg --remove'), []);
  assert.equal(host.installed.get('zookeeper'), '3.8.0-11+deb12u1');
});

test('exact versions win over upstream matches; epochs are not part of the upstream version', async (t) => {
  const host = new FakeDebianHost({ tool: ['1.0-5', '1.0'], 'openjdk-17-jre-headless': ['1:17.0.11+9~deb12u1-1', '17.0.11+9~deb12u1-0'] });
  host.installed.set('tool', '1.0-5');
  const packages = await managerOn(t, host);
  await packages.ensure('tool:1.0', 'pod-a');
  await packages.ensure('openjdk-17-jre-headless:17.0.11+9~deb12u1', 'pod-b');
  assert.deepEqual(host.ran('apt-get install').map((c) => c.split(' ').at(-1)), ['tool=1.0', 'openjdk-17-jre-headless=1:17.0.11+9~deb12u1-1']);
  assert.equal(packages.installed().find((r) => r.product === 'tool')?.removable, false, 'the host had another version of it');
});

test('a version matching nothing is PackageNotFound after one refresh of the package lists; a revision is never dropped', async (t) => {
  const host = new FakeDebianHost({ zookeeper: ['3.8.0-11+deb12u2'] });
  const packages = await managerOn(t, host);
  await assert.rejects(packages.ensure('zookeeper:3.7.0', 'pod-a'), { reason: 'PackageNotFound' });
  assert.equal(host.ran('apt-get update').length, 1);
  await assert.rejects(packages.ensure('zookeeper:3.8.0-1', 'pod-a'), { reason: 'PackageNotFound' }, 'an image version with a revision must match exactly');
  await assert.rejects(packages.ensure('zookeeper:3.8', 'pod-a'), { reason: 'PackageNotFound' });
  assert.equal(host.ran('apt-get update').length, 1, 'fresh lists are not refreshed again');
  assert.deepEqual(host.ran('apt-get install'), []);
  assert.deepEqual(packages.installed(), []);
});
