// One pod's life on this node, driven level-triggered by the agent's controller: each sync looks
// at the pod and at what runs, does the next step, and reports the pod's status like a kubelet.
//   Pending:  packages → volume files → init containers in order → containers
//   Running:  services run (the runtime restarts them per restartPolicy, with back-off);
//             probes decide Ready and restart containers whose liveness fails
//   Deleting: stop within the grace period → remove services, files, packages → confirm
import { existsSync } from 'node:fs';
import type { KubeObject } from '../api/meta.ts';
import type { ResourceApi } from '../client/resource.ts';
import { isConflict, isNotFound } from '../client/errors.ts';
import type { Logger } from '../common/log.ts';
import { ImageError } from './images/reference.ts';
import type { ImageManager } from './images/manager.ts';
import { isPackageError } from './packages/errors.ts';
import type { PackageManager } from './packages/manager.ts';
import type { Container, Pod } from './pod-types.ts';
import { podStatus, type ContainerStateView, type PodPhase } from './pod-status.ts';
import { ContainerProber } from './probes.ts';
import { containerServiceSpec, DEFAULT_GRACE_PERIOD_SECONDS } from './runtimes/container-spec.ts';
import { serviceName, type ContainerRuntime, type ServiceSpec, type ServiceStatus } from './runtimes/runtime.ts';
import type { PodCertificates } from './volumes/certificates.ts';
import { resolveEnv, type ConfigSources } from './volumes/env.ts';
import { PodConfigError } from './volumes/errors.ts';
import { pathVariables, podPaths } from './volumes/layout.ts';
import { containerMounts, removePodFiles, renderVolumes } from './volumes/render.ts';
import { referencedConfig } from './references.ts';

/** How often a settled pod's status is looked at again (exits, restarts, back-off). */
export const STATUS_REFRESH_MS = 2_000;
/** How soon a pod on its way up is looked at again (a service starting, a probe to pass). */
const STARTING_REFRESH_MS = 200;

export interface PodWorkerDeps {
  runtime: ContainerRuntime;
  packages: PackageManager;
  /** Images for the container runtime. */
  images?: ImageManager;
  pods: ResourceApi<KubeObject>;
  /** ConfigMaps and Secrets of one namespace, as the agent's watches see them. */
  sources: (namespace: string) => ConfigSources;
  root: string;
  hostIP: string;
  log: Logger;
  /** Asks for another sync of a pod soon (a probe changed its mind). */
  wake: (pod: Pod) => void;
  /** Certificates for the pods' certificate volumes. */
  certificates?: PodCertificates;
}

interface Waiting { reason: string; message: string }

/** Probers of the current run of each container, by service name. */
type Probers = Map<string, { prober: ContainerProber; startedAt: string }>;

/** A pod whose services were started from these inputs: nothing to redo until they change. */
interface Started { inputs: string; specs: { container: Container; spec: ServiceSpec }[] }

export class PodWorkers {
  private readonly deps: PodWorkerDeps;
  private readonly probers: Probers = new Map();
  private readonly started = new Map<string, Started>();

  constructor(deps: PodWorkerDeps) {
    this.deps = deps;
  }

  /** Stops probing (the agent is stopping; its services keep running for the next agent). */
  close(): void {
    for (const name of [...this.probers.keys()]) this.stopProber(name);
  }

  /** Brings one pod bound to this node a step closer to its spec; returns when to look again. */
  async sync(pod: Pod): Promise<{ requeueAfterMs: number } | undefined> {
    if (pod.metadata.deletionTimestamp) {
      await this.terminate(pod);
      return undefined;
    }
    const status = pod.status?.phase;
    if (status === 'Succeeded' || status === 'Failed') return undefined;
    const inputs = this.inputsOf(pod);
    let problem: Waiting | undefined;
    const started = this.started.get(pod.metadata.uid!);
    if (started?.inputs !== inputs) problem = await this.start(pod, inputs);
    // The runtime restarts crashed services on its own; every new run gets new probers.
    for (const { container, spec } of this.started.get(pod.metadata.uid!)?.specs ?? []) await this.ensureProber(pod, container, spec);
    const settled = await this.report(pod, problem);
    return { requeueAfterMs: settled || problem ? STATUS_REFRESH_MS : STARTING_REFRESH_MS };
  }

