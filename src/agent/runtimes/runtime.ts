// The contract between the agent's pod lifecycle and the thing that actually runs a container's
// process: a systemd unit (systemd.ts), a process the agent supervises itself (process.ts), or an
// OCI container run by a CRI runtime such as containerd (container.ts).
//
// Restarts are the runtime's job, not systemd's: units are written with Restart=no and the
// runtime's supervisor (supervisor.ts) starts a new run after the Kubernetes crash-loop back-off
// (10s, 20s, 40s ... capped at 5 minutes, reset after 10 minutes of running). systemd 252 has no
// exponential restart delay, and only the agent can report the back-off as CrashLoopBackOff, so
// both runtimes share one restart policy implementation. Like a kubelet, a stopped agent restarts
// nothing; services that keep running are adopted when it comes back.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export type RestartPolicy = 'always' | 'on-failure' | 'never';

/** What ties a service to its pod; stored with the service so a restarted agent can adopt it. */
export interface ServiceLabels {
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
}

/** A directory of the host bind-mounted into a container. */
export interface ContainerMount { hostPath: string; containerPath: string; readOnly: boolean }

/** What only the container runtime needs: the image and the mounts (package runtimes share the host's files). */
export interface ContainerPart {
  /** The image, pinned to its digest once pulled. */
  image: string;
  mounts: ContainerMount[];
  /**
   * True when the pod gave no command: argv then holds the container's args (possibly none) and
   * the image's entrypoint runs, as Kubernetes does.
   */
  entrypointFromImage?: boolean;
}

export type RuntimeKind = 'systemd' | 'process' | 'container';

export interface ServiceSpec {
  /** From serviceName(namespace, pod, container). */
  name: string;
  /** From podSliceName(namespace, pod): every container of a pod shares it. */
  slice: string;
  labels: ServiceLabels;
  /** The program and its arguments, run without a shell. argv[0] is absolute or found on PATH. */
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  /** A user name or numeric uid; the service runs as the agent's user when absent. */
  user?: string;
  restart: RestartPolicy;
  /** Time between SIGTERM and SIGKILL when the service is stopped. */
  stopTimeoutSec: number;
  /** CPU limit in millicores (1000 = one core). */
  cpuMillis?: number;
  /** Memory limit in bytes. */
  memoryBytes?: number;
  /** Set for the container runtime only. */
  container?: ContainerPart;
}

/** Kubernetes' reasons for a terminated container. */
export type TerminationReason = 'Completed' | 'Error' | 'OOMKilled' | 'StartError' | 'ContainerStatusUnknown';

export interface Termination {
  /** Exit status, or 128 + signal number when a signal ended the process. */
  exitCode: number;
  signal?: string;
  reason: TerminationReason;
  message?: string;
  startedAt?: Date;
  finishedAt: Date;
}

/**
 * running: the latest run is alive. exited: it ended with status 0. failed: it ended otherwise
 * or could not start. absent: the runtime knows no service by this name.
 */
export type ServiceState = 'running' | 'exited' | 'failed' | 'absent';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  labels?: ServiceLabels;
  pid?: number;
  startedAt?: Date;
  /** How the latest run ended (state exited or failed). */
  termination?: Termination;
  /** How the run before the latest one ended: a container's lastState. */
  lastTermination?: Termination;
  /** Runs started after the first one. */
  restartCount: number;
  /** Set while a restart waits out the crash-loop back-off (Kubernetes' CrashLoopBackOff). */
  backOff?: { nextRestartAt: Date; delaySeconds: number };
  /** True after stop(): the supervisor will not restart it until start() is called again. */
  stopped: boolean;
}

export interface LogOptions {
  /** Keep the stream open and pass on new lines until the run ends. */
  follow?: boolean;
  /** Only the last N lines (before following). */
  tailLines?: number;
  /** Only lines written at or after this instant. */
  sinceTime?: Date;
  /** Prefix each line with its RFC 3339 timestamp and a space, as `kubectl logs --timestamps`. */
  timestamps?: boolean;
  /** The run before the latest one (`kubectl logs --previous`). */
  previous?: boolean;
}

