// `npm run bench:package`: the Debian package's size and the time it takes to build it and to put
// it on a host. Builds the package as `npm run package:deb` does (xz at dpkg-deb's default level)
// and as the tests do (xz level 0), then, on fresh Debian hosts booted from one root filesystem
// (test/support/debian-hosts.ts; the package's dependencies already there, as on any Debian host
// with apt): `dpkg -i` of each build, `granary init` to a Ready node, an upgrade to a newer build
// while the services run, and `dpkg --purge`. A benchmark: prints numbers, never fails on them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildDeb } from '../packaging/deb/build.ts';
import { baseRootfs, bootHost, type DebianHost } from '../test/support/debian-hosts.ts';
import { runDir } from '../test/support/run-artifacts.ts';

const out = join(runDir(), 'bench-package');
const version = (JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8')) as { version: string }).version;
const lines: string[] = [];
const note = (line: string) => {
  lines.push(line);
  process.stderr.write(`[bench] ${line}\n`);
};
const seconds = (started: number) => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

note(`load average at the start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
let started = Date.now();
const release = buildDeb({ outDir: join(out, 'release'), version });
note(`build, xz level 6 (npm run package:deb): ${mib(release.bytes)} in ${seconds(started)}`);
started = Date.now();
const fast = buildDeb({ outDir: join(out, 'fast'), version: `${version}+1`, compression: 'xz', compressionLevel: 0 });
note(`build, xz level 0 (the tests'): ${mib(fast.bytes)} in ${seconds(started)}`);
const installedKiB = Number(execFileSync('dpkg-deb', ['--field', release.path, 'Installed-Size'], { encoding: 'utf8' }));
note(`installed size: ${mib(installedKiB * 1024)}`);

started = Date.now();
const rootfs = await baseRootfs();
note(`base root filesystem (mmdebstrap, once per test run): ${seconds(started)}`);

async function timed(host: DebianHost, what: string, argv: string[]): Promise<void> {
  const begun = Date.now();
  await host.exec(argv, { timeoutMs: 600_000 });
  note(`${what}: ${seconds(begun)}`);
}

for (const [name, deb, address] of [['release', release.path, '127.0.15.101'], ['fast', fast.path, '127.0.15.102']] as const) {
  const host = await bootHost(rootfs, `bench-${name}`, address, [out]);
  try {
    await timed(host, `dpkg -i (${name} build, fresh host)`, ['dpkg', '-i', deb]);
    if (name === 'release') {
      // The operators' metrics would listen on every address by default, which this machine shares.
      await host.exec(['sh', '-c', `echo 'GRANARY_OPERATOR_ARGS="--metrics-bind-address ${address}:8443"' > /etc/granary/operator.env`]);
      await timed(host, 'granary init (control plane, operators, this host a Ready node)', ['granary', 'init', '--listen', `${address}:6443`]);
      await timed(host, 'upgrade to the newer build (dpkg -i, services restarted)', ['dpkg', '-i', fast.path]);
    }
    await timed(host, 'dpkg --purge', ['dpkg', '--purge', 'granary']);
  } finally {
    await host.stop();
  }
}
note(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
process.stdout.write(`${lines.join('\n')}\n`);
