// Packages the agent installs start no service of their own, with the real systemd (PID 1 in a
// namespace) and real apt, dpkg and init-system-helpers. Two small Debian packages are built
// here, each with a unit and the maintainer scripts debhelper writes for one (enable it, start it
// when systemd runs), and served from a local apt repository. Everything happens in the test
// systemd's namespace and leaves the host as it was: the directories of units and their state are
// private there, and apt and dpkg keep their state (and lock) in the test's directory. The host's
// own policy-rc.d is replaced there by one allowing everything, as on an administrator's machine.
// Then:
//   - installed by hand with apt-get, a package's service starts and is enabled (the set-up can see it);
//   - installed by the agent (its AptRepository, as root, inside that namespace), it is neither
//     started nor enabled, while an administrator's apt-get at the same moment installs and starts
//     the other package as usual: the agent's policy is its install's alone;
//   - afterwards, nothing is left of the policy: same mounts, same policy-rc.d, no preset file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AptRepository } from '../../src/agent/packages/os-repository.ts';
import { notDebian } from '../support/machine-limits.ts';
import { startSystemd, systemdUnavailable, type TestSystemd } from '../support/systemd.ts';

const PACKAGES = ['granary-test-daemon-a', 'granary-test-daemon-b'];
const VERSION = '1.0-1';

