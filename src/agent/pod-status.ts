// Pod status as a kubelet reports it: phase, the four standard conditions, host and pod IPs, and
// one containerStatus per container. Shared by the real agent and the simulated nodes.
import type { Condition, KubeObject } from '../api/meta.ts';

export interface ContainerStateView {
  name: string;
  image: string;
  state: { waiting?: { reason: string; message?: string }; running?: { startedAt: string }; terminated?: { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt: string } };
  lastState?: ContainerStateView['state'];
  ready: boolean;
  started: boolean;
  restartCount: number;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface PodStatusView {
  phase: PodPhase;
  conditions: Condition[];
  hostIP: string;
  hostIPs: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  containerStatuses: ContainerStateView[];
  initContainerStatuses?: ContainerStateView[];
  reason?: string;
  message?: string;
  qosClass?: string;
}

export const nowRfc3339 = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Builds the status from per-container views, keeping transition times of unchanged conditions. */
export function podStatus(opts: {
  phase: PodPhase; hostIP: string; containers: ContainerStateView[]; initContainers?: ContainerStateView[];
  initialized: boolean; startTime?: string; previous?: { conditions?: Condition[]; qosClass?: string }; reason?: string; message?: string;
}): PodStatusView {
  const now = nowRfc3339();
  const allReady = opts.containers.length > 0 && opts.containers.every((c) => c.ready);
  const notReady = opts.containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = allReady ? { status: 'True' as const } : {
    status: 'False' as const, reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]`,
  };
  const desired: Condition[] = [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Initialized', status: opts.initialized ? 'True' : 'False', ...(opts.initialized ? {} : { reason: 'ContainersNotInitialized' }) },
    { type: 'ContainersReady', ...containersReady },
    { type: 'Ready', ...containersReady },
  ];
  const previous = opts.previous?.conditions ?? [];
  const conditions = desired.map((c) => {
    const before = previous.find((p) => p.type === c.type);
    return { ...c, lastProbeTime: null, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : now } as Condition;
  });
  const running = opts.phase === 'Running' || opts.phase === 'Succeeded' || opts.phase === 'Failed';
  return {
    phase: opts.phase, conditions,
    hostIP: opts.hostIP, hostIPs: [{ ip: opts.hostIP }],
    // Services on a granary node share the host's network: the pod IP is the node's.
    ...(running ? { podIP: opts.hostIP, podIPs: [{ ip: opts.hostIP }] } : {}),
    startTime: opts.startTime ?? now,
    containerStatuses: opts.containers,
    ...(opts.initContainers?.length ? { initContainerStatuses: opts.initContainers } : {}),
    ...(opts.reason ? { reason: opts.reason, message: opts.message } : {}),
    ...(opts.previous?.qosClass ? { qosClass: opts.previous.qosClass } : {}),
  };
}

type PodLike = KubeObject & { spec?: { containers?: { name: string; image?: string }[] } };

/** Every container running and ready: what a simulated node reports once a pod "starts". */
export function allRunning(pod: PodLike, hostIP: string, startedAt: string): PodStatusView {
  const containers = (pod.spec?.containers ?? []).map((c) => ({
    name: c.name, image: c.image ?? '', state: { running: { startedAt } }, ready: true, started: true, restartCount: 0,
  }));
  return podStatus({ phase: 'Running', hostIP, containers, initialized: true, startTime: startedAt, previous: pod.status as PodStatusView | undefined });
}
