// When a finished service runs again: Kubernetes' restart policy and crash-loop back-off, as pure
// functions so both runtimes share them and tests can check them without waiting.
import type { RestartPolicy } from './runtime.ts';

export interface CrashLoopBackOff {
  /** Delay before the first restart; each further consecutive restart doubles it. */
  initialSeconds: number;
  maxSeconds: number;
  /** A run that lasted at least this long starts the back-off from the beginning again. */
  resetAfterSeconds: number;
}

/** The kubelet's values: 10s, 20s, 40s ... 5 minutes, forgiven after 10 minutes of running. */
export const KUBERNETES_BACK_OFF: CrashLoopBackOff = { initialSeconds: 10, maxSeconds: 300, resetAfterSeconds: 600 };

/** Whether a run that ended with this exit code is followed by another under the policy. */
export function restartsAfter(policy: RestartPolicy, exitCode: number): boolean {
  if (policy === 'always') return true;
  if (policy === 'on-failure') return exitCode !== 0;
  return false;
}

/**
 * The number of back-to-back restarts after a run of `ranForSeconds`: a long, healthy run
 * forgives the earlier crashes.
 */
export function nextConsecutiveRestarts(previous: number, ranForSeconds: number, backOff: CrashLoopBackOff): number {
  return ranForSeconds >= backOff.resetAfterSeconds ? 1 : previous + 1;
}

/** Seconds to wait before the n-th consecutive restart (n ≥ 1). */
export function restartDelaySeconds(consecutiveRestarts: number, backOff: CrashLoopBackOff): number {
  const doublings = Math.max(0, Math.min(consecutiveRestarts - 1, 30));
  return Math.min(backOff.maxSeconds, backOff.initialSeconds * 2 ** doublings);
}
