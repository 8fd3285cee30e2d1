// `granary agent --simulate N`: N simulated nodes that run no processes but register, renew their
// Leases and move the pods bound to them through the same states a real agent would (as kwok
// does), for scale tests of the control plane and the operators.
import type { Pod } from '../api/kinds/core.ts';
import type { KubeClient } from '../client/client.ts';
import { isConflict, isNotFound } from '../client/errors.ts';
import type { Logger } from '../common/log.ts';
import { forEachLimited } from '../common/for-each-limited.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { watcher } from '../runtime/watcher.ts';
import { NodeRegistration, type Capacity } from './node.ts';
import { allRunning, nowRfc3339 } from './pod-status.ts';

/** The port a kubelet announces; nothing listens there, but Prometheus' node discovery gives a target per node. */
const SIMULATED_KUBELET_PORT = 10250;
const SIMULATED_CAPACITY: Capacity = { cpu: '32', memory: '134217728Ki', 'ephemeral-storage': '1073741824Ki', pods: '110' };

export interface SimulationOptions {
  client: KubeClient;
  count: number;
  prefix: string;
  labels: Record<string, string>;
  log: Logger;
  /** Writes in flight at once while registering and updating pods. */
  concurrency?: number;
  leaseEveryMs?: number;
}

/** Simulated nodes get addresses in 127.16.0.0/12 of loopback: data only, nothing listens there. */
export function simulatedAddress(i: number): string {
  return `127.${16 + ((i >> 16) & 0x0f)}.${(i >> 8) & 0xff}.${i & 0xff}`;
}

export async function runSimulation(opts: SimulationOptions, signal: AbortSignal): Promise<void> {
  const concurrency = opts.concurrency ?? 32;
  const nodes = Array.from({ length: opts.count }, (_, i) => {
    const name = `${opts.prefix}-${i}`;
    return new NodeRegistration(opts.client, { name, ip: simulatedAddress(i), port: SIMULATED_KUBELET_PORT, labels: { ...opts.labels, 'granary.dev/simulated': 'true' }, runtime: 'simulated://granary' }, () => SIMULATED_CAPACITY, opts.log.child({ node: name }));
  });
  const byName = new Map(nodes.map((n, i) => [n.name, simulatedAddress(i)]));
  await forEachLimited(nodes, concurrency, async (n) => {
    await n.register();
    await n.renewLease();
  });
  opts.log.info({ nodes: nodes.length }, 'simulated nodes registered');

  const pods = opts.client.resource<Pod>('v1', 'Pod');
  const queue = new WorkQueue({ name: 'simulated-pods', concurrency });
  const latest = new Map<string, Pod>();
  const work = async () => {
    for (;;) {
      const key = await queue.next();
      if (key === undefined) return;
      const pod = latest.get(key);
      try {
        if (pod) await advance(pod);
        queue.forget(key);
      } catch (err) {
        if (!isNotFound(err)) {
          if (!isConflict(err)) opts.log.warn({ pod: key, err: String(err) }, 'simulated pod update failed; retrying');
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };
  const advance = async (pod: Pod) => {
    const { namespace, name } = pod.metadata;
    if (pod.metadata.deletionTimestamp) {
      await pods.delete(name!, namespace, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      return;
    }
    if (pod.status?.phase === 'Running') return;
    await pods.updateStatus({ ...pod, status: allRunning(pod, byName.get(pod.spec!.nodeName!)!, nowRfc3339()) });
  };
  const workers = Array.from({ length: concurrency }, work);
  signal.addEventListener('abort', () => queue.shutdown(), { once: true });

  const heartbeats = (async () => {
    while (!signal.aborted) {
      await sleepUntil(opts.leaseEveryMs ?? 20_000, signal);
      if (signal.aborted) return;
      await forEachLimited(nodes, concurrency, (n) => n.renewLease().catch((err) => opts.log.warn({ node: n.name, err: String(err) }, 'lease renewal failed')));
    }
  })();

  for await (const event of watcher(pods, {}, signal)) {
    if (!('object' in event)) continue;
    const pod = event.object;
    if (!byName.has(pod.spec?.nodeName ?? '')) continue;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (event.type === 'Delete') {
      latest.delete(key);
      continue;
    }
    latest.set(key, pod);
    queue.add(key);
  }
  await Promise.all([...workers, heartbeats]);
}

function sleepUntil(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });
}
