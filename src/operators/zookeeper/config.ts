// From a ZookeeperCluster to what its servers need, without I/O: which server id runs on which
// node at which ports, each role group's zoo.cfg and log4j.properties, the connection string,
// and the hash that tells a server running an older configuration.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../api/meta.ts';
import type { Pod } from '../../api/kinds/core.ts';
import { existingPod, desiredPods } from '../../runtime/pod-identity.ts';
import { nodeInfo, placePods, type NodeInfo, type PreviousPlacement } from '../../runtime/placement.ts';
import { mergeRoleConfig, type MergedProperties, type PropertyResult } from '../../runtime/product-config/merge.ts';
import { writeJavaProperties } from '../../runtime/product-config/java-properties.ts';
import { groupNodeSelector, mergedConfig, validateRole, type GroupRuntime, type Role } from '../../runtime/roles.ts';
import { nodeOfPod } from '../../runtime/pods.ts';
import { DEFAULT_ZOOKEEPER_VERSION, SERVER_ROLE, serversRole, type ServerConfig, type ServerPlacement, type ZookeeperCluster } from './crd.ts';
import { LOG4J_PROPERTIES, serverConfigProperties, ZOO_CFG, ZOOKEEPER_CATALOGUE } from './properties.ts';
import { tlsDirectory, tlsProblems, tlsProperties, usesSecureClientPort, type TlsSettings } from './tls.ts';
import { secretClassOfVolume } from '../../runtime/secret-class.ts';

export const DEFAULT_CLIENT_PORT = 2181;
export const DEFAULT_QUORUM_PORT = 2888;
export const DEFAULT_ELECTION_PORT = 3888;
export const DEFAULT_HEAP_MIB = 256;

/**
 * Where a server finds its configuration and keeps its data. In a container these are real
 * paths (a kubelet would run the pod unchanged); bare-metal services share the host's files, so
 * the agent links their volumes into the pod's own directories ({{configroot}}, {{dataroot}}).
 */
export interface ServerPaths {
  config: string; data: string; log: string;
  /** Where the certificate volumes (tls-server, tls-quorum, tls-client) are mounted. */
  tls: string;
}
export const PACKAGE_PATHS: ServerPaths = { config: '{{configroot}}/zookeeper', data: '{{dataroot}}/zookeeper', log: '{{logroot}}', tls: '{{configroot}}' };
export const CONTAINER_PATHS: ServerPaths = { config: '/etc/zookeeper/granary', data: '/var/lib/zookeeper', log: '/var/log/zookeeper', tls: '/etc/zookeeper' };

export function serverPaths(cluster: ZookeeperCluster, roleGroup: string): ServerPaths {
  return groupRuntime(cluster, roleGroup) === 'container' ? CONTAINER_PATHS : PACKAGE_PATHS;
}

export function groupRuntime(cluster: ZookeeperCluster, roleGroup: string): GroupRuntime {
  return serversRole(cluster).roleGroups[roleGroup]?.runtime ?? 'package';
}

/** The annotation a Granary agent puts on its Node naming its directory for hostPath volumes. */
export const VOLUME_ROOT_ANNOTATION = 'granary.dev/volume-root';
/** The volume root of nodes that do not say (a kubelet's, or an agent installed with its defaults). */
export const DEFAULT_VOLUME_ROOT = '/var/lib/granary/volumes';

/** A granary node a server can run on: its scheduling facts, the address servers bind to, where host volumes go. */
export interface ServerNode extends NodeInfo {
  address: string;
  volumeRoot: string;
}

/** One server of the ensemble as it should be. */
export interface ServerPlan {
  roleGroup: string;
  id: number;
  node: string;
  address: string;
  /** The node's directory for host volumes. */
  volumeRoot: string;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
}

/** Where a running server answers its clients, and with which TLS its pod was built (it may differ from the spec's mid-change). */
export interface ServerAddress {
  id: number;
  address: string;
  clientPort: number;
  /** The secret classes of its client-port certificate and of the certificates its clients need; none: plain text. */
  tls?: { server: string; client?: string };
}

