// Facts about the host both runtimes and the probes need: where a program is found, which uid
// and gid a user name stands for, when a process started (to tell a pid from a reused one), and
// which processes belong to a directory.
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** The PATH a service gets when its environment sets none (systemd's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path of `program` as a shell would find it: as given when absolute, relative to
 * the working directory when it contains a slash, otherwise the first match on the service's own
 * PATH. Undefined when nothing executable is there.
 */
export function resolveExecutable(program: string, env: Record<string, string>, workingDir = '/'): string | undefined {
  if (isAbsolute(program)) return isExecutableFile(program) ? program : undefined;
  if (program.includes('/')) {
    const path = resolve(workingDir, program);
    return isExecutableFile(path) ? path : undefined;
  }
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(':')) {
    if (!dir) continue;
    const path = join(resolve(workingDir, dir), program);
    if (isExecutableFile(path)) return path;
  }
  return undefined;
}

export interface HostUser { uid: number; gid: number; name?: string; home?: string; shell?: string }

/**
 * A user name or numeric uid looked up in the password file. A numeric uid without an entry runs
 * with the group of the same number, as systemd does; an unknown name is undefined.
 */
export function lookupUser(user: string, passwdFile = '/etc/passwd'): HostUser | undefined {
  let lines: string[] = [];
  try {
    lines = readFileSync(passwdFile, 'utf8').split('\n');
  } catch {
    // Without a password file only numeric uids can be resolved.
  }
  const numeric = /^\d+$/.test(user) ? Number(user) : undefined;
  for (const line of lines) {
    const [name, , uid, gid, , home, shell] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined) continue;
    if (name === user || (numeric !== undefined && Number(uid) === numeric)) {
      return { uid: Number(uid), gid: Number(gid), name, home, shell };
    }
  }
  return numeric === undefined ? undefined : { uid: numeric, gid: numeric };
}

/**
 * The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), which
 * with the pid identifies one process for good; undefined when no such process exists.
 */
export function processStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return undefined;
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : undefined;
}

/**
 * Pids of the processes (other than this one) whose command line mentions `text`: a pod's
 * services and their supervisors name files under their node's directory, so this finds them.
 */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}
