// Pod status as a kubelet reports it: phase, the four standard conditions, host and pod IPs, and
// one containerStatus per container. Shared by the real agent and the simulated nodes.
import type { ContainerStatus, Pod, PodCondition, PodStatus } from '../api/kinds/core.ts';

/** A container's status as the agent reports it: the ContainerStatus fields it always sets. */
export type ContainerStateView = Required<Pick<ContainerStatus, 'name' | 'image' | 'imageID' | 'state' | 'ready' | 'started' | 'restartCount'>>
  & Pick<ContainerStatus, 'lastState'>;

export type PodPhase = NonNullable<PodStatus['phase']>;

/** A pod's status as the agent reports it: the PodStatus fields it always sets, its containers as above. */
export type PodStatusView = Required<Pick<PodStatus, 'phase' | 'hostIP' | 'hostIPs'>>
  & Pick<PodStatus, 'podIP' | 'podIPs' | 'startTime' | 'reason' | 'message' | 'qosClass'>
  & { conditions: PodCondition[]; containerStatuses: ContainerStateView[]; initContainerStatuses?: ContainerStateView[] };

export const nowRfc3339 = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Builds the status from per-container views, keeping transition times of unchanged conditions. */
export function podStatus(opts: {
  phase: PodPhase; hostIP: string; containers: ContainerStateView[]; initContainers?: ContainerStateView[];
  initialized: boolean; startTime?: string; previous?: Pick<PodStatus, 'conditions' | 'qosClass'>; reason?: string; message?: string;
}): PodStatusView {
  const now = nowRfc3339();
  const allReady = opts.containers.length > 0 && opts.containers.every((c) => c.ready);
  const notReady = opts.containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = allReady ? { status: 'True' as const } : {
    status: 'False' as const, reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]`,
  };
  const desired: PodCondition[] = [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Initialized', status: opts.initialized ? 'True' : 'False', ...(opts.initialized ? {} : { reason: 'ContainersNotInitialized' }) },
    { type: 'ContainersReady', ...containersReady },
    { type: 'Ready', ...containersReady },
  ];
  const previous = opts.previous?.conditions ?? [];
  const conditions = desired.map((c) => {
    const before = previous.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : now };
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

/** Every container running and ready: what a simulated node reports once a pod "starts". */
export function allRunning(pod: Pod, hostIP: string, startedAt: string): PodStatusView {
  const containers = (pod.spec?.containers ?? []).map((c) => ({
    name: c.name, image: c.image ?? '', imageID: '', state: { running: { startedAt } }, ready: true, started: true, restartCount: 0,
  }));
  return podStatus({ phase: 'Running', hostIP, containers, initialized: true, startTime: startedAt, previous: pod.status });
}