/** A package with a service and the maintainer scripts dh_installsystemd generates for it. */
function buildPackage(work: string, name: string): string {
  const root = join(work, `${name}-root`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/lib/systemd/system'), { recursive: true });
  writeFileSync(join(root, 'usr/lib/systemd/system', `${name}.service`),
    `[Unit]\nDescription=${name}\nDefaultDependencies=no\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n`);
  writeFileSync(join(root, 'DEBIAN/control'),
    `Package: ${name}\nVersion: ${VERSION}\nArchitecture: all\nMaintainer: Granary tests <tests@granary.invalid>\nSection: misc\nPriority: optional\nDescription: a service for the agent's package tests\n`);
  const script = (file: string, body: string) => {
    writeFileSync(join(root, 'DEBIAN', file), `#!/bin/sh\nset -e\n${body}\nexit 0\n`);
    chmodSync(join(root, 'DEBIAN', file), 0o755);
  };
  const unit = `${name}.service`;
  script('postinst', [
    'if [ "$1" = configure ]; then',
    `  if deb-systemd-helper --quiet was-enabled '${unit}'; then deb-systemd-helper enable '${unit}' >/dev/null || true; else deb-systemd-helper update-state '${unit}' >/dev/null || true; fi`,
    '  if [ -d /run/systemd/system ]; then',
    '    systemctl --system daemon-reload >/dev/null || true',
    `    deb-systemd-invoke start '${unit}' >/dev/null || true`,
    '  fi',
    'fi',
  ].join('\n'));
  script('prerm', `if [ -d /run/systemd/system ] && [ "$1" = remove ]; then deb-systemd-invoke stop '${unit}' >/dev/null || true; fi`);
  script('postrm', [
    'if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null || true; fi',
    `if [ "$1" = purge ]; then deb-systemd-helper purge '${unit}' >/dev/null || true; fi`,
  ].join('\n'));
  const deb = join(work, 'repo', `${name}_${VERSION}_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: 'ignore' });
  return deb;
}

/**
 * A flat apt repository (trusted, file:), and apt and dpkg state of their own in `work`: the
 * environment that makes apt-get, apt-cache, dpkg and dpkg-query use only them.
 */
function aptRepository(work: string, debs: string[]): string[] {
  const repo = join(work, 'repo');
  const entries = debs.map((deb) => {
    const data = readFileSync(deb);
    const control = execFileSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' }).trimEnd();
    return `${control}\nFilename: ./${deb.slice(repo.length + 1)}\nSize: ${data.length}\nSHA256: ${createHash('sha256').update(data).digest('hex')}\n`;
  });
  writeFileSync(join(repo, 'Packages'), entries.join('\n'));
  for (const dir of ['apt/lists/partial', 'apt/cache/archives/partial', 'apt/sources.list.d', 'apt/log', 'dpkg/info', 'dpkg/updates', 'dpkg/triggers']) {
    mkdirSync(join(work, dir), { recursive: true });
  }
  for (const file of ['dpkg/status', 'dpkg/available']) writeFileSync(join(work, file), '');
  writeFileSync(join(work, 'apt/sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
  const config = join(work, 'apt/apt.conf');
  writeFileSync(config, [
    `Dir::Etc::SourceList "${work}/apt/sources.list";`, `Dir::Etc::SourceParts "${work}/apt/sources.list.d";`,
    `Dir::State "${work}/apt";`, `Dir::State::status "${work}/dpkg/status";`, `Dir::Cache "${work}/apt/cache";`, `Dir::Log "${work}/apt/log";`,
    `DPkg::Options { "--admindir=${work}/dpkg"; "--log=${work}/dpkg/log"; };`, '',
  ].join('\n'));
  return ['env', `APT_CONFIG=${config}`, `DPKG_ADMINDIR=${work}/dpkg`, 'DEBIAN_FRONTEND=noninteractive'];
}

const unavailable = systemdUnavailable() ?? notDebian();

describe('packages the agent installs start no service of their own', { skip: unavailable }, () => {
  let work: string;
  let systemd: TestSystemd;
  /** apt and dpkg inside the test systemd's namespace, with the test's repository. */
  let apt: string[];
  const state = async (name: string) => {
    const active = (await systemd.run(['systemctl', 'is-active', `${name}.service`])).stdout.trim();
    const enabled = (await systemd.run(['systemctl', 'is-enabled', `${name}.service`])).stdout.trim();
    return `${active}, ${enabled}`;
  };
  const mounts = async () => (await systemd.run(['cat', '/proc/self/mountinfo'])).stdout.split('\n').map((l) => l.split(' ').slice(3, 5).join(' ')).sort();
  const purge = () => systemd.run([...apt, 'dpkg', '--purge', ...PACKAGES]);
  const adminInstall = (name: string) => systemd.run([...apt, 'apt-get', 'install', '-y', '-qq', '-o', 'DPkg::Lock::Timeout=300', `${name}=${VERSION}`]);

  before(async () => {
    work = mkdtempSync('/tmp/granary-apt-policy-');
    chmodSync(work, 0o755);
    mkdirSync(join(work, 'repo'));
    apt = aptRepository(work, PACKAGES.map((name) => buildPackage(work, name)));
    // Units where packages and deb-systemd-helper put them, seen by systemd as on a host, in private directories.
    const unitDirs = ['/etc/systemd/system', '/usr/lib/systemd/system'];
    systemd = await startSystemd({ privateDirs: [...unitDirs, '/var/lib/systemd'], moreUnitDirs: unitDirs });
    // An administrator's host: a policy-rc.d that allows everything, in this namespace only.
    if (existsSync('/usr/sbin/policy-rc.d')) {
      writeFileSync(join(work, 'allow-policy-rc.d'), '#!/bin/sh\nexit 0\n');
      chmodSync(join(work, 'allow-policy-rc.d'), 0o755);
      const bound = await systemd.run(['mount', '--bind', join(work, 'allow-policy-rc.d'), '/usr/sbin/policy-rc.d']);
      assert.equal(bound.code, 0, bound.stderr);
    }
    const update = await systemd.run([...apt, 'apt-get', 'update', '-qq']);
    assert.equal(update.code, 0, update.stderr);
  });

  after(async () => {
    await systemd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('installed by hand, the package\'s service starts and is enabled (what the agent must prevent)', async () => {
    const installed = await adminInstall(PACKAGES[0]);
    assert.equal(installed.code, 0, installed.stderr);
    assert.equal(await state(PACKAGES[0]), 'active, enabled');
    const purged = await purge();
    assert.equal(purged.code, 0, purged.stderr);
    assert.match(await state(PACKAGES[0]), /^inactive, /);
  });

  test('installed by the agent, it is neither started nor enabled, while an administrator\'s install beside it behaves as usual; nothing is left', async () => {
    const mountsBefore = await mounts();
    const agentRoot = join(work, 'agent');
    const repository = new AptRepository('debian', { commandPrefix: [...systemd.commandPrefix, ...apt], policyDir: join(agentRoot, 'apt-policy') });
    const version = await repository.resolve({ image: `${PACKAGES[0]}:1.0`, product: PACKAGES[0], version: '1.0' });
    assert.equal(version, VERSION);
    const [agent, admin] = await Promise.all([
      repository.install(PACKAGES[0], VERSION),
      adminInstall(PACKAGES[1]),
    ]);
    assert.deepEqual(agent, { preinstalled: false });
    assert.equal(admin.code, 0, admin.stderr);
    assert.equal(await state(PACKAGES[0]), 'inactive, disabled', 'the agent\'s package: not started, not enabled');
    assert.equal(await state(PACKAGES[1]), 'active, enabled', 'the administrator\'s package: started and enabled as Debian does');

    assert.deepEqual(await mounts(), mountsBefore, 'no mount is left behind');
    const presets = await systemd.run(['sh', '-c', 'ls -A /run/systemd/system-preset 2>/dev/null']);
    assert.equal(presets.stdout.trim(), '', 'no preset is left behind');
    const policy = await systemd.run(['cat', '/usr/sbin/policy-rc.d']);
    if (existsSync('/usr/sbin/policy-rc.d')) assert.equal(policy.stdout, '#!/bin/sh\nexit 0\n', 'the host\'s policy-rc.d is as it was');

    await repository.remove(PACKAGES[0]);
    assert.equal((await systemd.run([...apt, 'dpkg-query', '-W', '-f=${Status}', PACKAGES[0]])).stdout, 'deinstall ok config-files');
  });
});
