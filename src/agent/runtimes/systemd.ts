// The systemd runtime: each container is a unit file in the systemd instance's unit directory,
// run and observed with systemctl, its output read back with journalctl. The commands can be
// prefixed (nsenter into a test systemd, say), so nothing here assumes the host's own PID 1.
import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from '../../common/log.ts';
import { resolveExecutable } from './host.ts';
import { isContainerServiceName, RuntimeError, type ContainerRuntime, type LogOptions, type ManagedService, type ServiceSpec, type Termination } from './runtime.ts';
import type { CrashLoopBackOff } from './restart-backoff.ts';
import { SupervisedRuntime, UNKNOWN_SERVICE_STOP_TIMEOUT_SEC, type Observation, type RunRef, type ServiceDriver } from './supervisor.ts';
import { readUnitIdentity, renderEnvironmentFile, renderUnit, SYSTEMD_ENV_NAME, unitValueProblem } from './unit-file.ts';
import { formatLogTimestamp } from './log-lines.ts';
import { ensurePrivateDir, writePrivateFile } from '../../common/private-files.ts';

export interface SystemdRuntimeOptions {
  /** Where unit files go: /run/systemd/system (gone at reboot, like pods) or /etc/systemd/system. */
  unitDir: string;
  /** Where the supervisor keeps its per-service records. */
  stateDir: string;
  /** Put before every systemctl and journalctl command, e.g. ['nsenter', '-t', pid, '-m', '-p', '--']. */
  commandPrefix?: string[];
  backOff?: CrashLoopBackOff;
  pollIntervalMs?: number;
  log?: Logger;
}

/** Opens the systemd runtime and adopts the services a previous agent left running. */
export function openSystemdRuntime(options: SystemdRuntimeOptions): Promise<ContainerRuntime> {
  return SupervisedRuntime.open(new SystemdDriver(options), options);
}

/** The exit statuses systemd itself uses when it cannot start a program (systemd.exec(5)). */
const SYSTEMD_START_FAILURES: Record<number, string> = {
  200: 'the working directory could not be entered',
  203: 'the program could not be executed (missing, not executable or a bad interpreter)',
  209: 'standard input or output could not be set up',
  214: 'the scheduling policy could not be set',
  216: 'the group could not be set',
  217: 'the user does not exist or could not be switched to',
  218: 'capabilities could not be set',
  226: 'the namespace setup failed',
  236: 'the environment could not be set up',
};

// Properties read for every observation; timestamps come as "Wed 2025-01-01 10:00:00.123456 UTC".
const SHOW_PROPERTIES = ['Id', 'LoadState', 'ActiveState', 'SubState', 'InvocationID', 'MainPID', 'ExecMainCode', 'ExecMainStatus', 'ExecMainStartTimestamp', 'ExecMainExitTimestamp', 'Result'];
const LIVE_STATES = new Set(['active', 'activating', 'deactivating', 'reloading']);
const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };

function parseShowTimestamp(value: string | undefined): Date | undefined {
  const match = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) UTC$/.exec(value ?? '');
  return match ? new Date(`${match[1]}T${match[2]}Z`) : undefined;
}

/** How a unit's last run ended, in Kubernetes' terms. */
export function terminationFromUnit(props: Record<string, string>): Termination {
  const code = Number(props.ExecMainCode);
  const status = Number(props.ExecMainStatus);
  const startedAt = parseShowTimestamp(props.ExecMainStartTimestamp);
  const finishedAt = parseShowTimestamp(props.ExecMainExitTimestamp) ?? new Date();
  const killed = code === 2 || code === 3;
  if (killed) {
    const signal = SIGNALS[status] ?? `signal ${status}`;
    return { exitCode: 128 + status, signal, reason: props.Result === 'oom-kill' ? 'OOMKilled' : 'Error', startedAt, finishedAt };
  }
  if (props.Result === 'oom-kill') return { exitCode: status || 137, reason: 'OOMKilled', startedAt, finishedAt };
  const startFailure = SYSTEMD_START_FAILURES[status];
  if (startFailure && props.Result === 'exit-code') {
    return { exitCode: 128, reason: 'StartError', message: `systemd exit status ${status}: ${startFailure}`, startedAt, finishedAt };
  }
  return { exitCode: status, reason: status === 0 ? 'Completed' : 'Error', startedAt, finishedAt };
}

