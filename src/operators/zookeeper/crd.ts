// The ZooKeeper operator's custom resources: ZookeeperCluster (an ensemble) and ZookeeperZnode
// (a znode in one, published for the products that use it). One TypeBox schema per kind gives
// the TypeScript type and the CRD.
import { Type, type Static } from '@sinclair/typebox';
import type { CustomResourceDefinition } from '../../api/kinds/apiextensions.ts';
import { ConditionSchema, kindSchema } from '../../api/kinds/meta.ts';
import { customResourceDefinition } from '../../runtime/crd.ts';
import { commandCrds } from '../../runtime/commands.ts';
import { RoleSchema, type Role } from '../../runtime/roles.ts';

export const PRODUCT = 'zookeeper';
export const GROUP = 'zookeeper.granary.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const MANAGER = 'zookeeper-operator';
/** The ZooKeeper version Debian's package carries; what a cluster runs unless it says otherwise. */
export const DEFAULT_ZOOKEEPER_VERSION = '3.8.0';
export const SERVER_ROLE = 'server';

const port = (description: string) => Type.Optional(Type.Integer({ minimum: 1024, maximum: 65535, description }));

export const ServerConfigSchema = Type.Object({
  clientPort: port('Port clients connect to (default 2181). Servers sharing a node take the following ports.'),
  quorumPort: port('Port followers connect to the leader on (default 2888).'),
  electionPort: port('Port of leader election (default 3888).'),
  tickTime: Type.Optional(Type.Integer({ minimum: 1, description: 'Basic time unit in milliseconds (default 2000).' })),
  initLimit: Type.Optional(Type.Integer({ minimum: 1, description: 'Ticks a follower may take to connect and sync to the leader (default 10).' })),
  syncLimit: Type.Optional(Type.Integer({ minimum: 1, description: 'Ticks a follower may lag behind the leader (default 5).' })),
  dataDir: Type.Optional(Type.String({
    minLength: 1,
    description: 'Directory under the node\'s volume root holding the servers\' data, one subdirectory per server id (default zookeeper/<namespace>/<cluster>).',
  })),
  heapMiB: Type.Optional(Type.Integer({ minimum: 32, description: 'Java heap of each server in MiB (default 256).' })),
}, { description: 'Settings of the ZooKeeper servers.' });
export type ServerConfig = Static<typeof ServerConfigSchema>;

const PlacementSchema = Type.Object({
  roleGroup: Type.String(),
  id: Type.Integer(),
  node: Type.String(),
});

const secretClassName = (description: string) => Type.Optional(Type.String({ maxLength: 63, description }));

export const ClusterConfigSchema = Type.Object({
  tls: Type.Optional(Type.Object({
    serverSecretClass: secretClassName('SecretClass of the servers\' certificates for client connections, which are then TLS only (default "tls", the cluster\'s own CA); "" for plain-text client connections.'),
    quorumSecretClass: secretClassName('SecretClass of the certificates servers authenticate each other with; quorum and election traffic is then TLS only (default "tls"); "" for plain text.'),
  }, { description: 'TLS for client and server-to-server traffic (both on by default).' })),
  authentication: Type.Optional(Type.Object({
    tls: Type.Optional(Type.Object({
      clientSecretClass: Type.String({ minLength: 1, maxLength: 63, description: 'SecretClass whose certificates clients must present (mutual TLS); needs client TLS.' }),
    })),
  }, { description: 'Who may connect: clients holding a certificate of a secret class (mutual TLS). Default: anyone who reaches the client port.' })),
}, { description: 'Cluster-wide settings: security.' });
export type ClusterConfig = Static<typeof ClusterConfigSchema>;

const TlsStagesSchema = Type.Object({
  client: Type.Union([Type.Literal('plain'), Type.Literal('unified'), Type.Literal('tls')], { description: 'Client port: plain text, both (a transition), or TLS only.' }),
  quorum: Type.Union([Type.Literal('plain'), Type.Literal('unified-plain'), Type.Literal('unified-tls'), Type.Literal('tls')], {
    description: 'Quorum and election: plain text; taking both and connecting in plain text; taking both and connecting with TLS (transitions); TLS only.',
  }),
  serverSecretClass: Type.Optional(Type.String({ description: 'The class of the client-port certificates the servers use now.' })),
  quorumSecretClass: Type.Optional(Type.String({ description: 'The class of the quorum certificates the servers use now.' })),
}, { description: 'The TLS stage the servers are built with: turning TLS on or off goes through stages, one rolling restart each, so the quorum holds (docs/zookeeper.md).' });

