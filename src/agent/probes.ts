// Container probes with a kubelet's semantics. A single check is an exec (the command runs with
// the service's user, working directory and environment), a TCP connect, or an HTTP GET where
// 200-399 is success. A ContainerProber runs a container's startup, liveness and readiness probes
// over time: while a startup probe has not succeeded the others wait; readiness starts false and
// needs successThreshold successes; liveness or startup failing failureThreshold times in a row
// asks for the container to be restarted.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Container, ContainerPort, Probe } from './pod-types.ts';
import { DEFAULT_PATH, lookupUser } from './runtimes/host.ts';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeOutcome { ok: boolean; message: string }

/** Where and how a container's probes run. */
export interface ProbeTarget {
  /** Host for tcpSocket and httpGet without their own host: the pod IP (the node's address). */
  host: string;
  env: Record<string, string>;
  workingDir?: string;
  /** User name or uid the exec probe runs as, like the service. */
  user?: string;
  ports?: ContainerPort[];
  /** Runs exec probes inside the container (the container runtime); otherwise they run on the host. */
  exec?: (command: string[], timeoutSec: number) => Promise<{ exitCode: number; output: string }>;
}

const MAX_OUTPUT = 10 * 1024;

function resolvePort(port: number | string, ports: ContainerPort[] | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return ports?.find((p) => p.name === port)?.containerPort;
}

async function execInContainer(command: string[], exec: NonNullable<ProbeTarget['exec']>, timeoutMs: number): Promise<ProbeOutcome> {
  try {
    const { exitCode, output } = await exec(command, timeoutMs / 1000);
    const text = output.trim().slice(0, 1024);
    return exitCode === 0 ? { ok: true, message: text } : { ok: false, message: `command exited with ${exitCode}${text ? `: ${text}` : ''}` };
  } catch (err) {
    return { ok: false, message: `command could not run in the container: ${(err as Error).message}` };
  }
}

function execProbe(command: string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (command.length === 0) return Promise.resolve({ ok: false, message: 'exec probe has no command' });
  if (target.exec) return execInContainer(command, target.exec, timeoutMs);
  const user = target.user === undefined ? undefined : lookupUser(target.user);
  if (target.user !== undefined && !user) return Promise.resolve({ ok: false, message: `user ${target.user} does not exist` });
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command[0], command.slice(1), {
      env: { PATH: DEFAULT_PATH, ...target.env }, cwd: target.workingDir, uid: user?.uid, gid: user?.gid, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => { if (output.length < MAX_OUTPUT) output += chunk.toString(); };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      resolve({ ok: false, message: `command timed out after ${timeoutMs / 1000}s` });
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `command could not run: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = output.trim().slice(0, 1024);
      resolve(code === 0 ? { ok: true, message: text } : { ok: false, message: `command exited with ${signal ?? code}${text ? `: ${text}` : ''}` });
    });
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: `connected to ${host}:${port}` });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: timed out after ${timeoutMs / 1000}s` });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.code ?? err.message}` }));
  });
}

function httpProbe(probe: NonNullable<Probe['httpGet']>, host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  const https = (probe.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
  const path = probe.path ? (probe.path.startsWith('/') ? probe.path : `/${probe.path}`) : '/';
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.33', accept: '*/*' };
  for (const header of probe.httpHeaders ?? []) headers[header.name.toLowerCase()] = header.value;
  const url = `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  return new Promise((resolve) => {
    const send = https ? httpsRequest : httpRequest;
    // Like a kubelet, HTTPS probes do not verify the certificate: they check liveness, not identity.
    const req = send(url, { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400
        ? { ok: true, message: `HTTP ${status}` }
        : { ok: false, message: `HTTP probe failed with statuscode: ${status}` });
    });
    req.once('timeout', () => {
      req.destroy();
      resolve({ ok: false, message: `Get "${url}": timed out after ${timeoutMs / 1000}s` });
    });
    req.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, message: `Get "${url}": ${err.code ?? err.message}` }));
    req.end();
  });
}

/** Runs one check of a probe once. */
export function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) return execProbe(probe.exec.command ?? [], target, timeoutMs);
  const action = probe.tcpSocket ?? probe.httpGet;
  if (!action) return Promise.resolve({ ok: false, message: 'the probe has no exec, tcpSocket or httpGet action' });
  const port = resolvePort(action.port, target.ports);
  if (port === undefined || port < 1 || port > 65535) return Promise.resolve({ ok: false, message: `port ${JSON.stringify(action.port)} is not a port number or a named container port` });
  const host = action.host || target.host;
  return probe.tcpSocket ? tcpProbe(host, port, timeoutMs) : httpProbe(probe.httpGet!, host, port, timeoutMs);
}

export interface ProbeStatus {
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  last?: ProbeOutcome & { at: Date };
}

