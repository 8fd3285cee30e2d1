// Starts real etcd members (Debian's etcd-server) on loopback for tests, each in its own temporary
// data directory, and ends them by their own pids.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { freePort } from './net.ts';
import { tempDir } from './apiserver.ts';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  dataDir: string;
  process: ChildProcess;
  /** Output so far, for failure messages. */
  output(): string;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Starts the member again on the same data directory and ports (after kill). */
  restart(): Promise<void>;
}

/** Files for serving clients over TLS; clients must then present a certificate signed by `caFile`. */
export interface EtcdTlsFiles { caFile: string; certFile: string; keyFile: string }

export interface EtcdCluster {
  endpoints: string[];
  members: EtcdMember[];
  /** Kills every member still running. */
  stop(): Promise<void>;
}

function requireEtcd(): void {
  const found = spawnSync('etcd', ['--version'], { stdio: 'ignore' });
  if (found.error || found.status !== 0) {
    throw new Error('etcd is not installed; `npm test` installs Debian\'s etcd-server when run as root (or: apt-get install etcd-server)');
  }
}

/**
 * A cluster of `size` members on 127.0.0.1, ready (every member reports a leader) when this
 * resolves. With `tls`, clients connect over https and need a client certificate (`clientTls` to
 * check health with).
 */
export async function startEtcdCluster(size = 1, opts: { tls?: EtcdTlsFiles; clientTls?: EtcdTlsFiles } = {}): Promise<EtcdCluster> {
  requireEtcd();
  const token = `granary-test-${randomUUID()}`;
  const specs = [];
  for (let i = 0; i < size; i++) {
    specs.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: tempDir(`etcd-m${i}`) });
  }
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
  const health = opts.clientTls
    ? new Agent({ connect: { ca: readFileSync(opts.clientTls.caFile), cert: readFileSync(opts.clientTls.certFile), key: readFileSync(opts.clientTls.keyFile) } })
    : new Agent();
  const members = specs.map((s) => {
    const clientUrl = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${s.clientPort}`;
    const args = [
      '--name', s.name, '--data-dir', s.dataDir,
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', `http://127.0.0.1:${s.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${s.peerPort}`,
      '--initial-cluster', initialCluster, '--initial-cluster-token', token, '--initial-cluster-state', 'new',
      // Quick leader elections keep failover tests short.
      '--heartbeat-interval', '50', '--election-timeout', '500',
      '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
      ...(opts.tls ? ['--cert-file', opts.tls.certFile, '--key-file', opts.tls.keyFile, '--trusted-ca-file', opts.tls.caFile, '--client-cert-auth'] : []),
    ];
    let out = '';
    let child!: ChildProcess;
    let exited!: Promise<void>;
    const launch = () => {
      child = spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      exited = new Promise<void>((done) => child.once('exit', () => done()));
    };
    launch();
    const member: EtcdMember = {
      name: s.name, clientUrl, dataDir: s.dataDir,
      get process() { return child; },
      output: () => out,
      async kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
      async restart() {
        launch();
        await waitHealthy(member, health);
      },
    };
    return member;
  });
  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    members,
    async stop() {
      await Promise.all(members.map((m) => m.kill()));
      await health.close();
    },
  };
  try {
    await Promise.all(members.map((m) => waitHealthy(m, health)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Waits until the member answers /health with a leader elected. */
async function waitHealthy(member: EtcdMember, dispatcher: Agent): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (member.process.exitCode !== null) throw new Error(`etcd member ${member.name} exited:\n${member.output()}`);
    try {
      const res = await request(`${member.clientUrl}/health`, { dispatcher });
      const body = (await res.body.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`etcd member ${member.name} not healthy within 30s:\n${member.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