export class SystemdDriver implements ServiceDriver {
  readonly kind = 'systemd' as const;
  private readonly unitDir: string;
  /** Each service's EnvironmentFile: 0600 files in a 0700 directory, read by systemd as root. */
  private readonly environmentDir: string;
  private readonly prefix: string[];

  constructor(options: Pick<SystemdRuntimeOptions, 'unitDir' | 'stateDir' | 'commandPrefix'>) {
    this.unitDir = options.unitDir;
    this.environmentDir = join(options.stateDir, 'systemd-environment');
    this.prefix = options.commandPrefix ?? [];
  }

  check(spec: ServiceSpec): void {
    if (spec.container) throw new RuntimeError('InvalidSpec', `service ${spec.name}: the systemd runtime runs packages, not container images`);
    const refused = Object.keys(spec.env).filter((name) => !SYSTEMD_ENV_NAME.test(name));
    if (refused.length) {
      throw new RuntimeError('InvalidSpec', `service ${spec.name}: systemd accepts only letters, digits and "_" in environment variable names, not ${refused.map((n) => JSON.stringify(n)).join(', ')}`);
    }
    const problem = spec.workingDir === undefined ? undefined : unitValueProblem(spec.workingDir);
    if (problem) throw new RuntimeError('InvalidSpec', `service ${spec.name}: systemd cannot use the working directory ${JSON.stringify(spec.workingDir)}: it ${problem}`);
  }

  async install(spec: ServiceSpec, digest: string): Promise<void> {
    // systemd looks programs up on its own fixed path; the container's PATH decides here.
    const program = resolveExecutable(spec.argv[0], spec.env, spec.workingDir) ?? spec.argv[0];
    const environmentFile = Object.keys(spec.env).length > 0 ? join(this.environmentDir, spec.name) : undefined;
    if (environmentFile) {
      await ensurePrivateDir(this.environmentDir);
      await writePrivateFile(`${environmentFile}.tmp`, renderEnvironmentFile(spec.env));
      await rename(`${environmentFile}.tmp`, environmentFile);
    }
    const text = renderUnit({ ...spec, argv: [program, ...spec.argv.slice(1)] }, digest, environmentFile);
    const file = join(this.unitDir, spec.name);
    if ((await readFile(file, 'utf8').catch(() => undefined)) === text) return;
    await mkdir(this.unitDir, { recursive: true });
    await writeFile(`${file}.tmp`, text);
    await rename(`${file}.tmp`, file);
    await this.systemctl(['daemon-reload']);
  }

  async launch(spec: ServiceSpec): Promise<RunRef> {
    // restart, not start: a finished run stays "active (exited)" (RemainAfterExit) until replaced.
    const started = await this.run('systemctl', ['restart', spec.name]);
    const props = (await this.show([spec.name]))[0];
    if (!props?.InvocationID) {
      throw new RuntimeError('RuntimeUnavailable', `systemd did not start ${spec.name}: ${started.stderr.trim() || `unit is ${props?.LoadState ?? 'unknown'}`}`);
    }
    const pid = Number(props.MainPID);
    return { runId: props.InvocationID, pid: pid > 0 ? pid : undefined, startedAt: parseShowTimestamp(props.ExecMainStartTimestamp) ?? new Date() };
  }