export interface ManagedService {
  name: string;
  /** Missing when the service was found without its identification (a foreign or damaged unit). */
  labels?: ServiceLabels;
}

export interface ExecResult { exitCode: number; output: string }

/**
 * A run of a service started or ended: a kubelet's pod lifecycle events (ContainerStarted,
 * ContainerDied), so that the pod's status follows at once rather than at the next periodic look.
 */
export interface RunEvent { type: 'ContainerStarted' | 'ContainerDied'; name: string; labels: ServiceLabels }

export interface ContainerRuntime {
  readonly kind: RuntimeKind;
  /**
   * Makes the service exist with this spec and starts its first run. Idempotent: with the same
   * spec and a service already managed, it changes nothing (the restart policy decides about
   * later runs); a changed spec stops the old run and starts anew; after stop() it starts again.
   * A program that cannot start is not an error here: status() shows reason StartError.
   */
  start(spec: ServiceSpec): Promise<void>;
  /** SIGTERM to all its processes, SIGKILL after timeoutSec; no restart until start(). */
  stop(name: string, timeoutSec: number): Promise<ServiceStatus>;
  /** Stops it (with its own stop timeout) when running and forgets it, including its logs. */
  remove(name: string): Promise<void>;
  status(name: string): Promise<ServiceStatus>;
  /** Every service this runtime manages or finds installed, for adoption and cleanup at start. */
  list(): Promise<ManagedService[]>;
  /** Output of the latest (or previous) run, one line per line. Rejects with RuntimeError NotFound. */
  logs(name: string, options?: LogOptions): Promise<Readable>;
  /**
   * Runs a command inside the service's running container (the container runtime only: the
   * others run exec probes on the host). Rejects with RuntimeError NotFound when it is not running.
   */
  exec?(name: string, argv: string[], timeoutSec: number): Promise<ExecResult>;
  /** Calls `listener` on every run that starts or ends, restarts included; returns its unsubscribe. */
  onRunEvent(listener: (event: RunEvent) => void): () => void;
  /** Stops supervising; the services themselves keep running for the next agent to adopt. */
  close(): Promise<void>;
}

export type RuntimeErrorReason = 'InvalidSpec' | 'NotFound' | 'RuntimeUnavailable';

/** A failure of the runtime itself (not of the service), with a reason the agent can report. */
export class RuntimeError extends Error {
  readonly reason: RuntimeErrorReason;
  constructor(reason: RuntimeErrorReason, message: string) {
    super(message);
    this.name = 'RuntimeError';
    this.reason = reason;
  }
}

// systemd's unit names are at most 255 bytes; the suffix (".service", ".slice") must fit too.
const MAX_BODY = 240;
const SAFE = /[a-z0-9.-]/i;

/**
 * Escapes one name component the way systemd-escape does (\xHH), so the separators stay unique.
 * Kubernetes names are [a-z0-9.-] and pass unchanged; in slice names "-" means nesting, so there
 * it is escaped too.
 */
