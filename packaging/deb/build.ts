// Builds Granary's Debian package from this repository:
//
//   npm run package:deb [-- --out DIR] [--version VERSION] [--compression xz|zstd|gzip|none] [--compression-level 0-9]
//
// The package holds Granary's code (src/ without its tests) under /usr/lib/granary, the production
// npm dependencies package-lock.json pins, the Node.js 22 runtime the project brings (.tools/),
// /usr/bin/granary, the systemd units and maintainer scripts beside this file, a man page, the
// copyright file and a changelog. Its version is package.json's unless --version says otherwise.
//
// Two builds of one commit hold the same files: every file's time is SOURCE_DATE_EPOCH (by
// default the commit's time), owners are root, modes 0755 or 0644, compressed files carry no
// name or time, and dpkg-deb writes the members sorted.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const REPO = resolve(import.meta.dirname, '../..');
const HERE = import.meta.dirname;
const PACKAGE = 'granary';
const MAINTAINER = 'Granary developers <dev@granary.dev>';
const UNITS = ['granary-apiserver.service', 'granary-agent.service', 'granary-operator.service'];
/**
 * What a node needs besides Node.js: the agent runs systemctl, journalctl, apt-get and dpkg; the
 * maintainer scripts adduser and deb-systemd-*; the products' TLS readiness checks `openssl s_client`.
 */
const HOST_DEPENDS = ['adduser', 'apt', 'init-system-helpers (>= 1.54~)', 'openssl', 'systemd'];
const COMPRESSIONS = ['xz', 'zstd', 'gzip', 'none'] as const;
type Compression = (typeof COMPRESSIONS)[number];
// What of the npm dependencies nothing loads at run time: their tests, benchmarks and examples,
// type declarations, source maps, documentation (license files stay), tool dotfiles, and their
// command-line scripts (files starting with "#!"; Granary loads them as libraries only).
const PRUNED_DIRS = new Set(['test', 'tests', '__tests__', 'benchmark', 'benchmarks', 'example', 'examples']);
const PRUNED_FILES = /\.(d\.ts|d\.mts|d\.cts|map|md|markdown|html)$/i;
const LICENSE_FILE = /^(licen[cs]e|copying|notice)/i;

export interface DebBuild {
  path: string;
  version: string;
  bytes: number;
}

function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(command, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** A native Debian version: digits first, then letters, digits and . + ~ (no revision, no epoch). */
function checkVersion(version: string): string {
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version)) throw new Error(`${JSON.stringify(version)} is not a Debian version for a native package (e.g. 0.1.0 or 0.1.0+1)`);
  return version;
}

/** The time every file gets: SOURCE_DATE_EPOCH when set, else the commit's time. */
function sourceDateEpoch(): number {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined) {
    if (!/^\d+$/.test(fromEnv)) throw new Error(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got ${JSON.stringify(fromEnv)}`);
    return Number(fromEnv);
  }
  return Number(run('git', ['log', '-1', '--format=%ct']).trim());
}

/** The repository's files that go into /usr/lib/granary: the code and the dependency pins, no tests. */
function sourceFiles(): string[] {
  return run('git', ['ls-files', '-z', '--', 'src', 'package.json', 'package-lock.json']).split('\0')
    .filter((f) => f !== '' && !f.endsWith('.test.ts') && !f.includes('/testdata/'))
    .sort();
}

function install(from: string, to: string, mode: number): void {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  chmodSync(to, mode);
}

function writeFile(path: string, content: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
}

/** gzip -9n: no file name, no time, so the bytes depend only on the content. */
function gzip(content: string | Buffer): Buffer {
  return gzipSync(content, { level: 9 });
}

function walk(dir: string, visit: (path: string, isDir: boolean) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    visit(path, entry.isDirectory());
  }
}

/** The production dependencies, installed by npm from the lockfile, without what only tools read. */
function installDependencies(libDir: string): void {
  const result = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: libDir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm ci --omit=dev failed (exit ${result.status ?? result.signal})`);
  prune(join(libDir, 'node_modules'));
}

function startsWithShebang(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!';
  } finally {
    closeSync(fd);
  }
}