/** Granary nodes only (ordinary kubelets cannot run packages), with their InternalIP. */
export function serverNodes(nodes: readonly KubeObject[]): ServerNode[] {
  const result: ServerNode[] = [];
  for (const node of nodes) {
    if (node.metadata.labels?.['kubernetes.io/os'] !== 'granary-linux') continue;
    const addresses = (node.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? [];
    const address = addresses.find((a) => a.type === 'InternalIP')?.address;
    const annotated = node.metadata.annotations?.[VOLUME_ROOT_ANNOTATION];
    const volumeRoot = annotated && annotated.startsWith('/') && !annotated.split('/').includes('..') ? annotated : DEFAULT_VOLUME_ROOT;
    if (address) result.push({ ...nodeInfo(node), address, volumeRoot });
  }
  return result;
}

export function zookeeperVersion(cluster: ZookeeperCluster): string {
  return cluster.spec.version ?? DEFAULT_ZOOKEEPER_VERSION;
}

/**
 * What a server of the group runs: Debian's zookeeper package of that upstream version (see
 * docs/packages.md), or in a container the image `granary image build zookeeper:VERSION --push
 * REGISTRY` makes from the same packages.
 */
export function serverImage(cluster: ZookeeperCluster, roleGroup: string): string {
  return groupRuntime(cluster, roleGroup) === 'container'
    ? `${cluster.spec.imageRegistry}/granary/zookeeper:${zookeeperVersion(cluster)}`
    : `zookeeper:${zookeeperVersion(cluster)}`;
}

/** The role as it applies now: no servers at all while the cluster is stopped. */
export function effectiveRole(cluster: ZookeeperCluster): Role<ServerConfig> {
  const role = serversRole(cluster);
  if (!cluster.spec.stopped) return role;
  return { ...role, roleGroups: Object.fromEntries(Object.entries(role.roleGroups).map(([name, group]) => [name, { ...group, replicas: 0 }])) };
}

export type Validated =
  | { ok: true; groups: Record<string, MergedProperties>; warnings: PropertyResult[] }
  | { ok: false; problems: string[] };

/** Every problem of the spec a user must fix, or the merged properties of every role group. */
export function validateCluster(cluster: ZookeeperCluster): Validated {
  const role = serversRole(cluster);
  const problems = validateRole(role, 'spec.servers');
  if (!/^\d+\.\d+\.\d+$/.test(zookeeperVersion(cluster))) problems.push(`spec.version: "${zookeeperVersion(cluster)}" is not a ZooKeeper version like ${DEFAULT_ZOOKEEPER_VERSION}`);
  for (const group of Object.keys(role.roleGroups ?? {})) {
    const dataDir = mergedConfig(role, group)?.dataDir;
    if (dataDir !== undefined && (dataDir.startsWith('/') || dataDir.split('/').some((p) => p === '..' || p === '.'))) {
      problems.push(`spec.servers.roleGroups.${group}.config.dataDir: "${dataDir}" must be a relative path below the node's volume root, without . or ..`);
    }
  }
  const containerGroups = Object.keys(role.roleGroups ?? {}).filter((g) => role.roleGroups[g].runtime === 'container');
  if (containerGroups.length > 0 && !cluster.spec.imageRegistry) {
    problems.push(`spec.imageRegistry: role groups ${containerGroups.join(', ')} run in containers and need the registry holding granary/zookeeper:${zookeeperVersion(cluster)} (granary image build zookeeper:${zookeeperVersion(cluster)} --push REGISTRY)`);
  }
  if (cluster.spec.imageRegistry !== undefined && !/^[a-zA-Z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(cluster.spec.imageRegistry)) {
    problems.push(`spec.imageRegistry: "${cluster.spec.imageRegistry}" is not a registry host[:port]`);
  }
  problems.push(...tlsProblems(cluster));
  if (problems.length > 0) return { ok: false, problems };
  const merged = mergeRoleConfig({ catalogue: ZOOKEEPER_CATALOGUE, version: zookeeperVersion(cluster), role: SERVER_ROLE, roleSpec: role, toProperties: serverConfigProperties });
  return merged.ok ? { ok: true, groups: merged.groups, warnings: merged.warnings } : { ok: false, problems: merged.problems };
}

/**
 * Which server id runs where: the ids of pod-identity.ts, placed as placement.ts decides (a
 * server keeps its node, from its pod or else from the cluster's status). Servers sharing a node
 * take consecutive ports from their group's, in id order. Returns the servers that could not be
 * placed as well.
 */
export function planServers(cluster: ZookeeperCluster, nodes: readonly ServerNode[], pods: readonly Pod[]): { servers: ServerPlan[]; unplaced: { roleGroup: string; id: number; reason: string }[] } {
  const role = effectiveRole(cluster);
  const plan = desiredPods(role, pods.map(existingPod), cluster.status?.servers);
  const previous: PreviousPlacement[] = [...(cluster.status?.servers ?? [])];
  for (const pod of pods) {
    const { roleGroup, id } = existingPod(pod);
    const node = nodeOfPod(pod);
    if (id !== undefined && node !== undefined) previous.push({ roleGroup, id, node });
  }
  // Later entries win: a pod's node over the status' record.
  const latest = new Map(previous.map((p) => [`${p.roleGroup}/${p.id}`, p]));
  // One selector object per group: placement computes eligibility once per selector.
  const selectors = new Map(Object.entries(role.roleGroups).map(([name, group]) => [name, groupNodeSelector(group)]));
  const placement = placePods(plan.desired.map((d) => ({ ...d, selector: selectors.get(d.roleGroup) })), nodes, [...latest.values()]);
  const addressOf = new Map(nodes.map((n) => [n.name, n.address]));
  const volumeRootOf = new Map(nodes.map((n) => [n.name, n.volumeRoot]));
  const taken = new Map<string, number>();
  const servers = placement.placed.map((p) => {
    const config = mergedConfig(role, p.roleGroup) ?? {};
    const offset = taken.get(p.node) ?? 0;
    taken.set(p.node, offset + 1);
    return {
      roleGroup: p.roleGroup, id: p.id, node: p.node, address: addressOf.get(p.node)!, volumeRoot: volumeRootOf.get(p.node)!,
      clientPort: (config.clientPort ?? DEFAULT_CLIENT_PORT) + offset,
      quorumPort: (config.quorumPort ?? DEFAULT_QUORUM_PORT) + offset,
      electionPort: (config.electionPort ?? DEFAULT_ELECTION_PORT) + offset,
    };
  });
  return { servers, unplaced: placement.unplaced };
}

/** The placements to remember in status: the servers now, and ids placed before that are not running now. */
export function placementsToRecord(previous: readonly ServerPlacement[] | undefined, servers: readonly ServerPlan[]): ServerPlacement[] {
  const byKey = new Map((previous ?? []).map((p) => [`${p.roleGroup}/${p.id}`, p]));
  for (const s of servers) byKey.set(`${s.roleGroup}/${s.id}`, { roleGroup: s.roleGroup, id: s.id, node: s.node });
  return [...byKey.values()].sort((a, b) => a.id - b.id);
}

export function connectionString(servers: readonly ServerPlan[]): string {
  return [...servers].sort((a, b) => a.id - b.id).map((s) => `${s.address}:${s.clientPort}`).join(',');
}

/**
 * The configuration file a server runs with: zoo.cfg, or with a TLS-only client port its own
 * zoo-<id>.cfg, since the secure client port and address are per server (the plain client
 * address is in the server list instead).
 */
export function serverConfigFile(id: number, tls: TlsSettings): string {
  return usesSecureClientPort(tls) ? `zoo-${id}.cfg` : ZOO_CFG;
}

/**
 * The files of one role group's ConfigMap: zoo.cfg (and, with client TLS, a zoo-<id>.cfg per server
 * of the group), log4j.properties. For bare metal, {{dataroot}} and {{configroot}} are filled in by
 * the agent, per server.
 */
export function groupFiles(properties: MergedProperties, servers: readonly ServerPlan[], paths: ServerPaths, tls: TlsSettings = {}, group?: string): Record<string, string> {
  const zoo: Record<string, string> = { ...tlsProperties(tls, paths.tls), ...properties.files[ZOO_CFG] };
  zoo.dataDir = paths.data;
  const secure = usesSecureClientPort(tls);
  for (const s of servers) {
    // With a TLS-only client port there is no plain one, so no client address in the server list.
    zoo[`server.${s.id}`] = `${s.address}:${s.quorumPort}:${s.electionPort}${secure ? '' : `;${s.address}:${s.clientPort}`}`;
  }
  const files: Record<string, string> = { [ZOO_CFG]: writeJavaProperties(zoo) };
  if (secure) {
    for (const s of servers.filter((x) => group === undefined || x.roleGroup === group)) {
      files[serverConfigFile(s.id, tls)] = writeJavaProperties({ ...zoo, secureClientPort: String(s.clientPort), secureClientPortAddress: s.address });
    }
  }
  files[LOG4J_PROPERTIES] = writeJavaProperties(properties.files[LOG4J_PROPERTIES] ?? {});
  return files;
}

/** Where a server's data lives on its node, below the node's volume root. */
export function serverDataPath(cluster: ZookeeperCluster, server: Pick<ServerPlan, 'roleGroup' | 'id' | 'volumeRoot'>): string {
  return `${server.volumeRoot}/${clusterDataDir(cluster, server.roleGroup)}/server-${server.id}`;
}

export function clusterDataDir(cluster: ZookeeperCluster, roleGroup: string): string {
  const configured = mergedConfig(serversRole(cluster), roleGroup)?.dataDir;
  return configured ?? `zookeeper/${cluster.metadata.namespace}/${cluster.metadata.name}`;
}

/** A digest of everything a server reads at start: a server whose pod carries another one runs an old configuration. */
export function configHash(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/**
 * The servers running now, from their pods: the ensemble as it is (during a membership change it
 * still includes servers about to go, and the leader may be one of them).
 */
export function runningServers(pods: readonly Pod[], nodes: readonly ServerNode[]): ServerAddress[] {
  const addressOf = new Map(nodes.map((n) => [n.name, n.address]));
  const result: ServerAddress[] = [];
  for (const pod of pods) {
    const { id } = existingPod(pod);
    const address = addressOf.get(nodeOfPod(pod) ?? '');
    const clientPort = pod.spec?.containers?.[0]?.ports?.find((p) => p.name === 'client')?.containerPort;
    if (id === undefined || !address || !clientPort || pod.metadata.deletionTimestamp) continue;
    const classOf = (volume: string) => secretClassOfVolume(pod.spec?.volumes?.find((v) => v.name === volume)?.csi);
    const server = classOf(tlsDirectory('server'));
    result.push({ id, address, clientPort, ...(server ? { tls: { server, ...(classOf(tlsDirectory('client')) ? { client: classOf(tlsDirectory('client')) } : {}) } } : {}) });
  }
  return result.sort((a, b) => a.id - b.id);
}
