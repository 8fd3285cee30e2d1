// The part both runtimes share: it keeps one persisted record per service (spec, runs, restart
// count, back-off), watches the latest run through a driver, and starts the next run when the
// restart policy and the crash-loop back-off allow. Drivers only know how to install, launch,
// observe and terminate one service on their substrate (systemd units, supervised processes).
//
// Records live in <stateDir>/<name>/service.json and are rewritten atomically, so an agent that
// restarts finds every service it managed, with its history, and adopts the running ones.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../../common/log.ts';
import {
  RuntimeError, specDigest, validateSpec,
  type ContainerRuntime, type ExecResult, type LogOptions, type ManagedService, type RunEvent, type RuntimeKind, type ServiceSpec, type ServiceStatus, type Termination,
} from './runtime.ts';
import { KUBERNETES_BACK_OFF, nextConsecutiveRestarts, restartDelaySeconds, restartsAfter, type CrashLoopBackOff } from './restart-backoff.ts';
import { ensurePrivateDir, PRIVATE_DIR_MODE, writePrivateFile } from '../../common/private-files.ts';

/** One run of a service as the driver identifies it. */
export interface RunRef {
  runId: string;
  pid?: number;
  startedAt: Date;
}

/** What a driver sees of a run it was asked about. */
export type Observation =
  | { state: 'running'; pid?: number }
  | { state: 'terminated'; termination: Termination }
  /** The run left no trace (its unit or process vanished while nobody watched). */
  | { state: 'vanished' };

export interface ServiceDriver {
  readonly kind: RuntimeKind;
  /** Refuses (RuntimeError InvalidSpec) what this substrate cannot run, before anything is recorded. */
  check(spec: ServiceSpec): void;
  /** Prepares the service to run with this spec (writes its unit, ...); replaces an older spec. */
  install(spec: ServiceSpec, digest: string): Promise<void>;
  /** Starts one run of an installed service. Programs that fail to start show up in observe(). */
  launch(spec: ServiceSpec): Promise<RunRef>;
  /** The state of each given run; several at once so one poll costs one call. */
  observe(targets: { name: string; run: RunRef }[]): Promise<Map<string, Observation>>;
  /**
   * SIGTERM to every process of the service, SIGKILL after timeoutSec; resolves once all are gone.
   * Without a timeout (a service found without its record) the driver uses what it recorded with
   * the service, if anything, else Kubernetes' default of 30 s.
   */
  terminate(name: string, timeoutSec: number | undefined): Promise<void>;
  /** Removes everything install() and the runs left behind. The service is not running. */
  uninstall(name: string): Promise<void>;
  /** Services found on the substrate, including ones without a record. */
  installed(): Promise<ManagedService[]>;
  /** The run's output; when following, ends once `runEnded` resolves and the output is drained. */
  logs(name: string, run: RunRef, options: LogOptions, runEnded: Promise<void>): Readable;
  /** Runs a command inside the run's container (drivers of containers only). */
  exec?(name: string, run: RunRef, argv: string[], timeoutSec: number): Promise<ExecResult>;
}

export interface SupervisorOptions {
  stateDir: string;
  backOff?: CrashLoopBackOff;
  /** How often running services are checked for having ended; restarts happen at this granularity. */
  pollIntervalMs?: number;
  log?: Logger;
}

interface PersistedTermination extends Omit<Termination, 'startedAt' | 'finishedAt'> { startedAt?: string; finishedAt: string }
interface RunRecord { runId: string; pid?: number; startedAt: string; termination?: PersistedTermination }
interface ServiceRecord {
  spec: ServiceSpec;
  digest: string;
  stopped: boolean;
  restartCount: number;
  consecutiveRestarts: number;
  /** When the next run is due; "now" right after start(). Absent while a run is alive or none is due. */
  nextRunAt?: string;
  backOffSeconds?: number;
  latest?: RunRecord;
  previous?: RunRecord;
}

/** Grace period for services found without a record (their pod's is unknown): Kubernetes' default. */
export const UNKNOWN_SERVICE_STOP_TIMEOUT_SEC = 30;