  /** What the pod's services are made from: its spec and the versions of what it reads. */
  private inputsOf(pod: Pod): string {
    const sources = this.deps.sources(pod.metadata.namespace ?? 'default');
    const refs = referencedConfig(pod);
    return JSON.stringify([
      pod.metadata.generation, pod.metadata.labels, pod.metadata.annotations,
      [...refs.configMaps].map((n) => sources.configMap(n)?.metadata.resourceVersion ?? null),
      [...refs.secrets].map((n) => sources.secret(n)?.metadata.resourceVersion ?? null),
      // A certificate issued, or one due for renewal, renders the volumes again.
      this.deps.certificates?.state(pod.metadata.uid!) ?? '',
    ]);
  }

  /** Stops and removes everything of a pod that no longer exists (deleted while the agent was away). */
  async forget(podUid: string, services: string[]): Promise<void> {
    this.started.delete(podUid);
    this.deps.certificates?.forget(podUid);
    for (const name of services) {
      this.stopProber(name);
      await this.deps.runtime.remove(name);
    }
    await removePodFiles(podPaths(this.deps.root, podUid));
    await this.deps.packages.release(podUid);
  }

  private get inContainers(): boolean {
    return this.deps.runtime.kind === 'container';
  }

  /**
   * What each container runs from: its package's root directory (package runtimes), or its
   * image pinned to a digest (container runtime, whose files are the image's: root "/").
   */
  private async fetchImages(pod: Pod, containers: Container[]): Promise<{ roots: Map<string, string>; pinned: Map<string, string> }> {
    const roots = new Map<string, string>();
    const pinned = new Map<string, string>();
    const uid = pod.metadata.uid!;
    if (!this.inContainers) {
      for (const c of containers) roots.set(c.name, (await this.deps.packages.ensure(c.image ?? '', uid)).root);
      return { roots, pinned };
    }
    const sources = this.deps.sources(pod.metadata.namespace ?? 'default');
    const secrets = (pod.spec.imagePullSecrets ?? []).flatMap((s) => (s.name ? [sources.secret(s.name)].filter((x) => x !== undefined) : []));
    for (const c of containers) {
      pinned.set(c.name, await this.deps.images!.ensure(c.image ?? '', c.imagePullPolicy, secrets));
      roots.set(c.name, '/');
    }
    return { roots, pinned };
  }

  private async start(pod: Pod, inputs: string): Promise<Waiting | undefined> {
    const uid = pod.metadata.uid!;
    const containers = pod.spec.containers;
    const inits = pod.spec.initContainers ?? [];
    let fetched: Awaited<ReturnType<PodWorkers['fetchImages']>>;
    try {
      fetched = await this.fetchImages(pod, [...inits, ...containers]);
    } catch (err) {
      if (isPackageError(err)) return { reason: err.reason === 'InvalidImageName' ? 'InvalidImageName' : 'ErrImagePull', message: err.message };
      if (err instanceof ImageError) return { reason: err.reason, message: err.message };
      throw err;
    }
    const { roots, pinned } = fetched;
    const paths = podPaths(this.deps.root, uid);
    const podVariables = pathVariables(paths, roots.get(containers[0].name)!);
    const facts = { hostIP: this.deps.hostIP, podIP: this.deps.hostIP };
    const imageOf = (c: Container, variables: ReturnType<typeof pathVariables>) =>
      (this.inContainers ? { image: { pinned: pinned.get(c.name)!, mounts: containerMounts(pod, c, paths, variables) } } : {});
    try {
      await renderVolumes({ pod, paths, sources: this.deps.sources(pod.metadata.namespace ?? 'default'), variables: podVariables, certificates: this.deps.certificates, inContainers: this.inContainers, ...facts });
      for (const init of inits) {
        const variables = pathVariables(paths, roots.get(init.name)!);
        const done = await this.runInit(pod, init, variables, facts, imageOf(init, variables));
        if (!done) return undefined;
      }
      const specs: Started['specs'] = [];
      for (const c of containers) {
        const variables = pathVariables(paths, roots.get(c.name)!);
        const { env } = resolveEnv({ pod, container: c, sources: this.deps.sources(pod.metadata.namespace ?? 'default'), variables, ...facts });
        const spec = containerServiceSpec({ pod, container: c, init: false, env, variables, ...imageOf(c, variables) });
        await this.deps.runtime.start(spec);
        specs.push({ container: c, spec });
      }
      this.started.set(uid, { inputs, specs });
    } catch (err) {
      if (err instanceof PodConfigError) return { reason: err.reason, message: err.message };
      if ((err as { name?: string }).name === 'RuntimeError') return { reason: 'CreateContainerConfigError', message: (err as Error).message };
      throw err;
    }
    return undefined;
  }

