// The images `granary image build` makes, one per product, from the same Debian packages a
// bare-metal node installs (so /usr/share/java/zookeeper.jar and friends are where the operator's
// one pod template expects them in both worlds). mmdebstrap builds a minimal root filesystem
// (variant essential) with the product's packages and no documentation; products pull a
// headless JRE rather than packages that bring GUI libraries (Debian's zookeeper package does).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AptRepository } from '../../agent/packages/os-repository.ts';
import type { ImageConfig } from '../../agent/images/oci-layout.ts';
import { buildBusyboxRootfs } from './busybox.ts';

export interface ProductImage {
  description: string;
  /** Writes the image's root filesystem tarball; returns the image config and what went in. */
  build(version: string, tarFile: string, progress: (line: string) => void): Promise<{ config: ImageConfig; contents: string }>;
}

/** Repository of a product's image in a registry: granary/<product>. */
export const imageRepository = (product: string) => `granary/${product}`;

// Documentation and translations are not needed in an image (dpkg's path-exclude, one option each).
const EXCLUDED = ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/locale/*', '/usr/share/info/*', '/usr/share/lintian/*'];

/** The host's apt sources files, which mmdebstrap then uses too (same mirrors, same security updates). */
export function aptSources(): string[] {
  const files = existsSync('/etc/apt/sources.list') ? ['/etc/apt/sources.list'] : [];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(dir, f));
  return files;
}

export function debianSuite(): string {
  const codename = /^VERSION_CODENAME=(.+)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]?.replace(/"/g, '');
  if (!codename) throw new Error('/etc/os-release names no VERSION_CODENAME: images are built on a Debian host');
  return codename;
}

/** A root filesystem from Debian packages (`pkg=version` pins a version). */
async function mmdebstrap(packages: string[], tarFile: string, progress: (line: string) => void): Promise<void> {
  const sources = aptSources();
  if (sources.length === 0) throw new Error('this host has no apt sources (/etc/apt/sources.list or sources.list.d): mmdebstrap needs them');
  const args = [
    '--variant=essential', '--mode=root', `--include=${packages.join(',')}`,
    ...EXCLUDED.map((path) => `--dpkgopt=path-exclude=${path}`),
    // openjdk's postinst needs a man page directory even when man pages are excluded.
    '--essential-hook=mkdir -p "$1/usr/share/man/man1"',
    // Device nodes come from the container runtime, not the image.
    '--skip=output/dev',
    '--aptopt=Acquire::Check-Valid-Until "false"',
    debianSuite(), tarFile, ...sources,
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onLine = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      for (const line of chunk.toString().split('\n')) if (/^I: /.test(line)) progress(line.slice(3));
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.once('error', (err) => reject(new Error(`mmdebstrap could not run (apt-get install mmdebstrap): ${err.message}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`mmdebstrap failed (exit ${code}): ${tail.trim().split('\n').slice(-5).join(' | ')}`))));
  });
}

/** The exact Debian version of `pkg` that an upstream (or exact) version names, as the agent's apt repository resolves it. */
async function pinned(pkg: string, version: string): Promise<string> {
  const resolved = await new AptRepository('debian').resolve({ image: `${pkg}:${version}`, product: pkg, version });
  if (!resolved) throw new Error(`Debian has no ${pkg} of version ${version} (apt-cache madison ${pkg} lists what there is)`);
  return resolved;
}

export const PRODUCT_IMAGES: Record<string, ProductImage> = {
  zookeeper: {
    description: 'Apache ZooKeeper from Debian (libzookeeper-java, a headless JRE, and openssl for the TLS readiness check)',
    async build(version, tarFile, progress) {
      const debian = await pinned('libzookeeper-java', version);
      progress(`libzookeeper-java ${debian} with default-jre-headless and openssl`);
      // openssl: the operator's readiness check asks a TLS client port with `openssl s_client`.
      await mmdebstrap([`libzookeeper-java=${debian}`, 'default-jre-headless', 'openssl'], tarFile, progress);
      return {
        config: { labels: { 'org.opencontainers.image.title': 'zookeeper', 'org.opencontainers.image.version': version, 'dev.granary.debian-packages': `libzookeeper-java=${debian},default-jre-headless,openssl` } },
        contents: `libzookeeper-java ${debian}`,
      };
    },
  },
  pause: {
    description: 'the pod sandbox process (sleep forever) from Debian\'s busybox-static; also a small shell image',
    async build(version, tarFile) {
      const deb = await buildBusyboxRootfs(tarFile);
      return { config: { cmd: ['/bin/sleep', '2147483647'], labels: { 'org.opencontainers.image.title': 'pause', 'org.opencontainers.image.version': version } }, contents: deb };
    },
  },
};