  async observe(targets: { name: string; run: RunRef }[]): Promise<Map<string, Observation>> {
    const shown = await this.show(targets.map((t) => t.name));
    const result = new Map<string, Observation>();
    targets.forEach(({ name, run }, index) => {
      const props = shown[index];
      if (!props || props.InvocationID !== run.runId) {
        result.set(name, { state: 'vanished' });
      } else if (LIVE_STATES.has(props.ActiveState) && props.SubState !== 'exited') {
        const pid = Number(props.MainPID);
        result.set(name, { state: 'running', pid: pid > 0 ? pid : undefined });
      } else {
        result.set(name, { state: 'terminated', termination: terminationFromUnit(props) });
      }
    });
    return result;
  }

  async terminate(name: string, timeoutSec = UNKNOWN_SERVICE_STOP_TIMEOUT_SEC): Promise<void> {
    if (!(await this.mainProcessAlive(name))) {
      await this.killLeftovers(name);
      return;
    }
    await this.run('systemctl', ['kill', '--kill-whom=all', '--signal=SIGTERM', name]);
    const deadline = Date.now() + timeoutSec * 1000;
    while (Date.now() < deadline && (await this.mainProcessAlive(name))) await sleep(100);
    // Past the grace period, or the main process is gone: like a container's, everything else dies with it.
    await this.killLeftovers(name);
    const killDeadline = Date.now() + 30_000;
    while (await this.mainProcessAlive(name)) {
      if (Date.now() > killDeadline) throw new RuntimeError('RuntimeUnavailable', `${name} is still running 30s after SIGKILL (a process stuck in the kernel?)`);
      await sleep(50);
    }
  }

  async uninstall(name: string): Promise<void> {
    const slice = sliceOf(await readFile(join(this.unitDir, name), 'utf8').catch(() => ''));
    await this.run('systemctl', ['stop', name]);
    await this.run('systemctl', ['reset-failed', name]);
    await rm(join(this.unitDir, name), { force: true });
    await rm(join(this.unitDir, `${name}.d`), { recursive: true, force: true });
    await rm(join(this.environmentDir, name), { force: true });
    await this.systemctl(['daemon-reload']);
    // The pod's slice goes with its last service, so that no empty slice of a gone pod lingers.
    if (slice && !(await this.sliceInUse(slice))) await this.run('systemctl', ['stop', slice]);
  }

  private async sliceInUse(slice: string): Promise<boolean> {
    const files = await readdir(this.unitDir).catch(() => [] as string[]);
    for (const file of files.filter((f) => f.endsWith('.service'))) {
      if (sliceOf(await readFile(join(this.unitDir, file), 'utf8').catch(() => '')) === slice) return true;
    }
    return false;
  }

  async installed(): Promise<ManagedService[]> {
    const found = new Map<string, ManagedService>();
    const files = await readdir(this.unitDir).catch(() => [] as string[]);
    for (const file of files.filter(isContainerServiceName)) {
      const text = await readFile(join(this.unitDir, file), 'utf8').catch(() => '');
      found.set(file, { name: file, labels: readUnitIdentity(text).labels });
    }
    // Units still loaded after their file went away are found too, so they can be stopped. Granary's
    // own services (granary-agent.service, ...) share the prefix but are not the agent's to manage.
    const listed = await this.systemctl(['list-units', '--all', '--plain', '--no-legend', '--no-pager', 'granary-*.service']);
    for (const line of listed.split('\n')) {
      const name = line.trim().split(/\s+/)[0];
      if (name && isContainerServiceName(name) && !found.has(name)) found.set(name, { name });
    }
    return [...found.values()];
  }

