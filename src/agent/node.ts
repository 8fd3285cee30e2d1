// The Node an agent registers for its host: labels and taint that keep ordinary pods away, the
// host's measured capacity, its address and the agent's port, conditions, and the Lease in
// kube-node-lease renewed as a heartbeat. Failures to update are retried, never fatal.
import { cpus, totalmem, hostname, release, arch, freemem } from 'node:os';
import { statfsSync, readFileSync, existsSync } from 'node:fs';
import type { Lease } from '../api/kinds/coordination.ts';
import type { Node, NodeCondition } from '../api/kinds/core.ts';
import type { KubeClient } from '../client/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../client/errors.ts';
import type { Logger } from '../common/log.ts';

/** The value that marks granary nodes: pods must select and tolerate it explicitly. */
export const GRANARY_PLATFORM = 'granary-linux';
export const AGENT_VERSION = 'v1.33.0-granary';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;

export interface NodeIdentity {
  name: string;
  ip: string;
  port: number;
  labels: Record<string, string>;
  /** Facts about the node for operators (its volume root), as annotations. */
  annotations?: Record<string, string>;
  runtime: string;
}

export type Capacity = Record<'cpu' | 'memory' | 'ephemeral-storage' | 'pods', string>;

/** Capacity of this host: cores, memory, the filesystem under `root`, and a pod limit. */
export function measureCapacity(root: string, maxPods = 110): Capacity {
  const fs = statfsSync(root);
  return {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    'ephemeral-storage': `${Math.floor((fs.blocks * fs.bsize) / 1024)}Ki`,
    pods: String(maxPods),
  };
}

function osImage(): string {
  if (!existsSync('/etc/os-release')) return 'Linux';
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
  return m?.[1] ?? 'Linux';
}

export function nodeConditions(now: string, ready: { ready: boolean; reason: string; message: string }, previous: readonly NodeCondition[] = []): NodeCondition[] {
  const memoryLow = freemem() < 100 * 1024 * 1024;
  const next: NodeCondition[] = [
    { type: 'MemoryPressure', status: memoryLow ? 'True' : 'False', reason: memoryLow ? 'AgentHasInsufficientMemory' : 'AgentHasSufficientMemory', message: memoryLow ? 'less than 100 MiB of memory is free' : 'agent has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'AgentHasNoDiskPressure', message: 'agent has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'AgentHasSufficientPID', message: 'agent has sufficient PID available' },
    { type: 'Ready', status: ready.ready ? 'True' : 'False', reason: ready.reason, message: ready.message },
  ];
  return next.map((c) => {
    const before = previous.find((p) => p.type === c.type);
    return { ...c, lastHeartbeatTime: now, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : now };
  });
}

export function buildNode(id: NodeIdentity, capacity: Capacity): Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: id.name,
      ...(id.annotations ? { annotations: id.annotations } : {}),
      labels: {
        ...id.labels,
        'kubernetes.io/arch': GRANARY_PLATFORM, 'kubernetes.io/os': GRANARY_PLATFORM, 'kubernetes.io/hostname': id.name,
      },
    },
    spec: {
      taints: [
        { key: 'kubernetes.io/arch', value: GRANARY_PLATFORM, effect: 'NoSchedule' },
        { key: 'kubernetes.io/arch', value: GRANARY_PLATFORM, effect: 'NoExecute' },
      ],
    },
    status: {
      capacity, allocatable: capacity,
      addresses: [{ type: 'InternalIP', address: id.ip }, { type: 'Hostname', address: id.name }],
      daemonEndpoints: { kubeletEndpoint: { Port: id.port } },
      nodeInfo: {
        machineID: '', systemUUID: '', bootID: '', kernelVersion: release(), osImage: osImage(),
        containerRuntimeVersion: id.runtime, kubeletVersion: AGENT_VERSION, kubeProxyVersion: '', operatingSystem: 'linux', architecture: arch(),
      },
    },
  };
}

/** Keeps one Node registered and its Lease renewed. */
export class NodeRegistration {
  private readonly nodes;
  private readonly leases;
  private readonly identity: NodeIdentity;
  private readonly capacity: () => Capacity;
  private readonly log: Logger;
  private readiness = { ready: true, reason: 'AgentReady', message: 'granary agent is posting ready status' };

  constructor(client: KubeClient, identity: NodeIdentity, capacity: () => Capacity, log: Logger) {
    this.nodes = client.resource<Node>('v1', 'Node');
    this.leases = client.resource<Lease>('coordination.k8s.io/v1', 'Lease');
    this.identity = identity;
    this.capacity = capacity;
    this.log = log;
  }

  setReadiness(ready: boolean, reason: string, message: string): void {
    this.readiness = { ready, reason, message };
  }

  /**
   * Creates the Node (with its taints), or brings an existing one's labels and status up to date.
   * Taints are set only at registration, as a kubelet's: afterwards they are the administrators'
   * (NodeRestriction refuses a node that changes its own).
   */
  async register(): Promise<void> {
    const desired = buildNode(this.identity, this.capacity());
    let node: Node;
    try {
      node = await this.nodes.create({ ...desired, status: undefined });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await this.nodes.patch(this.identity.name, undefined, {
        metadata: { labels: desired.metadata.labels, annotations: desired.metadata.annotations },
      }, 'merge');
    }
    await this.postStatus(node);
  }

  /** Posts capacity, addresses and conditions. */
  async postStatus(current?: Node): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const node = current ?? (await this.nodes.get(this.identity.name));
      current = undefined;
      const desired = buildNode(this.identity, this.capacity());
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      try {
        await this.nodes.updateStatus({ ...node, status: { ...node.status, ...desired.status, conditions: nodeConditions(now, this.readiness, node.status?.conditions) } });
        return;
      } catch (err) {
        if (isNotFound(err)) return this.register();
        if (!isConflict(err)) throw err;
      }
    }
  }

  /** Renews (or creates) the node's Lease. */
  async renewLease(): Promise<void> {
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const spec = { holderIdentity: this.identity.name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now };
    try {
      await this.leases.patch(this.identity.name, NODE_LEASE_NAMESPACE, { spec }, 'merge');
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.leases.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.identity.name, namespace: NODE_LEASE_NAMESPACE }, spec });
      } catch (createErr) {
        if (!isAlreadyExists(createErr)) throw createErr;
      }
    }
  }

  /** Heartbeats until `signal` aborts: the Lease every 10 s, the status every minute; errors are logged and retried. */
  async heartbeat(signal: AbortSignal, leaseEveryMs = 10_000, statusEveryMs = 60_000): Promise<void> {
    let lastStatus = Date.now();
    while (!signal.aborted) {
      try {
        await this.renewLease();
        if (Date.now() - lastStatus >= statusEveryMs) {
          await this.postStatus();
          lastStatus = Date.now();
        }
      } catch (err) {
        this.log.warn({ err: String(err) }, 'heartbeat failed; will retry');
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, leaseEveryMs);
        signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
    }
  }

  get name(): string {
    return this.identity.name;
  }
}

export function defaultHostname(): string {
  return hostname().toLowerCase();
}
