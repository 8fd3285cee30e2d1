// What `granary up --hybrid` adds on this machine so that its third node runs containers: a
// local registry (Debian's docker-registry, its binary extracted rather than the package
// installed, which would start a system service on port 5000), the pause image and the products'
// images built from Debian packages and pushed there the first time, and a containerd of
// Granary's own. Everything lives in DATA_DIR/registry, DATA_DIR/containerd and DATA_DIR/images.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RegistryClient } from '../agent/images/registry.ts';
import { pushImageLayout, writeImageLayout } from '../agent/images/oci-layout.ts';
import { startContainerd, type RunningContainerd } from '../agent/runtimes/containerd-daemon.ts';
import { CriClient } from '../agent/runtimes/cri/client.ts';
import { extractDebianPackage } from './image/debian-package.ts';
import { imageRepository, PRODUCT_IMAGES } from './image/products.ts';
import { UsageError } from './process.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
export const DEFAULT_REGISTRY = '127.0.0.1:5000';
const PAUSE = 'pause:1.35.0';

export interface HybridHost {
  registry: string;
  containerd: RunningContainerd;
  stop(): Promise<void>;
}

async function registryAnswers(client: RegistryClient): Promise<boolean> {
  return client.catalog().then(() => true, () => false);
}

async function hasImage(client: RegistryClient, image: string): Promise<boolean> {
  const [product, version] = image.split(':');
  return (await client.tags(imageRepository(product)).catch(() => [] as string[])).includes(version);
}

/** Starts the registry (its binary fetched the first time) and resolves once it answers. */
async function startRegistry(dataDir: string, address: string, step: (line: string) => void): Promise<ChildProcess> {
  const dir = join(dataDir, 'registry');
  const binary = join(dir, 'bin', 'usr', 'bin', 'docker-registry');
  if (!existsSync(binary)) {
    step('fetching Debian\'s docker-registry for the local registry (apt-get download; the package is not installed)');
    await extractDebianPackage('docker-registry', join(dir, 'bin'));
  }
  const [host, port] = address.split(/:(?=\d+$)/);
  writeFileSync(join(dir, 'config.yml'), `version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: ${JSON.stringify(join(dir, 'data'))}}, delete: {enabled: true}}\nhttp: {addr: "${host}:${port}"}\n`);
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const log = openSync(join(dataDir, 'logs', 'registry.log'), 'a');
  const child = spawn(binary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.once('error', () => undefined);
  const client = new RegistryClient({ registry: address, insecure: true });
  const deadline = Date.now() + 20_000;
  while (!(await registryAnswers(client))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const tail = readFileSync(join(dataDir, 'logs', 'registry.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`the local registry did not start on ${address}: ${tail || 'no output'} (is the port taken? choose another with --registry HOST:PORT)`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

/** `granary image build IMAGE --push REGISTRY` as a child process, its progress passed on. */
function buildImage(image: string, registry: string, output: string, step: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, MAIN, 'image', 'build', image, '--push', registry, '--output', output], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const pass = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-2000);
      for (const line of chunk.toString().split('\n')) if (line.trim()) step(`  ${line.replace(/^• /, '')}`);
    };
    child.stdout.on('data', pass);
    child.stderr.on('data', pass);
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`building image ${image} failed: ${tail.trim().split('\n').at(-1)}`))));
  });
}

/** Registry, images and containerd for the container node; undone by stop(). */
export async function startHybridHost(dataDir: string, address: string, images: string[], step: (line: string) => void): Promise<HybridHost> {
  if (process.getuid?.() !== 0) throw new UsageError('granary up --hybrid runs containerd and builds images from Debian packages, which needs root');
  const registry = await startRegistry(dataDir, address, step);
  const stopRegistry = async () => {
    if (registry.exitCode !== null) return;
    const exited = new Promise((r) => registry.once('exit', r));
    registry.kill('SIGTERM');
    await exited;
  };
  try {
    step(`local registry at ${address} (data in ${join(dataDir, 'registry', 'data')})`);
    const client = new RegistryClient({ registry: address, insecure: true });
    if (!(await hasImage(client, PAUSE))) {
      const [product, version] = PAUSE.split(':');
      step(`building the pod sandbox image ${PAUSE} (Debian's busybox-static) and pushing it to ${address} (first time only)`);
      mkdirSync(join(dataDir, 'images'), { recursive: true });
      const layout = join(dataDir, 'images', `${product}-${version}`);
      const tar = `${layout}.rootfs.tar`;
      const { config } = await PRODUCT_IMAGES[product].build(version, tar, step);
      await writeImageLayout(layout, [tar], config, version);
      rmSync(tar, { force: true });
      await pushImageLayout(layout, client, imageRepository(product), version);
      step(`pause image ${address}/${imageRepository(product)}:${version} pushed`);
    }
    for (const image of images) {
      if (await hasImage(client, image)) {
        step(`image ${address}/${imageRepository(image.split(':')[0])}:${image.split(':')[1]} is in the local registry`);
        continue;
      }
      step(`building image ${image} from Debian packages and pushing it to ${address} (first time only; a minute or more)`);
      await buildImage(image, address, join(dataDir, 'images', image.replace(':', '-')), step);
    }
    const containerd = await startContainerd({ dir: join(dataDir, 'containerd'), pauseImage: `${address}/${imageRepository('pause')}:${PAUSE.split(':')[1]}` });
    step(`containerd ${containerd.socket} (log: ${join(dataDir, 'containerd', 'containerd.log')})`);
    return {
      registry: address, containerd,
      async stop() {
        // Pod sandboxes hold a pause process and a shim each: remove them, so nothing outlives
        // `granary up`; the agent starts the pods' containers again next time.
        const cri = new CriClient({ socket: containerd.socket });
        try {
          for (const sandbox of await cri.listPodSandboxes({}).catch(() => [])) {
            await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
            await cri.removePodSandbox(sandbox.id).catch(() => undefined);
          }
        } finally {
          cri.close();
        }
        await containerd.stop();
        await stopRegistry();
      },
    };
  } catch (err) {
    await stopRegistry();
    throw err;
  }
}