  logs(name: string, run: RunRef, options: LogOptions, runEnded: Promise<void>): Readable {
    const args = ['-o', 'json', '--no-pager', '--output-fields=MESSAGE', `_SYSTEMD_UNIT=${name}`, `_SYSTEMD_INVOCATION_ID=${run.runId}`];
    if (options.tailLines !== undefined) args.push('-n', String(Math.max(0, options.tailLines)));
    else args.push('--no-tail');
    if (options.sinceTime) args.push('--since', `@${(options.sinceTime.getTime() / 1000).toFixed(3)}`);
    if (options.follow) args.push('--follow');
    const [command, ...rest] = [...this.prefix, 'journalctl', ...args];
    // Its own process group: a command prefix such as nsenter forks, and the whole group must go.
    const child = spawn(command, rest, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stopped = false;
    const stopReading = () => {
      stopped = true;
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
    };
    const out = new PassThrough();
    let lastLineAt = Date.now();
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (json) => {
      lastLineAt = Date.now();
      const entry = parseJournalEntry(json);
      if (!entry || (options.sinceTime && entry.time.getTime() < options.sinceTime.getTime())) return;
      out.write(`${options.timestamps ? `${formatLogTimestamp(entry.time, entry.micros)} ` : ''}${entry.message}\n`);
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    child.on('close', (code) => {
      if (code && code !== 0 && !stopped) out.destroy(new RuntimeError('RuntimeUnavailable', `journalctl failed: ${errors.trim()}`));
      else out.end();
    });
    child.on('error', (err) => out.destroy(new RuntimeError('RuntimeUnavailable', `journalctl could not run: ${err.message}`)));
    out.on('close', () => { if (child.exitCode === null) stopReading(); });
    if (options.follow) {
      // journald may still be writing the run's last lines when it ends: stop once output is quiet.
      void runEnded.then(async () => {
        while (child.exitCode === null && Date.now() - lastLineAt < 500) await sleep(100);
        if (child.exitCode === null) stopReading();
      });
    }
    return out;
  }

  private async mainProcessAlive(name: string): Promise<boolean> {
    const props = (await this.show([name]))[0];
    return !!props && LIVE_STATES.has(props.ActiveState) && props.SubState !== 'exited' && Number(props.MainPID) > 0;
  }

  private async killLeftovers(name: string): Promise<void> {
    // Fails harmlessly for units that are not loaded or have no processes left.
    await this.run('systemctl', ['kill', '--kill-whom=all', '--signal=SIGKILL', name]);
  }

  /** `systemctl show` for several units at once: one property map per unit, in order. */
  private async show(names: string[]): Promise<Record<string, string>[]> {
    if (names.length === 0) return [];
    const text = await this.systemctl(['show', '--timestamp=us+utc', `--property=${SHOW_PROPERTIES.join(',')}`, ...names]);
    return text.split(/\n\n+/).filter((block) => block.trim()).map((block) => {
      const props: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
      }
      return props;
    });
  }

  /** A systemctl command that must succeed. */
  private async systemctl(args: string[]): Promise<string> {
    const result = await this.run('systemctl', args);
    if (result.code !== 0) {
      throw new RuntimeError('RuntimeUnavailable', `systemctl ${args.join(' ')} failed: ${result.stderr.trim() || `exit status ${result.code}`}`);
    }
    return result.stdout;
  }

  private run(tool: 'systemctl' | 'journalctl', args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const [command, ...rest] = [...this.prefix, tool, ...args];
    return new Promise((resolve, reject) => {
      execFile(command, rest, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new RuntimeError('RuntimeUnavailable', `${tool} could not run: ${err.message}`));
          return;
        }
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      });
    });
  }
}

interface JournalEntry { time: Date; micros: number; message: string }

/** One line of `journalctl -o json`; MESSAGE is an array of bytes when it is not valid UTF-8. */
export function parseJournalEntry(json: string): JournalEntry | undefined {
  let entry: { MESSAGE?: unknown; __REALTIME_TIMESTAMP?: string };
  try {
    entry = JSON.parse(json) as typeof entry;
  } catch {
    return undefined;
  }
  const micros = Number(entry.__REALTIME_TIMESTAMP);
  if (!Number.isFinite(micros)) return undefined;
  const raw = entry.MESSAGE;
  const message = typeof raw === 'string' ? raw : Array.isArray(raw) ? Buffer.from(raw as number[]).toString('utf8') : '';
  return { time: new Date(Math.floor(micros / 1000)), micros: micros % 1_000_000, message };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Slice= of a unit file's text, if it names one. */
function sliceOf(unitText: string): string | undefined {
  return /^Slice=(.+)$/m.exec(unitText)?.[1];
}
