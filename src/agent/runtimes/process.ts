// The process runtime, for hosts (and tests) without systemd: the agent supervises each run
// through a detached shim (process-shim.ts) that owns the program's output and exit status.
// Everything about a run sits in <stateDir>/<name>/runs/<runId>/: run.json (what to run),
// status.json (pids with their start times, exit) and output.log. A restarted agent re-reads
// them and checks, through /proc/<pid>/stat start times, that a pid is still the same process.
//
// Unlike systemd, this runtime does not enforce cpu or memory limits.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from '../../common/log.ts';
import { DEFAULT_PATH, lookupUser, processStartTime, resolveExecutable } from './host.ts';
import { followLogFile } from './log-file.ts';
import { OUTPUT_FILE, RUN_FILE, STATUS_FILE, type ShimRun, type ShimStatus } from './process-shim.ts';
import type { CrashLoopBackOff } from './restart-backoff.ts';
import { RuntimeError, type ContainerRuntime, type LogOptions, type ManagedService, type ServiceSpec } from './runtime.ts';
import { SupervisedRuntime, UNKNOWN_SERVICE_STOP_TIMEOUT_SEC, type Observation, type RunRef, type ServiceDriver } from './supervisor.ts';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writePrivateFile } from '../../common/private-files.ts';

export interface ProcessRuntimeOptions {
  /** Records, run files and logs live under it. */
  stateDir: string;
  backOff?: CrashLoopBackOff;
  pollIntervalMs?: number;
  log?: Logger;
}

/** Opens the process runtime and adopts the services a previous agent left running. */
export function openProcessRuntime(options: ProcessRuntimeOptions): Promise<ContainerRuntime> {
  return SupervisedRuntime.open(new ProcessDriver(options.stateDir), options);
}

const SHIM = fileURLToPath(new URL('./process-shim.ts', import.meta.url));
/** Runs kept per service: the latest and the previous one, as `kubectl logs --previous` needs. */
const RUNS_KEPT = 2;

interface RunFiles { runId: string; dir: string; status?: ShimStatus; run?: ShimRun; modified: number }

const alive = (pid: number | undefined, startTime: number | undefined) =>
  pid !== undefined && startTime !== undefined && processStartTime(pid) === startTime;

export class ProcessDriver implements ServiceDriver {
  readonly kind = 'process' as const;
  private readonly stateDir: string;

  constructor(stateDir: string) {
    this.stateDir = stateDir;
  }

  check(spec: ServiceSpec): void {
    if (spec.container) throw new RuntimeError('InvalidSpec', `service ${spec.name}: the process runtime runs packages, not container images`);
  }

  async install(): Promise<void> {
    // Nothing to prepare: each run carries its whole spec.
  }

  async launch(spec: ServiceSpec): Promise<RunRef> {
    const runId = randomUUID().replaceAll('-', '');
    const dir = join(this.runsDir(spec.name), runId);
    // The run's spec holds its environment (Secrets referenced by env): the agent's alone.
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const user = spec.user === undefined ? undefined : lookupUser(spec.user);
    if (spec.user !== undefined && !user) {
      return this.recordStartError(dir, runId, `user ${spec.user} does not exist on this host`);
    }
    // The environment a systemd service would get: a default PATH, and the user's identity when one is set.
    const env: Record<string, string> = {
      PATH: DEFAULT_PATH,
      ...(user?.name ? { USER: user.name, LOGNAME: user.name } : {}),
      ...(user?.home ? { HOME: user.home } : {}),
      ...(user?.shell ? { SHELL: user.shell } : {}),
      ...spec.env,
    };
    const program = resolveExecutable(spec.argv[0], env, spec.workingDir) ?? spec.argv[0];
    const run: ShimRun = {
      name: spec.name, labels: spec.labels, argv: [program, ...spec.argv.slice(1)], env,
      cwd: spec.workingDir, uid: user?.uid, gid: user?.gid,
    };
    await writePrivateFile(join(dir, RUN_FILE), JSON.stringify(run));
    const shimLog = openSync(join(dir, 'shim.log'), 'a', PRIVATE_FILE_MODE);
    try {
      const shim = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', SHIM, dir], { detached: true, stdio: ['ignore', shimLog, shimLog] });
      shim.unref();
    } finally {
      closeSync(shimLog);
    }
    const status = await this.waitForStart(dir);
    await this.pruneRuns(spec.name, runId);
    return { runId, pid: status.pid, startedAt: new Date(status.startedAt ?? status.exit?.finishedAt ?? Date.now()) };
  }

  async observe(targets: { name: string; run: RunRef }[]): Promise<Map<string, Observation>> {
    const result = new Map<string, Observation>();
    for (const { name, run } of targets) result.set(name, await observeRun(join(this.runsDir(name), run.runId)));
    return result;
  }

