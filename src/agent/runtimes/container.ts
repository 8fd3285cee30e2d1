// The container runtime: each service is an OCI container run by a CRI runtime (containerd),
// the way a kubelet runs it: one pod sandbox per pod (host network, its own PID namespace per
// container), one container per run. A run that ended is never restarted in place; the next run
// is a new container with the next attempt number, and the one before is kept so that
// `kubectl logs --previous` can read it, as a kubelet keeps one dead container.
//
// Restart policy, back-off and adoption are the supervisor's (supervisor.ts), as for the other
// runtimes. Containers and sandboxes carry labels naming this node and the service, so a
// restarted agent (or one sharing the CRI runtime with others) finds exactly its own.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from '../../common/log.ts';
import { CriError, type ContainerConfig, type ContainerStatus, type CriClient, type CriContainer, type PodSandboxConfig } from './cri/client.ts';
import { followLogFile } from './log-file.ts';
import type { CrashLoopBackOff } from './restart-backoff.ts';
import {
  RuntimeError, type ContainerRuntime, type ExecResult, type LogOptions, type ManagedService, type ServiceLabels, type ServiceSpec, type Termination, type TerminationReason,
} from './runtime.ts';
import { SupervisedRuntime, UNKNOWN_SERVICE_STOP_TIMEOUT_SEC, type Observation, type RunRef, type ServiceDriver } from './supervisor.ts';

export const LABEL_NODE = 'granary.dev/node';
export const LABEL_SERVICE = 'granary.dev/service';
// The labels a kubelet puts on containers and sandboxes, so that crictl and other tools show them alike.
const LABEL_POD_NAME = 'io.kubernetes.pod.name';
const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
const LABEL_POD_UID = 'io.kubernetes.pod.uid';
const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** The grace period the container was created with, for stopping it when its record is lost (a kubelet keeps it likewise). */
const LABEL_GRACE_PERIOD = 'io.kubernetes.pod.terminationGracePeriod';

export interface ContainerRuntimeOptions {
  cri: CriClient;
  /** This node's name: every sandbox and container is labelled with it. */
  node: string;
  /** Where the supervisor keeps its records; container logs go below it too. */
  stateDir: string;
  /** The RuntimeClass handler sandboxes are created with ('' for the CRI runtime's default). */
  runtimeHandler?: string;
  backOff?: CrashLoopBackOff;
  pollIntervalMs?: number;
  log?: Logger;
}

/** Opens the container runtime and adopts the containers a previous agent left running. */
export async function openContainerRuntime(options: ContainerRuntimeOptions): Promise<ContainerRuntime> {
  try {
    await options.cri.version();
  } catch (err) {
    throw new RuntimeError('RuntimeUnavailable', `the CRI runtime at ${options.cri.socket} does not answer: ${(err as Error).message}`);
  }
  return SupervisedRuntime.open(new ContainerDriver(options), options);
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };
const fromNanos = (ns: number) => (ns > 0 ? new Date(Math.floor(ns / 1e6)) : undefined);

/** How a container's run ended, in the supervisor's terms. */
export function terminationOf(status: ContainerStatus): Termination {
  const reason: TerminationReason = status.reason === 'OOMKilled' ? 'OOMKilled'
    : status.reason === 'StartError' ? 'StartError'
      : status.exit_code === 0 ? 'Completed' : 'Error';
  const signal = status.exit_code > 128 ? SIGNALS[status.exit_code - 128] : undefined;
  return {
    exitCode: status.exit_code, reason, ...(signal ? { signal } : {}), ...(status.message ? { message: status.message } : {}),
    startedAt: fromNanos(status.started_at), finishedAt: fromNanos(status.finished_at) ?? new Date(),
  };
}