  /** Starts an init container unless it already succeeded; true once it has. */
  private async runInit(pod: Pod, init: Container, variables: ReturnType<typeof pathVariables>, facts: { hostIP: string; podIP: string }, image: Pick<Parameters<typeof containerServiceSpec>[0], 'image'>): Promise<boolean> {
    const name = serviceName(pod.metadata.namespace ?? 'default', pod.metadata.name!, init.name);
    const current = await this.deps.runtime.status(name);
    if (current.state === 'exited') return true;
    if (current.state === 'absent') {
      const { env } = resolveEnv({ pod, container: init, sources: this.deps.sources(pod.metadata.namespace ?? 'default'), variables, ...facts });
      await this.deps.runtime.start(containerServiceSpec({ pod, container: init, init: true, env, variables, ...image }));
    }
    return false;
  }

  private async ensureProber(pod: Pod, c: Container, spec: ServiceSpec): Promise<void> {
    const status = await this.deps.runtime.status(spec.name);
    const run = status.startedAt?.toISOString() ?? '';
    const existing = this.probers.get(spec.name);
    if (existing && existing.startedAt === run) return;
    existing?.prober.stop();
    if (status.state !== 'running') {
      this.probers.delete(spec.name);
      return;
    }
    const runtime = this.deps.runtime;
    const exec = this.inContainers && runtime.exec ? (argv: string[], timeoutSec: number) => runtime.exec!(spec.name, argv, timeoutSec) : undefined;
    const prober = new ContainerProber(c, { host: this.deps.hostIP, env: spec.env, workingDir: spec.workingDir, user: spec.user, ports: c.ports, exec }, {
      onReadinessChange: () => this.deps.wake(pod),
      onStarted: () => this.deps.wake(pod),
      onUnhealthy: (kind, outcome) => {
        this.deps.log.warn({ pod: pod.metadata.name, container: c.name, kind, message: outcome.message }, 'probe failed; restarting the container');
        // A new run: stop this one; the next sync starts it again and gets a new prober.
        this.started.delete(pod.metadata.uid!);
        void this.deps.runtime.stop(spec.name, spec.stopTimeoutSec).then(() => this.deps.wake(pod), () => this.deps.wake(pod));
      },
    });
    this.probers.set(spec.name, { prober, startedAt: run });
    prober.start();
  }

  private stopProber(name: string): void {
    this.probers.get(name)?.prober.stop();
    this.probers.delete(name);
  }

  /**
   * Removes what is left of a pod that disappeared without this agent confirming its deletion:
   * a finished pod (the API server deletes those at once) or one deleted with --force.
   */
  async discard(pod: Pod): Promise<void> {
    if (!existsSync(podPaths(this.deps.root, pod.metadata.uid!).pod)) return;
    await this.stopServices(pod, 0);
  }

  /** Stops the pod's services within its grace period, cleans up, and confirms the deletion. */
  private async terminate(pod: Pod): Promise<void> {
    await this.stopServices(pod, pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS);
    try {
      await this.deps.pods.delete(pod.metadata.name!, pod.metadata.namespace, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    this.deps.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, 'pod stopped and removed');
  }

  private async stopServices(pod: Pod, graceSeconds: number): Promise<void> {
    const names = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => serviceName(pod.metadata.namespace ?? 'default', pod.metadata.name!, c.name));
    await Promise.all(names.map(async (name) => {
      this.stopProber(name);
      // A pod that never got this far (a refused volume, a missing package) has no service to stop.
      if ((await this.deps.runtime.status(name)).state !== 'absent') await this.deps.runtime.stop(name, graceSeconds);
    }));
    await this.forget(pod.metadata.uid!, names);
  }