function escapeComponent(value: string, escapeDash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += SAFE.test(ch) && !(escapeDash && ch === '-') ? ch : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Shortens an over-long name; the ':' marker never occurs otherwise, so shortened names never collide with plain ones. */
function fitLength(body: string, identity: string): string {
  if (body.length <= MAX_BODY) return body;
  const digest = createHash('sha256').update(identity).digest('hex').slice(0, 16);
  return `${body.slice(0, MAX_BODY - digest.length - 1)}:${digest}`;
}

/**
 * The unit (and process) name of a container: granary-<namespace>_<pod>_<container>.service.
 * Underscores never occur in Kubernetes names, so different triples give different names.
 */
export function serviceName(namespace: string, pod: string, container: string): string {
  const parts = [namespace, pod, container];
  if (parts.some((p) => p.length === 0)) throw new RuntimeError('InvalidSpec', 'namespace, pod and container names must not be empty');
  const body = `granary-${parts.map((p) => escapeComponent(p, false)).join('_')}`;
  return `${fitLength(body, parts.join('\0'))}.service`;
}

/**
 * Whether a unit name is a pod container's service (granary-<namespace>_<pod>_<container>.service)
 * rather than one of Granary's own services (granary-agent.service, granary-apiserver.service,
 * ...), which have no "_": an agent must never adopt, stop or remove those.
 */
export function isContainerServiceName(name: string): boolean {
  return /^granary-[^_/]+_[^/]*\.service$/.test(name);
}

/** The pod's slice, granary-<namespace>_<pod>.slice, a child of granary.slice. */
export function podSliceName(namespace: string, pod: string): string {
  if (!namespace || !pod) throw new RuntimeError('InvalidSpec', 'namespace and pod names must not be empty');
  const body = `granary-${escapeComponent(namespace, true)}_${escapeComponent(pod, true)}`;
  return `${fitLength(body, `${namespace}\0${pod}`)}.slice`;
}

// Kubernetes' rule for environment variable names.
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Refuses specs no runtime could run faithfully, with the field at fault. */
export function validateSpec(spec: ServiceSpec): void {
  const problems: string[] = [];
  if (!/^granary-[^/]+\.service$/.test(spec.name)) problems.push(`name ${JSON.stringify(spec.name)} is not a granary service name (use serviceName())`);
  if (!/^granary-[^/]+\.slice$/.test(spec.slice)) problems.push(`slice ${JSON.stringify(spec.slice)} is not a granary slice name (use podSliceName())`);
  if (!spec.container?.entrypointFromImage && (spec.argv.length === 0 || !spec.argv[0])) problems.push('argv is empty: the container needs a command');
  if (spec.argv.some((a) => a.includes('\0'))) problems.push('argv contains a NUL character');
  for (const [key, value] of Object.entries(spec.env)) {
    if (!ENV_NAME.test(key)) problems.push(`environment variable name ${JSON.stringify(key)} must not start with a digit and may contain only letters, digits, "_", "-" and "."`);
    if (value.includes('\0')) problems.push(`environment variable ${key} contains a NUL character`);
  }
  if (spec.workingDir !== undefined && (!spec.workingDir.startsWith('/') || /[\0\n]/.test(spec.workingDir))) {
    problems.push(`workingDir ${JSON.stringify(spec.workingDir)} must be an absolute path on one line`);
  }
  if (spec.user !== undefined && !/^[a-z_][a-z0-9_-]*\$?$|^\d+$/i.test(spec.user)) problems.push(`user ${JSON.stringify(spec.user)} is neither a user name nor a numeric uid`);
  if (!['always', 'on-failure', 'never'].includes(spec.restart)) problems.push(`restart must be always, on-failure or never, not ${JSON.stringify(spec.restart)}`);
  if (!(spec.stopTimeoutSec >= 0)) problems.push('stopTimeoutSec must be zero or more');
  if (spec.cpuMillis !== undefined && !(spec.cpuMillis > 0)) problems.push('cpuMillis must be positive');
  if (spec.memoryBytes !== undefined && !(spec.memoryBytes > 0)) problems.push('memoryBytes must be positive');
  for (const mount of spec.container?.mounts ?? []) {
    if (!mount.hostPath.startsWith('/') || !mount.containerPath.startsWith('/') || /\0/.test(mount.hostPath + mount.containerPath)) {
      problems.push(`mount ${JSON.stringify(mount.hostPath)} → ${JSON.stringify(mount.containerPath)} must join two absolute paths`);
    }
  }
  if (spec.container && !spec.container.image) problems.push('the container has no image');
  if (problems.length) throw new RuntimeError('InvalidSpec', `service ${spec.name}: ${problems.join('; ')}`);
}

/** A digest of everything that shapes a run: a different digest means the service must be restarted. */
export function specDigest(spec: ServiceSpec): string {
  const canonical = JSON.stringify(spec, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value);
  return createHash('sha256').update(canonical).digest('hex');
}
