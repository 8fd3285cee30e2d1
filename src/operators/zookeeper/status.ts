// The conditions of a ZookeeperCluster: Available from ZooKeeper's own answer, Progressing while
// servers are created, restarted or removed, Degraded with every problem a user must look at.
import { available, degraded, isConditionTrue, progressing, type ConditionUpdate } from '../../runtime/conditions.ts';
import type { PodProblem } from '../../runtime/pods.ts';
import type { ZookeeperCluster } from './crd.ts';
import type { QuorumHealth } from './four-letter.ts';

/** What a reconcile pass saw and did, as the conditions report it. */
export interface Observed {
  /** Every step continued: nothing was created, restarted or removed, nothing is waited for. */
  settled: boolean;
  /** The ensemble's answer, when a server runs. */
  health?: QuorumHealth;
  problems: readonly PodProblem[];
  /** Pods the cluster still has (servers, while stopping). */
  remaining: number;
}

export function clusterConditions(cluster: ZookeeperCluster, o: Observed): ConditionUpdate[] {
  const generation = cluster.metadata.generation;
  const problems = o.problems.map((p) => p.message).join('; ');
  const result = [degraded(o.problems.length > 0, o.problems[0]?.reason ?? 'AsExpected', problems || 'no problems', generation)];
  if (cluster.spec.stopped) {
    result.push(available(false, 'Stopped', 'the cluster is stopped (spec.stopped); its data is kept', generation));
    result.push(progressing(o.remaining > 0, o.remaining > 0 ? 'Stopping' : 'Stopped', o.remaining > 0 ? `${o.remaining} server(s) still stopping` : 'every server is stopped', generation));
    return result;
  }
  if (o.health) result.push(available(o.health.healthy, o.health.healthy ? 'QuorumHealthy' : 'NoQuorum', o.health.message, generation));
  else result.push(available(false, 'NoServers', o.remaining > 0 ? 'no server runs: every one is being restarted' : 'no server is placed yet', generation));
  result.push(progressing(!o.settled, o.settled ? 'Settled' : 'Reconciling', o.settled ? 'every server runs the desired configuration' : 'creating, restarting or removing servers', generation));
  return result;
}

/** A spec with errors: nothing changes until it is fixed. */
export function invalidSpecConditions(cluster: ZookeeperCluster, problems: readonly string[]): ConditionUpdate[] {
  const generation = cluster.metadata.generation;
  return [
    available(false, 'InvalidSpec', 'the spec has errors, see Degraded', generation),
    progressing(false, 'InvalidSpec', 'nothing is changed until the spec is fixed', generation),
    degraded(true, 'InvalidSpec', problems.join('; '), generation),
  ];
}

export function isAvailable(cluster: ZookeeperCluster): boolean {
  return isConditionTrue(cluster.status?.conditions, 'Available');
}
