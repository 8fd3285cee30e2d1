// Real container infrastructure for tests: Debian's docker-registry (its binary extracted, never
// the package installed), Granary's pause image (from busybox-static, also the tests' shell
// image) pushed there, and a containerd of the test's own (config, root and state in a temp
// directory). Images are built once per test run (run-artifacts.ts) and pushed to each test's
// registry. Addresses come from 127.0.12.0/24.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildBusyboxRootfs } from '../../src/cli/image/busybox.ts';
import { extractDebianPackage } from '../../src/cli/image/debian-package.ts';
import { pushImageLayout, writeImageLayout } from '../../src/agent/images/oci-layout.ts';
import bcrypt from 'bcryptjs';
import { RegistryClient, type RegistryCredentials } from '../../src/agent/images/registry.ts';
import { startContainerd, type RunningContainerd } from '../../src/agent/runtimes/containerd-daemon.ts';
import { CriClient } from '../../src/agent/runtimes/cri/client.ts';
import { REPO_ROOT, tempDir } from './apiserver.ts';
import { freePort } from './net.ts';
import { runArtifact } from './run-artifacts.ts';
import { notDebian, notRoot } from './machine-limits.ts';

/** The shared artifact names: other tests that need these images ask for the same ones. */
export const ARTIFACTS = { registry: 'docker-registry', pause: 'pause-image', zookeeper: 'zookeeper-image' } as const;
export const PAUSE_REPOSITORY = 'granary/pause';
export const PAUSE_TAG = '1.35.0';

/** Why container tests cannot run here, or undefined when they can. */
export function containersUnavailable(): string | undefined {
  const limit = notRoot() ?? notDebian();
  if (limit) return limit;
  // scripts/test-deps.sh installs these: in CI their absence fails the run.
  for (const tool of ['containerd', 'runc']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

/** Debian's docker-registry binary, extracted once per run. */
export async function registryBinary(): Promise<string> {
  const dir = await runArtifact(ARTIFACTS.registry, async (out) => { await extractDebianPackage('docker-registry', out); });
  return join(dir, 'usr', 'bin', 'docker-registry');
}

/** The pause image (busybox) as an OCI layout, built once per run. */
export function pauseImageLayout(): Promise<string> {
  return runArtifact(ARTIFACTS.pause, async (dir) => {
    const tar = join(dir, '..', `${ARTIFACTS.pause}.tar`);
    await buildBusyboxRootfs(tar);
    await writeImageLayout(dir, [tar], { cmd: ['/bin/sleep', '2147483647'] }, PAUSE_TAG);
    rmSync(tar, { force: true });
  });
}

/** The ZooKeeper product image, built once per run by `granary image build zookeeper:3.8.0`. */
export function zookeeperImageLayout(): Promise<string> {
  return runArtifact(ARTIFACTS.zookeeper, async (dir) => {
    // Not execFileSync: the build takes a minute or more, and a test starts systemd and containerd
    // beside it, whose start-up deadlines ran out while the event loop was blocked.
    const build = spawn(process.execPath, [join(REPO_ROOT, 'src/cli/main.ts'), 'image', 'build', 'zookeeper:3.8.0', '--output', dir], { stdio: ['ignore', 'inherit', 'inherit'] });
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
      build.once('error', reject);
      build.once('exit', (c, s) => resolve([c, s]));
    });
    if (code !== 0) throw new Error(`granary image build zookeeper:3.8.0 failed (${signal ?? `exit ${code}`})`);
  });
}

export interface TestRegistry {
  /** host:port */
  address: string;
  client: RegistryClient;
  stop(): Promise<void>;
}

/**
 * A registry on `host` (a free port unless given), storage in a temp directory unless given;
 * with `htpasswd`, it wants that user name and password (Basic authentication) for every request.
 */
export async function startRegistry(host: string, options: { port?: number; storage?: string; htpasswd?: RegistryCredentials } = {}): Promise<TestRegistry> {
  const binary = await registryBinary();
  const dir = tempDir('registry');
  const port = options.port ?? await freePort(host);
  const address = `${host}:${port}`;
  // docker-registry reads bcrypt hashes only.
  if (options.htpasswd) writeFileSync(join(dir, 'htpasswd'), `${options.htpasswd.username}:${bcrypt.hashSync(options.htpasswd.password, 10)}\n`);
  const auth = options.htpasswd ? `auth: {htpasswd: {realm: granary-test, path: ${join(dir, 'htpasswd')}}}\n` : '';
  writeFileSync(join(dir, 'config.yml'), `version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: ${options.storage ?? join(dir, 'data')}}, delete: {enabled: true}}\nhttp: {addr: "${address}"}\n${auth}`);
  const log = openSync(join(dir, 'registry.log'), 'a');
  const child: ChildProcess = spawn(binary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
  closeSync(log);
  const client = new RegistryClient({ registry: address, insecure: true, ...(options.htpasswd ? { credentials: options.htpasswd } : {}) });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (await client.catalog().then(() => true, () => false)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not start on ${address}: ${readFileSync(join(dir, 'registry.log'), 'utf8').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address, client,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ContainerHost {
  registry: TestRegistry;
  containerd: RunningContainerd;
  cri: CriClient;
  /** The pause image's reference in the registry; also a busybox shell image. */
  pauseImage: string;
  containerdDir: string;
  stop(): Promise<void>;
}

/** A registry with the pause image pushed, and a containerd using it. */
export async function startContainerHost(host: string): Promise<ContainerHost> {
  const registry = await startRegistry(host);
  const cleanups: (() => Promise<void>)[] = [() => registry.stop()];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    await pushImageLayout(await pauseImageLayout(), registry.client, PAUSE_REPOSITORY, PAUSE_TAG);
    const pauseImage = `${registry.address}/${PAUSE_REPOSITORY}:${PAUSE_TAG}`;
    const containerdDir = tempDir('containerd');
    mkdirSync(containerdDir, { recursive: true });
    const containerd = await startContainerd({ dir: containerdDir, pauseImage });
    const cri = new CriClient({ socket: containerd.socket });
    cleanups.push(async () => {
      await removeEverything(cri);
      cri.close();
      await containerd.stop();
      // Overlay mounts of removed containers are gone; what containerd keeps is plain files.
      rmSync(containerdDir, { recursive: true, force: true });
    });
    await cri.pullImage(pauseImage, undefined, 120_000);
    return { registry, containerd, cri, pauseImage, containerdDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Stops and removes every sandbox (and with it every container) this containerd runs. */
async function removeEverything(cri: CriClient): Promise<void> {
  for (const sandbox of await cri.listPodSandboxes({})) {
    await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
    await cri.removePodSandbox(sandbox.id).catch(() => undefined);
  }
}