function prune(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const unused = entry.name.startsWith('.') || (entry.isDirectory()
      ? PRUNED_DIRS.has(entry.name)
      : (PRUNED_FILES.test(entry.name) && !LICENSE_FILE.test(entry.name)) || startsWithShebang(path));
    if (unused) rmSync(path, { recursive: true, force: true });
    else if (entry.isDirectory()) prune(path);
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

/**
 * Modes as dpkg expects them: directories and the files in `executables` 0755, everything else
 * 0644 (the dependencies' scripts are loaded by node, never run themselves); one time for all.
 */
function normalize(root: string, epoch: number, executables: Set<string>): void {
  walk(root, (path, isDir) => {
    if (lstatSync(path).isSymbolicLink()) throw new Error(`${relative(root, path)} is a symbolic link; the package holds none`);
    chmodSync(path, isDir || executables.has(relative(root, path)) ? 0o755 : 0o644);
    utimesSync(path, epoch, epoch);
  });
  chmodSync(root, 0o755);
  utimesSync(root, epoch, epoch);
}

/** Installed-Size as dpkg-gencontrol counts it: KiB per file rounded up, one per directory. */
function installedSizeKiB(root: string): number {
  let kib = 0;
  walk(root, (path, isDir) => {
    kib += isDir ? 1 : Math.max(1, Math.ceil(statSync(path).size / 1024));
  });
  return kib;
}

/** The shared libraries the bundled node binary needs, as dpkg-shlibdeps words them. */
function sharedLibraryDepends(staging: string, binary: string): string[] {
  writeFile(join(staging, 'debian', 'control'), `Source: ${PACKAGE}\n\nPackage: ${PACKAGE}\nArchitecture: any\n`);
  const out = execFileSync('dpkg-shlibdeps', ['-O', `-e${binary}`], { cwd: staging, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = /^shlibs:Depends=(.*)$/m.exec(out)?.[1];
  if (!line) throw new Error(`dpkg-shlibdeps found no dependencies for ${binary}: ${out}`);
  return line.split(',').map((d) => d.trim()).filter(Boolean);
}

function changelog(version: string, commit: string, dirty: boolean, epoch: number): string {
  // RFC 2822 as Debian changelogs want it: "Sat, 06 Dec 2025 07:04:00 +0000".
  const date = new Date(epoch * 1000).toUTCString().replace(/GMT$/, '+0000');
  return `${PACKAGE} (${version}) unstable; urgency=medium\n\n  * Built from commit ${commit.slice(0, 12)}${dirty ? ' with uncommitted changes' : ''}.\n\n -- ${MAINTAINER}  ${date}\n`;
}

function control(fields: { version: string; arch: string; installedSize: number; depends: string[] }): string {
  return [
    `Package: ${PACKAGE}`,
    `Version: ${fields.version}`,
    `Architecture: ${fields.arch}`,
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${fields.installedSize}`,
    `Depends: ${fields.depends.join(', ')}`,
    'Suggests: etcd-server, sqlite3',
    'Section: admin',
    'Priority: optional',
    'Description: big-data distribution on the Kubernetes control plane',
    ' Granary runs big-data products, ZooKeeper first, declared as Kubernetes custom',
    ' resources. Operators reconcile them into pods, and the node agent on each host',
    ' runs the pods bound to it as systemd services installed from packages.',
    ' .',
    ' The package holds the API server, the operators and the node agent with the',
    ' Node.js runtime they need, and systemd units for each. Nothing starts when it',
    ' is installed: `granary init` sets up the first host, `granary join` the others.',
    '',
  ].join('\n');
}

export function buildDeb(opts: { outDir: string; version?: string; compression?: Compression; compressionLevel?: number }): DebBuild {
  const packageJson = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const version = checkVersion(opts.version ?? packageJson.version);
  const epoch = sourceDateEpoch();
  const commit = run('git', ['rev-parse', 'HEAD']).trim();
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']).trim() !== '';
  if (dirty) process.stderr.write('[package] the working tree has uncommitted changes: the package holds them\n');
  const untracked = run('git', ['ls-files', '--others', '--exclude-standard', '--', 'src']).trim();
  if (untracked) process.stderr.write(`[package] files git does not track are left out: ${untracked.split('\n').join(', ')}\n`);
  const nodeVersion = readFileSync(join(REPO, '.node-version'), 'utf8').trim();
  const nodeHome = join(REPO, '.tools', `node-${nodeVersion}`);
  const arch = run('dpkg', ['--print-architecture']).trim();

  const staging = mkdtempSync(join(tmpdir(), 'granary-deb-'));
  try {
    const root = join(staging, 'root');
    const lib = join(root, 'usr/lib/granary');
    const doc = join(root, 'usr/share/doc/granary');
    for (const file of sourceFiles()) install(join(REPO, file), join(lib, file), 0o644);
    installDependencies(lib);
    install(join(nodeHome, 'bin/node'), join(lib, 'node/bin/node'), 0o755);
    // As dh_strip does: the symbols are for debuggers and make a sixth of the binary.
    run('strip', ['--remove-section=.comment', '--remove-section=.note', '--strip-unneeded', join(lib, 'node/bin/node')]);
    install(join(nodeHome, 'LICENSE'), join(lib, 'node/LICENSE'), 0o644);
    install(join(HERE, 'granary'), join(root, 'usr/bin/granary'), 0o755);
    for (const unit of UNITS) install(join(HERE, unit), join(root, 'usr/lib/systemd/system', unit), 0o644);
    writeFile(join(root, 'usr/share/man/man1/granary.1.gz'), gzip(readFileSync(join(HERE, 'granary.1'))));
    install(join(HERE, 'copyright'), join(doc, 'copyright'), 0o644);
    install(join(REPO, 'docs/install.md'), join(doc, 'install.md'), 0o644);
    writeFile(join(doc, 'changelog.gz'), gzip(changelog(version, commit, dirty, epoch)));
    install(join(HERE, 'lintian-overrides'), join(root, 'usr/share/lintian/overrides', PACKAGE), 0o644);

    const depends = [...HOST_DEPENDS, ...sharedLibraryDepends(staging, join(lib, 'node/bin/node'))].sort();
    normalize(root, epoch, new Set(['usr/bin/granary', 'usr/lib/granary/node/bin/node']));
    const installedSize = installedSizeKiB(root);
    const debian = join(root, 'DEBIAN');
    writeFile(join(debian, 'control'), control({ version, arch, installedSize, depends }));
    const scripts = ['postinst', 'prerm', 'postrm'];
    for (const script of scripts) install(join(HERE, script), join(debian, script), 0o755);
    const sums: string[] = [];
    walk(root, (path, isDir) => {
      const rel = relative(root, path);
      if (!isDir && !rel.startsWith('DEBIAN/')) sums.push(`${createHash('md5').update(readFileSync(path)).digest('hex')}  ${rel}`);
    });
    writeFile(join(debian, 'md5sums'), `${sums.sort((a, b) => (a.slice(34) < b.slice(34) ? -1 : 1)).join('\n')}\n`);
    normalize(debian, epoch, new Set(scripts));

    mkdirSync(opts.outDir, { recursive: true });
    const path = join(resolve(opts.outDir), `${PACKAGE}_${version}_${arch}.deb`);
    const compression = opts.compression ?? 'xz';
    const level = opts.compressionLevel !== undefined ? [`-z${opts.compressionLevel}`] : [];
    execFileSync('dpkg-deb', ['--root-owner-group', `-Z${compression}`, ...level, '--build', root, path], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) }, stdio: ['ignore', 'ignore', 'inherit'],
    });
    return { path, version, bytes: statSync(path).size };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      out: { type: 'string', default: join(REPO, 'dist') }, version: { type: 'string' },
      compression: { type: 'string', default: 'xz' }, 'compression-level': { type: 'string' },
    },
  });
  const compression = values.compression as Compression;
  if (!COMPRESSIONS.includes(compression)) throw new Error(`--compression takes ${COMPRESSIONS.join(', ')}, got ${JSON.stringify(values.compression)}`);
  const rawLevel = values['compression-level'];
  if (rawLevel !== undefined && !/^[0-9]$/.test(rawLevel)) throw new Error(`--compression-level takes 0 to 9, got ${JSON.stringify(rawLevel)}`);
  const started = Date.now();
  const built = buildDeb({ outDir: values.out!, version: values.version, compression, compressionLevel: rawLevel === undefined ? undefined : Number(rawLevel) });
  process.stdout.write(`${built.path}\n`);
  process.stderr.write(`[package] granary ${built.version}: ${(built.bytes / 1024 / 1024).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`package: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
