// A containerd of the agent's own, for hosts without one (and for `granary up --hybrid` and the
// tests): its configuration, root and state live under one directory, it listens on a socket
// there, and its CRI plugin is set up the way this kind of host needs it (see docs/hybrid.md):
// host networking only (no CNI), runc, overlayfs, restrict_oom_score_adj (lowering a sandbox's
// OOM score needs CAP_SYS_RESOURCE, which the host may not give), and a pause image Granary
// builds, since no public registry is assumed reachable. containerd puts shim sockets under
// /run/containerd/s whatever its state directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CriClient } from './cri/client.ts';

export interface ContainerdOptions {
  /** Everything of this containerd lives below: config.toml, root/, state/, containerd.sock, containerd.log. */
  dir: string;
  /** The sandbox ("pause") image, pulled from its registry on first use. */
  pauseImage: string;
  /** Registries reached over plain HTTP (host:port); loopback registries need not be listed. */
  insecureRegistries?: string[];
  /** The containerd binary. */
  binary?: string;
}

export interface RunningContainerd {
  socket: string;
  pid: number;
  /** SIGTERM, then SIGKILL after 10 s. Containers keep running (their shims outlive containerd). */
  stop(): Promise<void>;
}

const toml = (value: string) => JSON.stringify(value);

/** The config.toml for these options (containerd 1.6, config version 2). */
export function containerdConfig(options: ContainerdOptions): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    `root = ${toml(join(options.dir, 'root'))}`,
    `state = ${toml(join(options.dir, 'state'))}`,
    // Plugins this node never uses; some of them would write below /opt or /var/lib.
    'disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
    '[grpc]',
    `  address = ${toml(join(options.dir, 'containerd.sock'))}`,
    '[ttrpc]',
    `  address = ${toml(join(options.dir, 'containerd.sock.ttrpc'))}`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${toml(join(options.dir, 'opt'))}`,
    `[${cri}]`,
    `  sandbox_image = ${toml(options.pauseImage)}`,
    '  restrict_oom_score_adj = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  enable_cdi = false',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.registry]`,
    `  config_path = ${toml(join(options.dir, 'certs.d'))}`,
    '',
  ].join('\n');
}

/** hosts.toml of a registry reached over plain HTTP. */
function insecureHostConfig(registry: string): string {
  return `server = ${toml(`http://${registry}`)}\n[host.${toml(`http://${registry}`)}]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n`;
}

/** Writes the configuration and starts containerd; resolves once its CRI service answers. */
export async function startContainerd(options: ContainerdOptions, timeoutMs = 30_000): Promise<RunningContainerd> {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  for (const registry of options.insecureRegistries ?? []) {
    const dir = join(options.dir, 'certs.d', registry.replace(/:/g, '_'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hosts.toml'), insecureHostConfig(registry));
  }
  const configFile = join(options.dir, 'config.toml');
  writeFileSync(configFile, containerdConfig(options));
  const socket = join(options.dir, 'containerd.sock');
  const log = openSync(join(options.dir, 'containerd.log'), 'a');
  const child: ChildProcess = spawn(options.binary ?? 'containerd', ['--config', configFile], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const client = new CriClient({ socket });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`containerd exited with status ${child.exitCode}; see ${join(options.dir, 'containerd.log')}`);
      if (existsSync(socket)) {
        const ok = await client.version().then(() => true, () => false);
        if (ok) break;
      }
      if (Date.now() > deadline) throw new Error(`containerd did not answer on ${socket} within ${timeoutMs / 1000} s; see ${join(options.dir, 'containerd.log')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
  return { socket, pid: child.pid!, stop };
}