export const ZookeeperClusterSchema = kindSchema('A ZooKeeper ensemble: its servers, their configuration and where they run.', {
  spec: Type.Object({
    version: Type.Optional(Type.String({ description: `ZooKeeper version (default ${DEFAULT_ZOOKEEPER_VERSION}, the version in Debian's packages).` })),
    clusterConfig: Type.Optional(ClusterConfigSchema),
    servers: RoleSchema(ServerConfigSchema),
    imageRegistry: Type.Optional(Type.String({ description: 'Registry (host[:port]) holding granary/zookeeper:<version>, for role groups that run in containers (runtime: container).' })),
    stopped: Type.Optional(Type.Boolean({ description: 'Stop every server, keeping their data (default false).' })),
    retainDataOnDelete: Type.Optional(Type.Boolean({ description: 'Keep the servers\' data directories when the cluster is deleted (default false: they are removed).' })),
  }),
  status: Type.Optional(Type.Object({
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(ConditionSchema)),
    version: Type.Optional(Type.String({ description: 'The ZooKeeper version the servers run.' })),
    connectionString: Type.Optional(Type.String({ description: 'host:port,host:port,... of every server.' })),
    servers: Type.Optional(Type.Array(PlacementSchema, { description: 'Where each server id runs; a recreated server goes back to its node and data.' })),
    members: Type.Optional(Type.Array(Type.Integer(), { description: 'The server ids that have served: their data is the ensemble\'s. New servers join them, never elect without them.' })),
    tls: Type.Optional(TlsStagesSchema),
  })),
}, ['spec']);
export type ZookeeperCluster = Static<typeof ZookeeperClusterSchema>;
export type ServerPlacement = Static<typeof PlacementSchema>;

export const ZookeeperZnodeSchema = kindSchema('A znode of its own in a ZookeeperCluster, for a product that uses ZooKeeper.', {
  spec: Type.Object({
    clusterRef: Type.Object({
      name: Type.String({ minLength: 1, description: 'The ZookeeperCluster.' }),
      namespace: Type.Optional(Type.String({ description: 'Its namespace (default: the znode\'s).' })),
    }),
  }),
  status: Type.Optional(Type.Object({
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(ConditionSchema)),
    path: Type.Optional(Type.String({ description: 'The znode created in the ensemble.' })),
  })),
}, ['spec']);
export type ZookeeperZnode = Static<typeof ZookeeperZnodeSchema>;

export function serversRole(cluster: ZookeeperCluster): Role<ServerConfig> {
  return cluster.spec.servers as Role<ServerConfig>;
}

export const ZOOKEEPER_CLUSTER_CRD = customResourceDefinition({
  group: GROUP, kind: 'ZookeeperCluster', plural: 'zookeeperclusters', shortNames: ['zk'], categories: ['granary'],
  versions: [{
    name: VERSION, schema: ZookeeperClusterSchema, storage: true,
    printerColumns: [
      { name: 'Version', type: 'string', jsonPath: '.status.version' },
      { name: 'Available', type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].status' },
      { name: 'Connect', type: 'string', jsonPath: '.status.connectionString' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  }],
});

export const ZOOKEEPER_ZNODE_CRD = customResourceDefinition({
  group: GROUP, kind: 'ZookeeperZnode', plural: 'zookeeperznodes', shortNames: ['znode'], categories: ['granary'],
  versions: [{
    name: VERSION, schema: ZookeeperZnodeSchema, storage: true,
    printerColumns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
      { name: 'Path', type: 'string', jsonPath: '.status.path' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  }],
});

export const ZOOKEEPER_CRDS: CustomResourceDefinition[] = [ZOOKEEPER_CLUSTER_CRD, ZOOKEEPER_ZNODE_CRD, ...commandCrds(PRODUCT)];
