// Which processes listen on an address: a test's node addresses are its own, so whatever still
// listens there once its agents are gone is a pod's service they left running (as kubelets do).
import { execFileSync } from 'node:child_process';

/** Pids of the processes with a TCP socket listening on `address` (any port), from `ss`. */
export function pidsListeningOn(address: string): number[] {
  const out = execFileSync('ss', ['-Hltnp', `src ${address}`], { encoding: 'utf8' });
  return [...new Set([...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))].filter((pid) => pid !== process.pid);
}

/** SIGKILL to every process listening on one of `addresses`. */
export function killListeners(addresses: readonly string[]): void {
  for (const pid of addresses.flatMap(pidsListeningOn)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}
