// The pid file of a running `granary up`, by which `granary down` and `granary status` find it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const pidFileOf = (dataDir: string) => join(dataDir, 'granary-up.pid');

/** The pid of a running `granary up` for this data directory, if there is one. */
export function runningPid(dataDir: string): number | undefined {
  const file = pidFileOf(dataDir);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // Only our own process counts: the pid may have been reused by something else since.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('main.ts') && cmdline.includes('\0up') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Says this process is `granary up` for `dataDir`; returns what removes the pid file again. */
export function writePidFile(dataDir: string): () => void {
  const file = pidFileOf(dataDir);
  writeFileSync(file, `${process.pid}\n`);
  return () => rmSync(file, { force: true });
}
