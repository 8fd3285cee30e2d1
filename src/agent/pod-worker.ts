// One pod's life on this node, driven level-triggered by the agent's controller: each sync looks
// at the pod and at what runs, does the next step, and reports the pod's status like a kubelet —
// with a kubelet's events (Pulled, Created, Started, Killing, BackOff, Unhealthy, Failed) and
// metrics (metrics.ts).
//   Pending:  packages → volume files → init containers in order → containers
//   Running:  services run (the runtime restarts them per restartPolicy, with back-off);
//             probes decide Ready and restart containers whose liveness fails
//   Deleting: stop within the grace period → remove services, files, packages → confirm
import { existsSync } from 'node:fs';
import type { ResourceApi } from '../client/resource.ts';
import { isConflict, isNotFound } from '../client/errors.ts';
import type { Logger } from '../common/log.ts';
import { ImageError } from './images/reference.ts';
import type { ImageManager } from './images/manager.ts';
import type { EventRecorder, EventSpec } from '../runtime/events.ts';
import { agentMetrics } from './metrics.ts';
import { isPackageError } from './packages/errors.ts';
import { RUNTIME_HANDLERS } from '../runtime/runtime-classes.ts';
import type { PackageManager } from './packages/manager.ts';
import type { Container, Pod } from './pod-types.ts';
import { podStatus, type ContainerStateView, type PodPhase } from './pod-status.ts';
import { ContainerProber, type ProberResume } from './probes.ts';
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
  /** A RuntimeClass's handler; null when there is no such RuntimeClass, undefined while not yet known. */
  runtimeClassHandler?: (name: string) => string | null | undefined;
  pods: ResourceApi<Pod>;
  /** ConfigMaps and Secrets of one namespace, as the agent's watches see them. */
  sources: (namespace: string) => ConfigSources;
  root: string;
  hostIP: string;
  log: Logger;
  /** Asks for another sync of a pod soon (a probe changed its mind). */
  wake: (pod: Pod) => void;
  /** Certificates for the pods' certificate volumes. */
  certificates?: PodCertificates;
  events: EventRecorder;
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
  /** When each pod not yet running was first seen, for kubelet_pod_start_duration_seconds. */
  private readonly firstSeen = new Map<string, number>();
  /** Container states of each pod, for kubelet_running_pods and kubelet_running_containers. */
  private readonly containerStates = new Map<string, string[]>();

  constructor(deps: PodWorkerDeps) {
    this.deps = deps;
  }

  /** Stops probing (the agent is stopping; its services keep running for the next agent). */
  close(): void {
    for (const name of [...this.probers.keys()]) this.stopProber(name);
  }

  /** Brings one pod bound to this node a step closer to its spec; returns when to look again. */
  async sync(pod: Pod): Promise<{ requeueAfterMs: number } | undefined> {
    const began = performance.now();
    let operation = 'sync';
    try {
      if (pod.metadata.deletionTimestamp) {
        operation = 'delete';
        await this.terminate(pod);
        return undefined;
      }
      return await this.syncLive(pod, (o) => (operation = o));
    } finally {
      agentMetrics.podWorkerDuration.observe({ operation }, (performance.now() - began) / 1000);
    }
  }

  private async syncLive(pod: Pod, operation: (o: string) => void): Promise<{ requeueAfterMs: number } | undefined> {
    const status = pod.status?.phase;
    if (status === 'Succeeded' || status === 'Failed') return undefined;
    const inputs = this.inputsOf(pod);
    let problem: Waiting | undefined;
    const started = this.started.get(pod.metadata.uid!);
    if (!started && !this.firstSeen.has(pod.metadata.uid!)) this.firstSeen.set(pod.metadata.uid!, Date.now());
    if (started?.inputs !== inputs) {
      operation(started ? 'update' : 'create');
      problem = await this.start(pod, inputs);
    }
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
    this.firstSeen.delete(podUid);
    this.containerStates.delete(podUid);
    this.refreshRunningGauges();
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
    const sources = this.deps.sources(pod.metadata.namespace ?? 'default');
    const secrets = (pod.spec.imagePullSecrets ?? []).flatMap((s) => (s.name ? [sources.secret(s.name)].filter((x) => x !== undefined) : []));
    for (const c of containers) {
      const began = performance.now();
      try {
        if (this.inContainers) {
          pinned.set(c.name, await this.deps.images!.ensure(c.image ?? '', c.imagePullPolicy, secrets));
          roots.set(c.name, '/');
          this.event(pod, c, { type: 'Normal', reason: 'Pulled', action: 'Pull', note: `Container image "${c.image}" is present as ${pinned.get(c.name)}` });
          continue;
        }
        const installed = await this.deps.packages.ensure(c.image ?? '', uid);
        roots.set(c.name, installed.root);
        this.event(pod, c, {
          type: 'Normal', reason: 'Pulled', action: 'Pull',
          note: installed.installedNow ? `Successfully installed image "${c.image}" from ${installed.repository} in ${((performance.now() - began) / 1000).toFixed(3)}s` : `Container image "${c.image}" already present on machine`,
        });
      } catch (err) {
        if (isPackageError(err) || err instanceof ImageError) {
          this.event(pod, c, { type: 'Warning', reason: 'Failed', action: 'Pull', note: `Failed to pull image "${c.image}": ${err.message}` });
          agentMetrics.startedContainerErrors.inc({ code: 'ErrImagePull', container_type: (pod.spec.initContainers ?? []).includes(c) ? 'init_container' : 'container' });
        }
        throw err;
      }
    }
    return { roots, pinned };
  }

  /**
   * Whether this node's runtime runs the pod's RuntimeClass: containers run handler runc (as
   * containerd names it), packages handler granary-package; a pod without one runs as the node does.
   */
  private runtimeClassProblem(pod: Pod): Waiting | undefined {
    const name = pod.spec.runtimeClassName;
    if (!name || !this.deps.runtimeClassHandler) return undefined;
    const handler = this.deps.runtimeClassHandler(name);
    const mine = RUNTIME_HANDLERS[this.inContainers ? 'container' : 'package'];
    if (handler === undefined) return { reason: 'ContainerCreating', message: `waiting to learn RuntimeClass "${name}"` };
    if (handler === null) return { reason: 'CreateContainerConfigError', message: `RuntimeClass "${name}" not found` };
    if (handler !== mine && !(this.inContainers && handler === '')) {
      return { reason: 'CreateContainerConfigError', message: `RuntimeClass "${name}" has handler "${handler}", which this node does not run (its ${this.deps.runtime.kind} runtime is handler "${mine}"); bind the pod to a node with that runtime` };
    }
    return undefined;
  }

  private async start(pod: Pod, inputs: string): Promise<Waiting | undefined> {
    const uid = pod.metadata.uid!;
    const containers = pod.spec.containers;
    const inits = pod.spec.initContainers ?? [];
    const mismatch = this.runtimeClassProblem(pod);
    if (mismatch) return mismatch;
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
        await this.startContainer(pod, c, spec, 'container');
        specs.push({ container: c, spec });
      }
      if (!this.started.has(uid)) agentMetrics.startedPods.inc();
      this.started.set(uid, { inputs, specs });
    } catch (err) {
      let waiting: Waiting;
      if (err instanceof PodConfigError) waiting = { reason: err.reason, message: err.message };
      else if ((err as { name?: string }).name === 'RuntimeError') waiting = { reason: 'CreateContainerConfigError', message: (err as Error).message };
      else throw err;
      agentMetrics.startedPodErrors.inc();
      this.event(pod, undefined, { type: 'Warning', reason: waiting.reason === 'CreateContainerConfigError' ? 'Failed' : waiting.reason, action: 'Start', note: waiting.message });
      return waiting;
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
      await this.startContainer(pod, init, containerServiceSpec({ pod, container: init, init: true, env, variables, ...image }), 'init_container');
    }
    return false;
  }

  /** Starts a container's service, with the events and counts a kubelet records. */
  private async startContainer(pod: Pod, c: Container, spec: ServiceSpec, type: 'container' | 'init_container'): Promise<void> {
    this.event(pod, c, { type: 'Normal', reason: 'Created', action: 'Create', note: `Created container ${c.name}` });
    try {
      await this.deps.runtime.start(spec);
    } catch (err) {
      agentMetrics.startedContainerErrors.inc({ code: 'RunContainerError', container_type: type });
      this.event(pod, c, { type: 'Warning', reason: 'Failed', action: 'Start', note: `Error: ${(err as Error).message}` });
      throw err;
    }
    agentMetrics.startedContainers.inc({ container_type: type });
    this.event(pod, c, { type: 'Normal', reason: 'Started', action: 'Start', note: `Started container ${c.name}` });
  }

  /** Records an event about the pod (or one of its containers); never fails the sync. */
  private event(pod: Pod, c: Container | undefined, spec: EventSpec): void {
    const isInit = c !== undefined && (pod.spec.initContainers ?? []).includes(c);
    const fieldPath = c ? `spec.${isInit ? 'initContainers' : 'containers'}{${c.name}}` : undefined;
    void this.deps.events.publish({ ...pod, apiVersion: 'v1', kind: 'Pod' }, { ...spec, fieldPath });
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
      onProbed: (kind, outcome) => {
        agentMetrics.probes.inc({ probe_type: probeName(kind), result: outcome.ok ? 'successful' : 'failed', container: c.name, pod: pod.metadata.name!, namespace: pod.metadata.namespace ?? 'default' });
        if (!outcome.ok) this.event(pod, c, { type: 'Warning', reason: 'Unhealthy', action: 'Probe', note: `${probeName(kind)} probe failed: ${outcome.message}` });
      },
      onReadinessChange: () => this.deps.wake(pod),
      onStarted: () => this.deps.wake(pod),
      onUnhealthy: (kind, outcome) => {
        this.deps.log.warn({ pod: pod.metadata.name, container: c.name, kind, message: outcome.message }, 'probe failed; restarting the container');
        this.event(pod, c, { type: 'Normal', reason: 'Killing', action: 'Kill', note: `Container ${c.name} failed ${kind} probe, will be restarted` });
        // A new run: stop this one; the next sync starts it again and gets a new prober.
        this.started.delete(pod.metadata.uid!);
        void this.deps.runtime.stop(spec.name, spec.stopTimeoutSec).then(() => this.deps.wake(pod), () => this.deps.wake(pod));
      },
    }, existing ? undefined : reportedRun(pod, c, status));
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
    const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
    const names = containers.map((c) => serviceName(pod.metadata.namespace ?? 'default', pod.metadata.name!, c.name));
    await Promise.all(containers.map(async (c, i) => {
      const name = names[i];
      this.stopProber(name);
      // A pod that never got this far (a refused volume, a missing package) has no service to stop.
      if ((await this.deps.runtime.status(name)).state === 'running') {
        this.event(pod, c, { type: 'Normal', reason: 'Killing', action: 'Kill', note: `Stopping container ${c.name}` });
      }
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
    this.recordStates(pod, containers, phase);
    if (sameStatus(pod.status, status)) return settled;
    try {
      await this.deps.pods.updateStatus({ ...pod, status });
    } catch (err) {
      // A newer pod version exists: the next sync reports against it.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
    return settled;
  }

  /** Counts for the running-pod gauges, and the pod's start duration once it first runs. */
  private recordStates(pod: Pod, containers: ContainerStateView[], phase: PodPhase): void {
    const uid = pod.metadata.uid!;
    const states = containers.map((c) => (c.state.running ? 'running' : c.state.terminated ? 'exited' : c.state.waiting?.reason === 'ContainerCreating' ? 'created' : 'unknown'));
    this.containerStates.set(uid, states);
    this.refreshRunningGauges();
    const seen = this.firstSeen.get(uid);
    if (seen !== undefined && phase === 'Running' && states.every((s) => s === 'running')) {
      agentMetrics.podStartDuration.observe((Date.now() - seen) / 1000);
      this.firstSeen.delete(uid);
    }
  }

  private refreshRunningGauges(): void {
    const counts = new Map<string, number>([['running', 0], ['exited', 0], ['created', 0], ['unknown', 0]]);
    let runningPods = 0;
    for (const states of this.containerStates.values()) {
      if (states.includes('running')) runningPods++;
      for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    agentMetrics.runningPods.set(runningPods);
    for (const [state, n] of counts) agentMetrics.runningContainers.set({ container_state: state }, n);
  }

  private async containerView(pod: Pod, c: Container, problem: Waiting | undefined): Promise<ContainerStateView> {
    const name = serviceName(pod.metadata.namespace ?? 'default', pod.metadata.name!, c.name);
    const s = await this.deps.runtime.status(name);
    const prober = this.probers.get(name)?.prober;
    const base = { name: c.name, image: c.image ?? '', imageID: '', restartCount: s.restartCount };
    const last = s.lastTermination ? { lastState: { terminated: terminatedView(s.lastTermination) } } : {};
    if (s.state === 'running') {
      return { ...base, ...last, state: { running: { startedAt: iso(s.startedAt) } }, ready: prober?.ready ?? true, started: prober?.started ?? true };
    }
    if (s.backOff) {
      const waiting = { reason: 'CrashLoopBackOff', message: `back-off ${s.backOff.delaySeconds}s restarting failed container=${c.name} pod=${pod.metadata.name}` };
      this.event(pod, c, { type: 'Warning', reason: 'BackOff', action: 'Start', note: `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}` });
      return { ...base, state: { waiting }, lastState: s.termination ? { terminated: terminatedView(s.termination) } : undefined, ready: false, started: false };
    }
    if (s.state === 'exited' || s.state === 'failed') {
      return { ...base, ...last, state: { terminated: terminatedView(s.termination!) }, ready: false, started: false };
    }
    return { ...base, state: { waiting: problem ?? { reason: 'ContainerCreating', message: '' } }, ready: false, started: false };
  }
}

const probeName = (kind: string) => kind[0].toUpperCase() + kind.slice(1);

/**
 * What the pod's status last said of this very run (same start, same restart count) — a run this
 * agent adopts after a restart, whose prober picks up where the last agent's left off.
 */
function reportedRun(pod: Pod, c: Container, status: ServiceStatus): ProberResume | undefined {
  const reported = pod.status?.containerStatuses?.find((s) => s.name === c.name);
  if (!status.startedAt || reported?.state?.running?.startedAt !== iso(status.startedAt) || reported.restartCount !== status.restartCount) return undefined;
  return { ready: reported.ready === true, started: reported.started ?? reported.ready === true, runningSeconds: Math.max(0, (Date.now() - status.startedAt.getTime()) / 1000) };
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