/** The container's pid from a verbose status's info, if it has one. */
function pidIn(info: { info?: string } | undefined): number | undefined {
  try {
    const pid = (JSON.parse(info?.info ?? '{}') as { pid?: unknown }).pid;
    return typeof pid === 'number' && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class ContainerDriver implements ServiceDriver {
  readonly kind = 'container' as const;
  private readonly cri: CriClient;
  private readonly node: string;
  private readonly logRoot: string;
  private readonly handler: string;
  /** Serialises sandbox creation per pod, so two containers starting together share one. */
  private readonly podLocks = new Map<string, Promise<unknown>>();

  constructor(options: ContainerRuntimeOptions) {
    this.cri = options.cri;
    this.node = options.node;
    this.logRoot = join(options.stateDir, 'logs');
    this.handler = options.runtimeHandler ?? '';
  }

  check(spec: ServiceSpec): void {
    if (!spec.container) throw new RuntimeError('InvalidSpec', `service ${spec.name}: the container runtime runs OCI images; this spec names no image (a package runtime's spec?)`);
  }

  async install(spec: ServiceSpec): Promise<void> {
    // The pod worker pulls images (with the pod's credentials) before it starts a service; an
    // image removed since (by hand) is pulled again without credentials, as a last resort.
    if (!(await this.cri.imageStatus(spec.container!.image))) {
      try {
        await this.cri.pullImage(spec.container!.image, undefined, 600_000);
      } catch (err) {
        throw new RuntimeError('RuntimeUnavailable', `image ${spec.container!.image} is not on this node and could not be pulled: ${(err as Error).message}`);
      }
    }
  }

  private sandboxConfig(labels: ServiceLabels): PodSandboxConfig {
    return {
      metadata: { name: labels.pod, uid: labels.podUid, namespace: labels.namespace, attempt: 0 },
      // Host networking (and so the host's UTS namespace): the pod has the node's name and
      // addresses, as bare-metal services do; a hostname may not be set then.
      log_directory: join(this.logRoot, labels.podUid),
      labels: { [LABEL_NODE]: this.node, [LABEL_POD_NAME]: labels.pod, [LABEL_POD_NAMESPACE]: labels.namespace, [LABEL_POD_UID]: labels.podUid },
      linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
    };
  }

  private withPodLock<T>(podUid: string, work: () => Promise<T>): Promise<T> {
    const before = this.podLocks.get(podUid) ?? Promise.resolve();
    const result = before.then(work, work);
    const settled = result.then(() => undefined, () => undefined);
    this.podLocks.set(podUid, settled);
    void settled.then(() => { if (this.podLocks.get(podUid) === settled) this.podLocks.delete(podUid); });
    return result;
  }

  /** The pod's ready sandbox, created when there is none (a sandbox whose pause process died is replaced). */
  private async sandbox(labels: ServiceLabels): Promise<{ id: string; config: PodSandboxConfig }> {
    const config = this.sandboxConfig(labels);
    const existing = await this.cri.listPodSandboxes({ [LABEL_NODE]: this.node, [LABEL_POD_UID]: labels.podUid });
    const ready = existing.find((s) => s.state === 'SANDBOX_READY');
    if (ready) return { id: ready.id, config };
    for (const dead of existing) {
      await this.cri.stopPodSandbox(dead.id).catch(() => undefined);
      await this.cri.removePodSandbox(dead.id).catch(() => undefined);
    }
    config.metadata.attempt = existing.length;
    return { id: await this.cri.runPodSandbox(config, this.handler), config };
  }

  private containersOf(name: string): Promise<CriContainer[]> {
    return this.cri.listContainers({ labels: { [LABEL_NODE]: this.node, [LABEL_SERVICE]: name } });
  }

  /** Removes a container and its log file. */
  private async removeContainer(id: string): Promise<void> {
    const logPath = await this.cri.containerStatus(id).then((s) => s.log_path, () => undefined);
    await this.cri.removeContainer(id).catch((err: unknown) => { if (!(err instanceof CriError && err.notFound)) throw err; });
    if (logPath?.startsWith(`${this.logRoot}/`)) await rm(logPath, { force: true });
  }

  async launch(spec: ServiceSpec): Promise<RunRef> {
    const { labels } = spec;
    const part = spec.container!;
    return this.withPodLock(labels.podUid, async () => {
      const sandbox = await this.sandbox(labels);
      // Keep the latest ended run (for --previous); older ones go.
      const earlier = (await this.containersOf(spec.name)).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
      for (const old of earlier.slice(1)) await this.removeContainer(old.id);
      const attempt = (earlier[0]?.metadata.attempt ?? -1) + 1;
      const numericUser = spec.user !== undefined && /^\d+$/.test(spec.user);
      const namespaces = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } as const;
      const config: ContainerConfig = {
        metadata: { name: labels.container, attempt },
        image: { image: part.image },
        ...(part.entrypointFromImage ? { args: spec.argv } : { command: spec.argv }),
        working_dir: spec.workingDir ?? '',
        envs: Object.entries(spec.env).map(([key, value]) => ({ key, value })),
        mounts: part.mounts.map((m) => ({ container_path: m.containerPath, host_path: m.hostPath, readonly: m.readOnly })),
        labels: {
          [LABEL_NODE]: this.node, [LABEL_SERVICE]: spec.name, [LABEL_POD_NAME]: labels.pod, [LABEL_POD_NAMESPACE]: labels.namespace,
          [LABEL_POD_UID]: labels.podUid, [LABEL_CONTAINER_NAME]: labels.container, [LABEL_GRACE_PERIOD]: String(spec.stopTimeoutSec),
        },
        log_path: `${labels.container}/${attempt}.log`,
        linux: {
          resources: {
            ...(spec.cpuMillis ? { cpu_period: 100_000, cpu_quota: Math.max(1000, Math.round(spec.cpuMillis * 100)) } : {}),
            ...(spec.memoryBytes ? { memory_limit_in_bytes: spec.memoryBytes } : {}),
          },
          security_context: {
            namespace_options: namespaces,
            ...(numericUser ? { run_as_user: { value: Number(spec.user) } } : spec.user !== undefined ? { run_as_username: spec.user } : {}),
          },
        },
      };
      const id = await this.cri.createContainer(sandbox.id, config, sandbox.config).catch((err: Error) => {
        throw new RuntimeError('RuntimeUnavailable', `creating the container of ${spec.name}: ${err.message}`);
      });
      // A program that cannot start leaves an exited container with reason StartError: observe() reports it.
      await this.cri.startContainer(id).catch(() => undefined);
      // Verbose: the status and the process's pid in one call.
      const status = await this.cri.containerStatus(id, true);
      return { runId: id, pid: pidIn(status.info), startedAt: fromNanos(status.started_at) ?? new Date() };
    });
  }

  async observe(targets: { name: string; run: RunRef }[]): Promise<Map<string, Observation>> {
    const result = new Map<string, Observation>();
    await Promise.all(targets.map(async ({ name, run }) => {
      let status: ContainerStatus;
      try {
        status = await this.cri.containerStatus(run.runId);
      } catch (err) {
        if (err instanceof CriError && err.notFound) {
          result.set(name, { state: 'vanished' });
          return;
        }
        throw err;
      }
      if (status.state === 'CONTAINER_EXITED') result.set(name, { state: 'terminated', termination: terminationOf(status) });
      else result.set(name, { state: 'running', pid: run.pid });
    }));
    return result;
  }

  async terminate(name: string, timeoutSec: number | undefined): Promise<void> {
    const running = (await this.containersOf(name)).filter((c) => c.state !== 'CONTAINER_EXITED');
    const graceOf = (c: CriContainer) => timeoutSec ?? (Number(c.labels[LABEL_GRACE_PERIOD]) >= 0 ? Number(c.labels[LABEL_GRACE_PERIOD]) : UNKNOWN_SERVICE_STOP_TIMEOUT_SEC);
    await Promise.all(running.map((c) => this.cri.stopContainer(c.id, Math.ceil(graceOf(c))).catch((err: unknown) => {
      if (!(err instanceof CriError && err.notFound)) throw err;
    })));
  }

  async uninstall(name: string): Promise<void> {
    const containers = await this.containersOf(name);
    for (const c of containers) await this.removeContainer(c.id);
    // The pod's sandbox goes with its last container.
    const pods = new Set(containers.map((c) => c.labels[LABEL_POD_UID]).filter(Boolean));
    for (const podUid of pods) {
      await this.withPodLock(podUid, async () => {
        const sandboxes = await this.cri.listPodSandboxes({ [LABEL_NODE]: this.node, [LABEL_POD_UID]: podUid });
        for (const sandbox of sandboxes) {
          if ((await this.cri.listContainers({ sandboxId: sandbox.id })).length > 0) continue;
          await this.cri.stopPodSandbox(sandbox.id);
          await this.cri.removePodSandbox(sandbox.id);
          await rm(join(this.logRoot, podUid), { recursive: true, force: true });
        }
      });
    }
  }

  async installed(): Promise<ManagedService[]> {
    const found = new Map<string, ManagedService>();
    for (const c of await this.cri.listContainers({ labels: { [LABEL_NODE]: this.node } })) {
      const name = c.labels[LABEL_SERVICE];
      if (!name || found.has(name)) continue;
      const labels = {
        namespace: c.labels[LABEL_POD_NAMESPACE], pod: c.labels[LABEL_POD_NAME], podUid: c.labels[LABEL_POD_UID], container: c.labels[LABEL_CONTAINER_NAME],
      };
      found.set(name, { name, ...(Object.values(labels).every(Boolean) ? { labels } : {}) });
    }
    return [...found.values()];
  }

  logs(_name: string, run: RunRef, options: LogOptions, runEnded: Promise<void>): Readable {
    const out = new PassThrough();
    void this.cri.containerStatus(run.runId)
      .then((status) => followLogFile(status.log_path, options, runEnded, out))
      .catch((err: Error) => out.destroy(err instanceof CriError && err.notFound
        ? new RuntimeError('NotFound', `the container of this run is gone, and its log with it`)
        : err));
    return out;
  }

  async exec(name: string, run: RunRef, argv: string[], timeoutSec: number): Promise<ExecResult> {
    try {
      const result = await this.cri.execSync(run.runId, argv, Math.max(1, Math.ceil(timeoutSec)));
      const output = Buffer.concat([result.stdout, result.stderr]).toString('utf8');
      return { exitCode: result.exit_code, output };
    } catch (err) {
      if (err instanceof CriError && err.notFound) throw new RuntimeError('NotFound', `service ${name} has no running container`);
      throw err;
    }
  }
}