  /** Writes the pod's status when it changed; true when every container is up and ready (or the pod is done). */
  private async report(pod: Pod, problem: Waiting | undefined): Promise<boolean> {
    const containers = await Promise.all(pod.spec.containers.map((c) => this.containerView(pod, c, problem)));
    const inits = await Promise.all((pod.spec.initContainers ?? []).map((c) => this.containerView(pod, c, problem)));
    const initialized = inits.every((i) => i.state.terminated?.exitCode === 0);
    const phase = podPhase(pod, containers, initialized);
    const previous = pod.status as Parameters<typeof podStatus>[0]['previous'] & { startTime?: string } | undefined;
    const status = podStatus({
      phase, hostIP: this.deps.hostIP, containers, initContainers: inits, initialized,
      startTime: previous?.startTime, previous,
    });
    const settled = phase === 'Succeeded' || phase === 'Failed' || containers.every((c) => c.ready || c.state.waiting?.reason === 'CrashLoopBackOff');
    if (sameStatus(pod.status, status)) return settled;
    try {
      await this.deps.pods.updateStatus({ ...(pod as unknown as KubeObject), status } as KubeObject);
    } catch (err) {
      // A newer pod version exists: the next sync reports against it.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
    return settled;
  }

  private async containerView(pod: Pod, c: Container, problem: Waiting | undefined): Promise<ContainerStateView> {
    const name = serviceName(pod.metadata.namespace ?? 'default', pod.metadata.name!, c.name);
    const s = await this.deps.runtime.status(name);
    const prober = this.probers.get(name)?.prober;
    const base = { name: c.name, image: c.image ?? '', restartCount: s.restartCount };
    const last = s.lastTermination ? { lastState: { terminated: terminatedView(s.lastTermination) } } : {};
    if (s.state === 'running') {
      return { ...base, ...last, state: { running: { startedAt: iso(s.startedAt) } }, ready: prober?.ready ?? true, started: prober?.started ?? true };
    }
    if (s.backOff) {
      const waiting = { reason: 'CrashLoopBackOff', message: `back-off ${s.backOff.delaySeconds}s restarting failed container=${c.name} pod=${pod.metadata.name}` };
      return { ...base, state: { waiting }, lastState: s.termination ? { terminated: terminatedView(s.termination) } : undefined, ready: false, started: false };
    }
    if (s.state === 'exited' || s.state === 'failed') {
      return { ...base, ...last, state: { terminated: terminatedView(s.termination!) }, ready: false, started: false };
    }
    return { ...base, state: { waiting: problem ?? { reason: 'ContainerCreating', message: '' } }, ready: false, started: false };
  }
}

function terminatedView(t: NonNullable<ServiceStatus['termination']>) {
  return {
    exitCode: t.exitCode, reason: t.reason, ...(t.message ? { message: t.message } : {}),
    ...(t.startedAt ? { startedAt: iso(t.startedAt) } : {}), finishedAt: iso(t.finishedAt),
  };
}

/** Kubernetes' phase rules: Running while any container runs or will be restarted; Succeeded/Failed once all ended for good. */
function podPhase(pod: Pod, containers: ContainerStateView[], initialized: boolean): PodPhase {
  if (!initialized) return 'Pending';
  const policy = pod.spec.restartPolicy ?? 'Always';
  const ended = containers.every((c) => c.state.terminated);
  if (ended && policy !== 'Always') {
    const allOk = containers.every((c) => c.state.terminated!.exitCode === 0);
    if (allOk) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
  }
  const anyStarted = containers.some((c) => c.state.running || c.state.terminated || c.state.waiting?.reason === 'CrashLoopBackOff');
  return anyStarted ? 'Running' : 'Pending';
}

function sameStatus(current: unknown, next: unknown): boolean {
  // Heartbeat-like timestamps aside, only a real change is worth a write.
  const strip = (s: unknown) => JSON.stringify(s, (k, v) => (k === 'lastProbeTime' ? undefined : v));
  return strip(current) === strip(next);
}

const iso = (d: Date | undefined) => (d ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
