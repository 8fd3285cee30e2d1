// Restarting the pods of a custom resource: a pod is restarted by deleting it; the product's
// controller creates its replacement (createMissingPods) and the node agent starts it.
//
// Progress lives in the pods themselves, not in memory: a pod created before the restart began
// still has to be restarted, one created since has been. So a restart that was interrupted (the
// operator stopped, leadership moved) and is called again with the same `since` carries on where
// it stopped instead of starting over.
import type { Pod } from '../api/kinds/core.ts';
import { existingPod } from './pod-identity.ts';
import { deletePod, isPodReady, isPodRunning, isTerminating, podFailure, type PodApi } from './pods.ts';

export interface RestartPodsOptions {
  /** The pods to restart, as they are now; called again after every change and while waiting. */
  pods: () => readonly Pod[] | Promise<readonly Pod[]>;
  podApi: Pick<PodApi, 'delete'>;
  /**
   * When the restart began. Pods created before it are restarted; pods created since count as
   * restarted. Creation times have whole seconds, so a pod created in the same second counts as
   * restarted.
   */
  since: Date;
  /**
   * One pod at a time, each only once every pod is Running and Ready (and `healthy` agrees); or
   * all at once, then wait for all to be back.
   */
  rolling: boolean;
  /** The product's own check after each pod is back, e.g. "the ensemble has a quorum". */
  healthy?: () => boolean | Promise<boolean>;
  /** Told about each pod as it is restarted (to record an event, say). */
  onRestart?: (pod: Pod) => void;
  /** How often the pods are looked at while waiting (default 1 s). */
  pollMs?: number;
  /** Longest wait for the pods to become ready, per wait (default 10 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_POLL_MS = 1000;
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/**
 * Restarts every pod created before `since` and resolves with the names it restarted once all
 * are back Running and Ready (and healthy). Pods that are broken (crash-looping, failed) go
 * first and do not hold the others back, since restarting them cannot cost availability.
 * Rejects, leaving the rest untouched, when a restarted pod comes back broken or the pods are
 * not ready within `timeoutMs`.
 */
export async function restartPods(opts: RestartPodsOptions): Promise<string[]> {
  const sinceMs = Math.floor(opts.since.getTime() / 1000) * 1000;
  const isStale = (pod: Pod) => Date.parse(pod.metadata.creationTimestamp ?? '') < sinceMs;
  const restarted: string[] = [];
  if (opts.rolling) {
    for (;;) {
      const pods = await settled(opts, isStale, restarted);
      const next = stalePods(pods, isStale)[0];
      if (!next) return restarted;
      await deletePod(opts.podApi, next);
      opts.onRestart?.(next);
      restarted.push(next.metadata.name ?? '');
    }
  }
  const stale = stalePods(await opts.pods(), isStale);
  for (const pod of stale) {
    await deletePod(opts.podApi, pod);
    opts.onRestart?.(pod);
    restarted.push(pod.metadata.name ?? '');
  }
  await settled(opts, isStale, restarted);
  return restarted;
}

/** Stale pods in restart order: broken ones first, then by pod id, highest first. */
function stalePods(pods: readonly Pod[], isStale: (pod: Pod) => boolean): Pod[] {
  return pods
    .filter((p) => isStale(p) && !isTerminating(p))
    .map((pod) => ({ pod, broken: podFailure(pod) !== undefined, id: existingPod(pod).id ?? 0 }))
    .sort((a, b) => Number(b.broken) - Number(a.broken) || b.id - a.id || compare(a.pod.metadata.name ?? '', b.pod.metadata.name ?? ''))
    .map((p) => p.pod);
}

/**
 * Waits until every pod in `awaited` exists anew, no pod terminates, every pod is Running and
 * Ready (stale broken ones excepted) and `healthy` agrees; resolves with the pods then.
 */
async function settled(opts: RestartPodsOptions, isStale: (pod: Pod) => boolean, awaited: readonly string[]): Promise<readonly Pod[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    opts.signal?.throwIfAborted();
    const pods = await opts.pods();
    const waitingFor = unsettled(pods, isStale, awaited);
    if (waitingFor.length === 0 && (!opts.healthy || await opts.healthy())) return pods;
    if (Date.now() >= deadline) {
      const what = waitingFor.length > 0 ? `pods to be Running and Ready: ${waitingFor.join(', ')}` : 'the product\'s health check to pass';
      throw new Error(`restart stopped: waited ${duration(timeoutMs)} for ${what}`);
    }
    await sleep(opts.pollMs ?? DEFAULT_POLL_MS, opts.signal);
  }
}

/** What keeps the pods from being settled, as "name (why)"; throws when waiting cannot help. */
function unsettled(pods: readonly Pod[], isStale: (pod: Pod) => boolean, awaited: readonly string[]): string[] {
  const waiting = new Map<string, string>();
  const replaced = new Set<string>();
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    if (isTerminating(pod)) {
      waiting.set(name, 'terminating');
      continue;
    }
    if (!isStale(pod)) replaced.add(name);
    if (isPodRunning(pod) && isPodReady(pod)) continue;
    const failure = podFailure(pod);
    if (failure && !isStale(pod)) throw new Error(`restart stopped: ${failure.message}`);
    if (!failure) waiting.set(name, `${pod.status?.phase ?? 'no status'}, not ready`);
  }
  // A restarted pod only counts once a new one stands in its place (a stale listing may still show the old one).
  for (const name of awaited) if (!replaced.has(name) && !waiting.has(name)) waiting.set(name, 'not recreated yet');
  return [...waiting].map(([name, why]) => `${name} (${why})`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
