// A service spec as a systemd unit file, and the identification read back from one. Values are
// quoted and escaped so that systemd hands every argument and variable to the program exactly as
// given: no word splitting, no $VAR expansion, no %-specifiers. The environment (which may hold
// Secrets) is not in the unit, which every local user may read (and `systemctl show` tells anyone):
// it is an EnvironmentFile readable by root alone, which systemd reads before dropping privileges.
import type { ServiceLabels, ServiceSpec } from './runtime.ts';

/** Keys in the [Unit] section that identify a granary service (systemd ignores X- keys). */
const LABEL_KEYS: Record<keyof ServiceLabels, string> = {
  namespace: 'X-Granary-Namespace',
  pod: 'X-Granary-Pod',
  podUid: 'X-Granary-Pod-UID',
  container: 'X-Granary-Container',
};
const DIGEST_KEY = 'X-Granary-Spec-Digest';

/** systemd's rule for variable names it accepts in Environment=. */
export const SYSTEMD_ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A double-quoted word of a command line for systemd: C escapes for quotes, backslashes and control characters. */
function quote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '%') out += '%%';
    else if (ch === '$') out += '$$';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * A plain value on one line: only specifiers need escaping. A value systemd cannot take plainly
 * (a control character, or a final backslash, which would continue the line into the next
 * setting) is refused: the drivers check specs before rendering them (unitValueProblem).
 */
function plain(value: string): string {
  const problem = unitValueProblem(value);
  if (problem) throw new Error(`cannot write ${JSON.stringify(value)} into a unit file: it ${problem}`);
  return value.replaceAll('%', '%%');
}

/** Why a value cannot stand unquoted in a unit file, or undefined when it can. */
export function unitValueProblem(value: string): string | undefined {
  if (/[\x00-\x1f\x7f]/.test(value)) return 'holds a control character';
  if (value.endsWith('\\')) return 'ends in a backslash, which would continue it into the next line';
  return undefined;
}

/** The environment as an EnvironmentFile: one NAME="value" line each, escaped so systemd reads it verbatim. */
export function renderEnvironmentFile(env: Record<string, string>): string {
  return Object.entries(env).map(([name, value]) => `${name}="${value.replace(/[\\"`$]/g, (c) => `\\${c}`)}"\n`).join('');
}

function formatSeconds(seconds: number): string {
  // TimeoutStopSec=0 would mean "wait forever"; a grace period of zero means "kill at once".
  return seconds > 0 ? `${seconds}s` : '1ms';
}

/** CPUQuota in percent of one core (systemd takes two decimals): 1500 millicores → 150%. */
export function cpuQuota(millicores: number): string {
  return `${Math.max(0.01, Math.round(millicores * 10) / 100)}%`;
}

/**
 * The unit file for a spec whose program has already been resolved to an absolute path.
 * Restart=no because the agent's supervisor restarts (see runtime.ts); RemainAfterExit=yes keeps
 * a finished run's exit status loaded until the next run, where systemd would otherwise unload
 * the unit and forget it.
 */
export function renderUnit(spec: ServiceSpec, digest: string, environmentFile: string | undefined): string {
  const { labels } = spec;
  const unit = [
    '[Unit]',
    `Description=${plain(`granary ${labels.namespace}/${labels.pod} container ${labels.container}`)}`,
    ...Object.entries(LABEL_KEYS).map(([field, key]) => `${key}=${plain(labels[field as keyof ServiceLabels])}`),
    `${DIGEST_KEY}=${digest}`,
    '',
    '[Service]',
    'Type=exec',
    `Slice=${spec.slice}`,
    `ExecStart=${spec.argv.map(quote).join(' ')}`,
    ...(environmentFile ? [`EnvironmentFile=${plain(environmentFile)}`] : []),
  ];
  if (spec.workingDir) unit.push(`WorkingDirectory=${plain(spec.workingDir)}`);
  if (spec.user) unit.push(`User=${spec.user}`);
  unit.push(
    'Restart=no',
    'RemainAfterExit=yes',
    'KillMode=control-group',
    `TimeoutStopSec=${formatSeconds(spec.stopTimeoutSec)}`,
  );
  if (spec.cpuMillis !== undefined) unit.push(`CPUQuota=${cpuQuota(spec.cpuMillis)}`);
  if (spec.memoryBytes !== undefined) unit.push(`MemoryMax=${Math.floor(spec.memoryBytes)}`);
  return `${unit.join('\n')}\n`;
}

export interface UnitIdentity { labels?: ServiceLabels; digest?: string }

/** The labels and spec digest stored in a unit file; labels are absent unless all four are there. */
export function readUnitIdentity(text: string): UnitIdentity {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(X-Granary-[A-Za-z-]+)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1], match[2].replaceAll('%%', '%'));
  }
  const entries = Object.entries(LABEL_KEYS).map(([field, key]) => [field, values.get(key)] as const);
  const labels = entries.every(([, value]) => value !== undefined)
    ? Object.fromEntries(entries) as unknown as ServiceLabels
    : undefined;
  return { labels, digest: values.get(DIGEST_KEY) };
}