export interface ProberEvents {
  /** Every probe's outcome (for metrics and events). */
  onProbed?(kind: ProbeKind, outcome: ProbeOutcome): void;
  onReadinessChange?(ready: boolean, outcome: ProbeOutcome): void;
  onStarted?(): void;
  /** Liveness or startup failed failureThreshold times: the container must be restarted. Probing stops. */
  onUnhealthy?(kind: 'liveness' | 'startup', outcome: ProbeOutcome): void;
}

/**
 * What was known of a run before this prober: a run adopted after an agent restart keeps the
 * readiness its pod reported (a kubelet's restart turned ready pods unready until the next
 * probe, kubernetes#100277), and its probes' initial delays count from the run's start.
 */
export interface ProberResume { ready: boolean; started: boolean; runningSeconds: number }

/**
 * The probes of one run of a container. Create it when the run starts (or is adopted, with
 * `resume`); stop() it when the run ends; a new run gets a new prober.
 */
export class ContainerProber {
  private readonly probes: Partial<Record<ProbeKind, Probe>>;
  private readonly target: ProbeTarget;
  private readonly events: ProberEvents;
  private readonly statuses: Record<ProbeKind, ProbeStatus>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readyState: boolean;
  private startedState: boolean;
  private stopped = false;
  /** How long the run had been running when this prober took it over (0 for a new run). */
  private readonly runningSeconds: number;

  constructor(container: Pick<Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'>, target: ProbeTarget, events: ProberEvents = {}, resume?: ProberResume) {
    this.probes = { startup: container.startupProbe, liveness: container.livenessProbe, readiness: container.readinessProbe };
    this.target = target;
    this.events = events;
    const fresh = (): ProbeStatus => ({ consecutiveSuccesses: 0, consecutiveFailures: 0 });
    this.statuses = { startup: fresh(), liveness: fresh(), readiness: fresh() };
    this.startedState = !this.probes.startup || (resume?.started ?? false);
    // Without a readiness probe a started container is ready.
    this.readyState = this.startedState && (!this.probes.readiness || (resume?.ready ?? false));
    this.runningSeconds = resume?.runningSeconds ?? 0;
  }

  /** True once the startup probe succeeded (or there is none). */
  get started(): boolean {
    return this.startedState;
  }

  get ready(): boolean {
    return this.readyState;
  }

  status(kind: ProbeKind): ProbeStatus {
    return { ...this.statuses[kind] };
  }

  start(): void {
    if (!this.startedState) this.schedule('startup', this.initialDelay(this.probes.startup!));
    else this.startOthers();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private startOthers(): void {
    for (const kind of ['liveness', 'readiness'] as const) {
      const probe = this.probes[kind];
      if (probe) this.schedule(kind, this.initialDelay(probe));
    }
  }

  private initialDelay(probe: Probe): number {
    return Math.max(0, (probe.initialDelaySeconds ?? 0) - this.runningSeconds);
  }

  private schedule(kind: ProbeKind, delaySeconds: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.check(kind);
    }, delaySeconds * 1000);
    this.timers.add(timer);
  }

  private async check(kind: ProbeKind): Promise<void> {
    const probe = this.probes[kind]!;
    const outcome = await runProbe(probe, this.target);
    if (this.stopped) return;
    const status = this.statuses[kind];
    status.last = { ...outcome, at: new Date() };
    this.events.onProbed?.(kind, outcome);
    if (outcome.ok) {
      status.consecutiveSuccesses += 1;
      status.consecutiveFailures = 0;
    } else {
      status.consecutiveFailures += 1;
      status.consecutiveSuccesses = 0;
    }
    // successThreshold applies to readiness only; the others succeed on the first success.
    const succeeded = outcome.ok && (kind !== 'readiness' || status.consecutiveSuccesses >= (probe.successThreshold ?? 1));
    const failed = !outcome.ok && status.consecutiveFailures >= (probe.failureThreshold ?? 3);

    if (kind === 'startup') {
      if (succeeded) {
        this.startedState = true;
        if (!this.probes.readiness) this.setReady(true, outcome);
        this.events.onStarted?.();
        this.startOthers();
        return;
      }
      if (failed) return this.unhealthy('startup', outcome);
    } else if (kind === 'liveness') {
      if (failed) return this.unhealthy('liveness', outcome);
    } else if (succeeded) {
      this.setReady(true, outcome);
    } else if (failed) {
      this.setReady(false, outcome);
    }
    this.schedule(kind, probe.periodSeconds ?? 10);
  }

  private setReady(ready: boolean, outcome: ProbeOutcome): void {
    if (this.readyState === ready) return;
    this.readyState = ready;
    this.events.onReadinessChange?.(ready, outcome);
  }

  private unhealthy(kind: 'liveness' | 'startup', outcome: ProbeOutcome): void {
    this.setReady(false, outcome);
    this.stop();
    this.events.onUnhealthy?.(kind, outcome);
  }
}