const toTermination = (t: PersistedTermination): Termination => ({
  ...t, startedAt: t.startedAt ? new Date(t.startedAt) : undefined, finishedAt: new Date(t.finishedAt),
});
const fromTermination = (t: Termination): PersistedTermination => ({
  ...t, startedAt: t.startedAt?.toISOString(), finishedAt: t.finishedAt.toISOString(),
});
const toRunRef = (r: RunRecord): RunRef => ({ runId: r.runId, pid: r.pid, startedAt: new Date(r.startedAt) });

export class SupervisedRuntime implements ContainerRuntime {
  readonly kind: RuntimeKind;
  private readonly driver: ServiceDriver;
  private readonly stateDir: string;
  private readonly backOff: CrashLoopBackOff;
  private readonly log?: Logger;
  private readonly records = new Map<string, ServiceRecord>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly runEndWaiters = new Map<string, (() => void)[]>();
  private readonly runListeners = new Set<(event: RunEvent) => void>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;

  private constructor(driver: ServiceDriver, options: SupervisorOptions) {
    this.kind = driver.kind;
    this.driver = driver;
    this.stateDir = options.stateDir;
    this.backOff = options.backOff ?? KUBERNETES_BACK_OFF;
    this.log = options.log;
  }

  /** Loads the records a previous agent left and starts supervising (adopting running services). */
  static async open(driver: ServiceDriver, options: SupervisorOptions): Promise<SupervisedRuntime> {
    const runtime = new SupervisedRuntime(driver, options);
    // Records hold each service's spec, its environment included (Secrets referenced by env): the agent's alone.
    await ensurePrivateDir(options.stateDir);
    for (const entry of await readdir(options.stateDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const file = join(options.stateDir, entry.name, 'service.json');
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      try {
        const record = JSON.parse(text) as ServiceRecord;
        runtime.records.set(record.spec.name, record);
      } catch (err) {
        runtime.log?.warn({ file, err }, 'ignoring an unreadable service record');
      }
    }
    await runtime.tick();
    const interval = options.pollIntervalMs ?? 1000;
    runtime.timer = setInterval(() => { void runtime.tick(); }, interval);
    runtime.timer.unref();
    return runtime;
  }

  async start(spec: ServiceSpec): Promise<void> {
    validateSpec(spec);
    this.driver.check(spec);
    await this.withLock(spec.name, async () => {
      const digest = specDigest(spec);
      const existing = this.records.get(spec.name);
      if (existing && existing.digest === digest && !existing.stopped) return;
      if (existing && existing.digest !== digest && existing.latest && !existing.latest.termination) {
        await this.driver.terminate(spec.name, existing.spec.stopTimeoutSec);
        await this.refresh(existing);
      }
      const record = existing ?? { spec, digest, stopped: false, restartCount: 0, consecutiveRestarts: 0 };
      // A run the caller asked for starts the crash-loop back-off afresh.
      Object.assign(record, { spec, digest, stopped: false, nextRunAt: new Date().toISOString(), backOffSeconds: undefined, consecutiveRestarts: 0 });
      this.records.set(spec.name, record);
      await this.persist(record);
      await this.runIfDue(record);
    });
  }

  async stop(name: string, timeoutSec: number): Promise<ServiceStatus> {
    return this.withLock(name, async () => {
      const record = this.records.get(name);
      if (!record) throw new RuntimeError('NotFound', `service ${name} is not managed by the ${this.kind} runtime`);
      record.stopped = true;
      record.nextRunAt = undefined;
      record.backOffSeconds = undefined;
      await this.persist(record);
      if (record.latest && !record.latest.termination) {
        await this.driver.terminate(name, timeoutSec);
        await this.refresh(record);
      }
      return this.describe(name, record);
    });
  }

  async remove(name: string): Promise<void> {
    await this.withLock(name, async () => {
      const record = this.records.get(name);
      await this.driver.terminate(name, record?.spec.stopTimeoutSec);
      if (record) await this.refresh(record);
      await this.driver.uninstall(name);
      this.records.delete(name);
      this.endFollowers(name);
      await rm(join(this.stateDir, name), { recursive: true, force: true });
    });
  }

  async status(name: string): Promise<ServiceStatus> {
    return this.withLock(name, async () => {
      const record = this.records.get(name);
      if (!record) return { name, state: 'absent', restartCount: 0, stopped: false };
      await this.refresh(record);
      await this.runIfDue(record);
      return this.describe(name, record);
    });
  }

  async list(): Promise<ManagedService[]> {
    const found = new Map<string, ManagedService>();
    for (const service of await this.driver.installed()) found.set(service.name, service);
    for (const [name, record] of this.records) found.set(name, { name, labels: record.spec.labels });
    return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async logs(name: string, options: LogOptions = {}): Promise<Readable> {
    const record = this.records.get(name);
    if (!record) throw new RuntimeError('NotFound', `service ${name} is not managed by the ${this.kind} runtime`);
    const run = options.previous ? record.previous : record.latest;
    if (!run) {
      throw new RuntimeError('NotFound', options.previous
        ? `service ${name} has no previous run (it has not been restarted)`
        : `service ${name} has not run yet`);
    }
    const runEnded = run.termination || !options.follow ? Promise.resolve() : this.whenRunEnds(name);
    return this.driver.logs(name, toRunRef(run), options, runEnded);
  }

  async exec(name: string, argv: string[], timeoutSec: number): Promise<ExecResult> {
    const record = this.records.get(name);
    const run = record?.latest;
    if (!this.driver.exec) throw new RuntimeError('InvalidSpec', `the ${this.kind} runtime runs commands on the host, not inside services`);
    if (!run || run.termination) throw new RuntimeError('NotFound', `service ${name} is not running`);
    return this.driver.exec(name, toRunRef(run), argv, timeoutSec);
  }

  onRunEvent(listener: (event: RunEvent) => void): () => void {
    this.runListeners.add(listener);
    return () => this.runListeners.delete(listener);
  }

  private announce(type: RunEvent['type'], record: ServiceRecord): void {
    const event: RunEvent = { type, name: record.spec.name, labels: record.spec.labels };
    for (const listener of this.runListeners) {
      try {
        listener(event);
      } catch (err) {
        this.log?.warn({ err, service: event.name }, 'a run event listener failed');
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    for (const name of [...this.runEndWaiters.keys()]) this.endFollowers(name);
  }

  /** One supervision pass: observe every live run in one driver call, then restart what is due. */
  private tick(): Promise<void> {
    if (!this.ticking) {
      this.ticking = this.supervise().finally(() => { this.ticking = undefined; });
    }
    return this.ticking;
  }

  private async supervise(): Promise<void> {
    // Yield first, so that tick() has stored the promise before this pass can finish.
    await Promise.resolve();
    try {
      const live = [...this.records.values()].filter((r) => r.latest && !r.latest.termination);
      const observedRunIds = new Map(live.map((r) => [r.spec.name, r.latest!.runId]));
      const observed = live.length
        ? await this.driver.observe(live.map((r) => ({ name: r.spec.name, run: toRunRef(r.latest!) })))
        : new Map<string, Observation>();
      for (const record of [...this.records.values()]) {
        const name = record.spec.name;
        await this.withLock(name, async () => {
          if (this.records.get(name) !== record) return;
          const observation = observed.get(name);
          // A stop() or start() may have replaced the run since it was observed.
          if (observation && observedRunIds.get(name) === record.latest?.runId) await this.apply(record, observation);
          await this.runIfDue(record);
        });
      }
    } catch (err) {
      this.log?.warn({ err }, 'supervision pass failed; retrying at the next one');
    }
  }

  private async refresh(record: ServiceRecord): Promise<void> {
    const run = record.latest;
    if (!run || run.termination) return;
    const observed = await this.driver.observe([{ name: record.spec.name, run: toRunRef(run) }]);
    const observation = observed.get(record.spec.name);
    if (observation) await this.apply(record, observation);
  }

  /** Records what the driver saw of the latest run; a run that ended schedules the next per policy. */
  private async apply(record: ServiceRecord, observation: Observation): Promise<void> {
    const run = record.latest;
    if (!run || run.termination) return;
    if (observation.state === 'running') {
      if (observation.pid !== undefined && observation.pid !== run.pid) {
        run.pid = observation.pid;
        await this.persist(record);
      }
      return;
    }
    const termination: Termination = observation.state === 'terminated'
      ? { ...observation.termination, startedAt: observation.termination.startedAt ?? new Date(run.startedAt) }
      : {
        exitCode: 137, reason: 'ContainerStatusUnknown', startedAt: new Date(run.startedAt), finishedAt: new Date(),
        message: 'the service ended while it was not observed and left no exit status',
      };
    run.termination = fromTermination(termination);
    if (!record.stopped && restartsAfter(record.spec.restart, termination.exitCode)) {
      const ranForSeconds = (termination.finishedAt.getTime() - new Date(run.startedAt).getTime()) / 1000;
      record.consecutiveRestarts = nextConsecutiveRestarts(record.consecutiveRestarts, ranForSeconds, this.backOff);
      const delay = restartDelaySeconds(record.consecutiveRestarts, this.backOff);
      record.backOffSeconds = delay;
      record.nextRunAt = new Date(termination.finishedAt.getTime() + delay * 1000).toISOString();
    }
    await this.persist(record);
    this.endFollowers(record.spec.name);
    this.announce('ContainerDied', record);
  }

  private async runIfDue(record: ServiceRecord): Promise<void> {
    if (record.stopped || !record.nextRunAt || Date.parse(record.nextRunAt) > Date.now()) return;
    if (record.latest && !record.latest.termination) return;
    // Installing first every time is cheap when nothing changed, and brings back a unit that
    // vanished (a /run wiped by a reboot) before its next run.
    const run = await (async () => {
      await this.driver.install(record.spec, record.digest);
      return this.driver.launch(record.spec);
    })().catch((err: unknown) => {
      throw err instanceof RuntimeError ? err : new RuntimeError('RuntimeUnavailable', `starting ${record.spec.name}: ${(err as Error).message}`);
    });
    if (record.latest) {
      record.previous = record.latest;
      record.restartCount += 1;
    }
    record.latest = { runId: run.runId, pid: run.pid, startedAt: run.startedAt.toISOString() };
    record.nextRunAt = undefined;
    record.backOffSeconds = undefined;
    await this.persist(record);
    this.announce('ContainerStarted', record);
  }

  private describe(name: string, record: ServiceRecord): ServiceStatus {
    const latest = record.latest;
    const termination = latest?.termination ? toTermination(latest.termination) : undefined;
    const status: ServiceStatus = {
      name,
      state: !latest ? 'failed' : !termination ? 'running' : termination.exitCode === 0 ? 'exited' : 'failed',
      labels: record.spec.labels,
      restartCount: record.restartCount,
      stopped: record.stopped,
    };
    if (latest) status.startedAt = new Date(latest.startedAt);
    if (latest && !termination && latest.pid !== undefined) status.pid = latest.pid;
    if (termination) status.termination = termination;
    if (record.previous?.termination) status.lastTermination = toTermination(record.previous.termination);
    if (record.nextRunAt && record.backOffSeconds !== undefined) {
      status.backOff = { nextRestartAt: new Date(record.nextRunAt), delaySeconds: record.backOffSeconds };
    }
    return status;
  }

  private whenRunEnds(name: string): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.runEndWaiters.get(name) ?? [];
      waiters.push(resolve);
      this.runEndWaiters.set(name, waiters);
    });
  }

  private endFollowers(name: string): void {
    const waiters = this.runEndWaiters.get(name);
    this.runEndWaiters.delete(name);
    for (const resolve of waiters ?? []) resolve();
  }

  private async persist(record: ServiceRecord): Promise<void> {
    const dir = join(this.stateDir, record.spec.name);
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const file = join(dir, 'service.json');
    const temporary = `${file}.${process.pid}.tmp`;
    await writePrivateFile(temporary, JSON.stringify(record, null, 2));
    await rename(temporary, file);
  }

  /** Serialises work on one service: the poll, status() and stop() must not interleave. */
  private withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(name) ?? Promise.resolve();
    const result = before.then(work, work);
    const settled = result.then(() => undefined, () => undefined);
    this.locks.set(name, settled);
    void settled.then(() => { if (this.locks.get(name) === settled) this.locks.delete(name); });
    return result;
  }
}
