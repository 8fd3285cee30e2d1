// The granary Debian package, built once per test run by the repository's own build
// (packaging/deb/build.ts, what `npm run package:deb` runs) in two versions: package.json's, and a
// newer build of the same code to upgrade to. Both are built independently, so comparing them
// also shows that two builds of one commit hold the same files. lintian's verdict on the package
// is part of the artifact: it runs while the second version builds (lintian takes about as long),
// and test/packaging/package.test.ts reads it. The tests use xz at its fastest level; releases
// use dpkg-deb's default (docs/benchmarks.md has both).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './apiserver.ts';
import { runArtifact } from './run-artifacts.ts';

export interface GranaryDebs {
  dir: string;
  version: string;
  newerVersion: string;
  /** Paths of the two packages. */
  current: string;
  newer: string;
  /** Seconds each build took, as measured here. */
  buildSeconds: number[];
  /** `lintian --fail-on error,warning` on the current package: its exit code and output. */
  lintian: { code: number; output: string; seconds: number };
}

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(command, args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

async function build(out: string, version: string): Promise<{ path: string; seconds: number }> {
  const result = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(REPO_ROOT, 'packaging/deb/build.ts'),
    '--out', out, '--version', version, '--compression', 'xz', '--compression-level', '0']);
  if (result.code !== 0) throw new Error(`building the package failed (exit ${result.code}):\n${result.stderr}`);
  return { path: result.stdout.trim().split('\n').at(-1)!, seconds: result.seconds };
}

export async function granaryDebs(): Promise<GranaryDebs> {
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const newerVersion = `${version}+1`;
  const dir = await runArtifact('granary-debs', async (out) => {
    const current = await build(out, version);
    const [newer, lintian] = await Promise.all([
      build(out, newerVersion),
      run('lintian', ['--fail-on', 'error,warning', '--no-tag-display-limit', current.path]),
    ]);
    writeFileSync(join(out, 'build.json'), JSON.stringify({
      current: current.path, newer: newer.path, buildSeconds: [current.seconds, newer.seconds],
      lintian: { code: lintian.code, output: `${lintian.stdout}${lintian.stderr}`, seconds: lintian.seconds },
    }));
  });
  const built = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as Pick<GranaryDebs, 'current' | 'newer' | 'buildSeconds' | 'lintian'>;
  return { dir, version, newerVersion, ...built };
}