  async terminate(name: string, timeoutSec = UNKNOWN_SERVICE_STOP_TIMEOUT_SEC): Promise<void> {
    for (const run of await this.runs(name)) {
      const status = run.status;
      if (!status || status.exit) continue;
      const { pid, startTime } = status;
      if (alive(pid, startTime)) {
        signalGroup(pid!, 'SIGTERM');
        const deadline = Date.now() + timeoutSec * 1000;
        while (Date.now() < deadline && alive(pid, startTime)) await sleep(50);
        if (alive(pid, startTime)) signalGroup(pid!, 'SIGKILL');
      }
      // The shim records the exit status once the program is gone; give it a moment to do so.
      const recordBy = Date.now() + 5000;
      while (Date.now() < recordBy && alive(status.shimPid, status.shimStartTime) && !(await readStatus(run.dir))?.exit) await sleep(20);
    }
  }

  async uninstall(name: string): Promise<void> {
    await rm(this.runsDir(name), { recursive: true, force: true });
  }

  async installed(): Promise<ManagedService[]> {
    const services: ManagedService[] = [];
    const names = await readdir(this.stateDir).catch(() => [] as string[]);
    for (const name of names) {
      const runs = await this.runs(name);
      if (runs.length === 0) continue;
      services.push({ name, labels: runs[0].run?.labels });
    }
    return services;
  }

  logs(name: string, run: RunRef, options: LogOptions, runEnded: Promise<void>): Readable {
    const dir = join(this.runsDir(name), run.runId);
    const out = new PassThrough();
    void followLogFile(join(dir, OUTPUT_FILE), options, runEnded, out).catch((err: Error) => out.destroy(err));
    return out;
  }

  private runsDir(name: string): string {
    return join(this.stateDir, name, 'runs');
  }

  /** The service's run directories, newest first. */
  private async runs(name: string): Promise<RunFiles[]> {
    const ids = await readdir(this.runsDir(name)).catch(() => [] as string[]);
    const runs: RunFiles[] = [];
    for (const runId of ids) {
      const dir = join(this.runsDir(name), runId);
      const info = await stat(dir).catch(() => undefined);
      if (!info?.isDirectory()) continue;
      const run = await readFile(join(dir, RUN_FILE), 'utf8').then((t) => JSON.parse(t) as ShimRun).catch(() => undefined);
      runs.push({ runId, dir, run, status: await readStatus(dir), modified: info.birthtimeMs || info.mtimeMs });
    }
    return runs.sort((a, b) => b.modified - a.modified);
  }

  private async pruneRuns(name: string, keep: string): Promise<void> {
    const runs = await this.runs(name);
    const kept = new Set([keep, ...runs.filter((r) => r.runId !== keep).slice(0, RUNS_KEPT - 1).map((r) => r.runId)]);
    for (const run of runs) {
      if (!kept.has(run.runId) && !(run.status && !run.status.exit && alive(run.status.pid, run.status.startTime))) {
        await rm(run.dir, { recursive: true, force: true });
      }
    }
  }

  private async recordStartError(dir: string, runId: string, message: string): Promise<RunRef> {
    const now = new Date();
    const status: ShimStatus = { shimPid: 0, exit: { exitCode: 128, reason: 'StartError', message, finishedAt: now.toISOString() } };
    await writePrivateFile(join(dir, STATUS_FILE), JSON.stringify(status));
    return { runId, startedAt: now };
  }

  private async waitForStart(dir: string): Promise<ShimStatus> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = await readStatus(dir);
      if (status && (status.pid !== undefined || status.exit)) return status;
      if (Date.now() > deadline) {
        const shimLog = await readFile(join(dir, 'shim.log'), 'utf8').catch(() => '');
        throw new RuntimeError('RuntimeUnavailable', `the process shim did not report within 15s${shimLog ? `: ${shimLog.trim().slice(-500)}` : ''}`);
      }
      await sleep(10);
    }
  }
}

async function observeRun(dir: string): Promise<Observation> {
  const status = await readStatus(dir);
  if (status?.exit) {
    const { finishedAt, ...exit } = status.exit;
    return { state: 'terminated', termination: { ...exit, finishedAt: new Date(finishedAt), startedAt: status.startedAt ? new Date(status.startedAt) : undefined } };
  }
  if (status && (alive(status.pid, status.startTime) || alive(status.shimPid, status.shimStartTime))) {
    // A live shim whose program just ended is about to record the exit status.
    return { state: 'running', pid: status.pid };
  }
  // Both gone: the shim may have recorded the exit in between, else they were killed together
  // or the host rebooted, and nobody knows how the run ended.
  return (await readStatus(dir))?.exit ? observeRun(dir) : { state: 'vanished' };
}

async function readStatus(dir: string): Promise<ShimStatus | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STATUS_FILE), 'utf8')) as ShimStatus;
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
