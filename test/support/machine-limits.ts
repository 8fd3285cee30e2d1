// The one list of reasons a test may be skipped in CI (CI=true): what a machine may lack that the
// test command cannot give it. Everything else a test needs — Debian packages scripts/test-deps.sh
// installs (systemd, containerd, zookeeper and its Java, python3-kubernetes, ...), npm
// dependencies — must be there, and a test skipped for anything else fails the run in CI
// (test/support/skip-reporter.ts enforces it).
import { existsSync, readFileSync } from 'node:fs';

export const MACHINE_LIMITS = {
  /** Namespaces, cgroups, systemd as PID 1, containerd and installing packages all need root. */
  notRoot: 'needs root (not running as root)',
  /** The tests install their packages with apt-get and unpack them with dpkg. */
  notDebian: 'not a Debian host (no apt-get and dpkg)',
  /** Whether the kernel mounts a cgroup2 hierarchy is the machine's set-up. */
  noCgroup2: 'no cgroup2 hierarchy is mounted',
  /** These machines come with kubectl 1.27 to 1.33 preinstalled; there is no network to fetch one. */
  noKubectl: 'kubectl is not installed (the machine comes with kubectl 1.27-1.33)',
} as const;

export type MachineLimit = (typeof MACHINE_LIMITS)[keyof typeof MACHINE_LIMITS];

const ALLOWED: readonly string[] = Object.values(MACHINE_LIMITS);

/** Whether a skip reason is one of the machine limits above. */
export function isMachineLimit(reason: unknown): boolean {
  return typeof reason === 'string' && ALLOWED.includes(reason);
}

export function notRoot(): MachineLimit | undefined {
  return process.getuid?.() === 0 ? undefined : MACHINE_LIMITS.notRoot;
}

export function notDebian(): MachineLimit | undefined {
  return existsSync('/usr/bin/apt-get') && existsSync('/usr/bin/dpkg') ? undefined : MACHINE_LIMITS.notDebian;
}

export function noCgroup2(): MachineLimit | undefined {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  return mounts.some((m) => m[2] === 'cgroup2') ? undefined : MACHINE_LIMITS.noCgroup2;
}

export function noKubectl(path: string): MachineLimit | undefined {
  return existsSync(path) ? undefined : MACHINE_LIMITS.noKubectl;
}
