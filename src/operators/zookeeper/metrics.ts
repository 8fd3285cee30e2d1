// Every ZooKeeper server's own figures as Prometheus metrics, served by the operator: at each
// scrape the operator asks each server of every cluster it manages `mntr` (the four-letter word
// it already uses for `srvr`) and reports the answers labelled by namespace, cluster, role group,
// server id and pod. Debian's ZooKeeper has no Prometheus metrics provider; asking over the
// client port works the same for servers on bare metal and in containers, needs nothing installed
// beside the server, and takes the labels from the API rather than from the server.
import { Gauge } from 'prom-client';
import { fourLetterWord, type ClientTls } from './four-letter.ts';

export interface ServerTarget {
  namespace: string;
  cluster: string;
  roleGroup: string;
  serverId: number;
  pod: string;
  address: string;
  clientPort: number;
  /** How to reach a TLS client port (its CA, the operator's client certificate); absent: plain text. */
  tls?: () => Promise<ClientTls | undefined>;
}

/** mntr keys reported, as zookeeper_<key>. */
const MNTR_GAUGES: Record<string, string> = {
  avg_latency: 'Average request latency in milliseconds.',
  max_latency: 'Largest request latency in milliseconds.',
  min_latency: 'Smallest request latency in milliseconds.',
  packets_received: 'Packets received.',
  packets_sent: 'Packets sent.',
  num_alive_connections: 'Client connections open.',
  outstanding_requests: 'Requests queued and not yet processed.',
  znode_count: 'Znodes in the data tree.',
  watch_count: 'Watches set.',
  ephemerals_count: 'Ephemeral znodes.',
  approximate_data_size: 'Approximate size of the data tree in bytes.',
  open_file_descriptor_count: 'File descriptors open.',
  max_file_descriptor_count: 'File descriptors the server may open.',
  followers: 'Followers of this server (leader only).',
  synced_followers: 'Followers in sync with this server (leader only).',
  pending_syncs: 'Followers waiting to sync (leader only).',
};
const STATES = ['leader', 'follower', 'observer', 'standalone', 'read-only'];
const LABELS = ['namespace', 'cluster', 'role_group', 'server_id', 'pod'];
/** A scrape's answers are reused by the gauges of the same scrape. */
const SNAPSHOT_MS = 1_000;
const MNTR_TIMEOUT_MS = 2_000;

/** The figures of one mntr answer: numbers by key, and the server's state. */
export function parseMntr(answer: string): { values: Map<string, number>; state?: string } {
  const values = new Map<string, number>();
  let state: string | undefined;
  for (const line of answer.split('\n')) {
    const [key, value] = line.trim().split(/\t/);
    if (!key?.startsWith('zk_') || value === undefined) continue;
    if (key === 'zk_server_state') state = value.trim();
    else if (/^-?\d+(\.\d+)?$/.test(value.trim())) values.set(key.slice(3), Number(value));
  }
  return { values, state };
}

type Answer = { target: ServerTarget; parsed?: ReturnType<typeof parseMntr> };

/** Registers the gauges; `servers` names the servers to ask at each scrape. */
export function registerZookeeperMetrics(servers: () => ServerTarget[]): void {
  let snapshot: { at: number; answers: Promise<Answer[]> } | undefined;
  const answers = () => {
    if (!snapshot || Date.now() - snapshot.at > SNAPSHOT_MS) {
      snapshot = {
        at: Date.now(),
        answers: Promise.all(servers().map(async (target) => {
          try {
            const parsed = parseMntr(await fourLetterWord(target.address, target.clientPort, 'mntr', MNTR_TIMEOUT_MS, await target.tls?.()));
            return { target, parsed: parsed.state ? parsed : undefined };
          } catch {
            return { target };
          }
        })),
      };
    }
    return snapshot.answers;
  };
  const labelsOf = (t: ServerTarget) => ({ namespace: t.namespace, cluster: t.cluster, role_group: t.roleGroup, server_id: String(t.serverId), pod: t.pod });
  new Gauge({
    name: 'zookeeper_up', help: 'Whether the server answers mntr (1) or not (0).', labelNames: LABELS,
    async collect() {
      this.reset();
      for (const a of await answers()) this.set(labelsOf(a.target), a.parsed ? 1 : 0);
    },
  });
  new Gauge({
    name: 'zookeeper_server_state', help: 'The server\'s role in the ensemble (1 for the current one).', labelNames: [...LABELS, 'state'],
    async collect() {
      this.reset();
      for (const a of await answers()) {
        if (a.parsed) for (const state of STATES) this.set({ ...labelsOf(a.target), state }, a.parsed.state === state ? 1 : 0);
      }
    },
  });
  for (const [key, help] of Object.entries(MNTR_GAUGES)) {
    new Gauge({
      name: `zookeeper_${key}`, help: `${help} (mntr zk_${key})`, labelNames: LABELS,
      async collect() {
        this.reset();
        for (const a of await answers()) {
          const value = a.parsed?.values.get(key);
          if (value !== undefined) this.set(labelsOf(a.target), value);
        }
      },
    });
  }
}
