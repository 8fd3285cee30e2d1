// The pod of one ZooKeeper server: Debian's zookeeper package run by `java` with the role
// group's configuration, its data on a host volume that outlives the pod, its myid written by an
// init container, and a readiness check that asks the server whether it serves.
import type { Container, Pod, PodSpec } from '../../api/kinds/core.ts';
import { appLabels, resourceName, RUNTIME_LABEL_PREFIX } from '../../runtime/labels.ts';
import { GRANARY_TOLERATIONS, type PodTemplate } from '../../runtime/pods.ts';
import { RUNTIME_CLASS_NAMES } from '../../runtime/runtime-classes.ts';
import { mergedConfig } from '../../runtime/roles.ts';
import { API_VERSION, MANAGER, PRODUCT, serversRole, type ZookeeperCluster } from './crd.ts';
import { clusterDataDir, DEFAULT_HEAP_MIB, groupRuntime, serverConfigFile, serverDataPath, serverImage, serverPaths, type ServerNode, type ServerPlan } from './config.ts';
import { serverCheck, tlsDirectory, tlsVolumes, type TlsSettings } from './tls.ts';
import { clientStageOf, type ClientStage } from './tls-stages.ts';
import { ENSEMBLE_SIZE_ANNOTATION } from './membership.ts';
import { LOG4J_PROPERTIES, ZOO_CFG } from './properties.ts';
import type { MergedProperties } from '../../runtime/product-config/merge.ts';

/** The pod's annotation holding the configHash it was built with. */
export const CONFIG_HASH_ANNOTATION = 'zookeeper.granary.dev/config-hash';
/** The pod's annotation holding the client TLS stage (tls-stages.ts) it was built with: how clients may connect to it. */
export const CLIENT_TLS_ANNOTATION = 'zookeeper.granary.dev/client-tls';

/** The client stage a server's pod was built with; pods from before the annotation: TLS when they have a server certificate. */
export function podClientStage(pod: Pod): ClientStage {
  const annotated = pod.metadata.annotations?.[CLIENT_TLS_ANNOTATION];
  if (annotated === 'plain' || annotated === 'unified' || annotated === 'tls') return annotated;
  return pod.spec?.volumes?.some((v) => v.name === tlsDirectory('server')) ? 'tls' : 'plain';
}

// Where Debian's packages put ZooKeeper (the same in its image) with the netty jars its TLS
// (NettyServerCnxnFactory) needs that zookeeper.jar's manifest leaves out, and the log4j binding.
export const ZOOKEEPER_JARS = ['/usr/share/java/zookeeper.jar', '/usr/share/java/netty-codec.jar', '/usr/share/java/netty-resolver.jar', '/usr/share/java/netty-transport-native-unix-common.jar'];
const JARS = [...ZOOKEEPER_JARS, '/usr/share/java/slf4j-log4j12.jar', '/usr/share/java/log4j-1.2.jar'];
const MAIN_CLASS = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

export function configMapName(cluster: ZookeeperCluster, roleGroup: string): string {
  return `${cluster.metadata.name}-server-${roleGroup}`;
}

/** The server's command line after `java`: JVM settings, -D system properties from cliOverrides, the main class and its configuration file. */
export function javaArgs(cluster: ZookeeperCluster, roleGroup: string, properties: MergedProperties, configFile = ZOO_CFG): string[] {
  const heap = mergedConfig(serversRole(cluster), roleGroup)?.heapMiB ?? DEFAULT_HEAP_MIB;
  const paths = serverPaths(cluster, roleGroup);
  return [
    // The heap is sized here, not from cgroup limits; and the JDK's cgroup probing fails in
    // nested cgroup namespaces (the platform MBean server ZooKeeper registers with cannot start).
    `-Xmx${heap}m`, '-XX:-UseContainerSupport', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
    `-Dlog4j.configuration=file:${paths.config}/${LOG4J_PROPERTIES}`, `-Dzookeeper.log.dir=${paths.log}`,
    ...Object.entries(properties.cli).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `-D${k}=${v}`),
    '-cp', [paths.config, ...JARS].join(':'), MAIN_CLASS, `${paths.config}/${configFile}`,
  ];
}

/**
 * The pod of one server. The same for both kinds of node but for the image (a package or an OCI
 * image of the same packages) and the paths (see ServerPaths): in a container, a pod a kubelet
 * would run unchanged (host network, real mount paths, a hostPath with the node's real path).
 */
export function serverPod(cluster: ZookeeperCluster, server: ServerPlan, properties: MergedProperties, hash: string, tls: TlsSettings, ensembleSize: number): PodTemplate {
  const image = serverImage(cluster, server.roleGroup);
  const paths = serverPaths(cluster, server.roleGroup);
  const inContainer = groupRuntime(cluster, server.roleGroup) === 'container';
  const certificates = tlsVolumes(tls, paths.tls);
  const mounts = [{ name: 'config', mountPath: paths.config }, { name: 'data', mountPath: paths.data }, ...(inContainer ? [{ name: 'log', mountPath: paths.log }] : []), ...certificates.mounts];
  // bash's /dev/tcp (or openssl over TLS): no ZooKeeper client needed on the host. A server that is not part of a quorum answers without a Mode line.
  const serves = serverCheck(tls, server.address, server.clientPort);
  const spec: PodSpec = {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 20,
    // Servers bind their node's address, on bare metal and in containers alike.
    hostNetwork: true,
    ...(inContainer ? { runtimeClassName: RUNTIME_CLASS_NAMES.container } : {}),
    tolerations: GRANARY_TOLERATIONS,
    volumes: [
      { name: 'config', configMap: { name: configMapName(cluster, server.roleGroup) } },
      { name: 'data', hostPath: { path: serverDataPath(cluster, server), type: 'DirectoryOrCreate' } },
      ...(inContainer ? [{ name: 'log', emptyDir: {} }] : []),
      ...certificates.volumes,
    ],
    initContainers: [{
      name: 'myid', image,
      command: ['/bin/sh', '-c', `echo ${server.id} > ${paths.data}/myid`],
      volumeMounts: [{ name: 'data', mountPath: paths.data }],
    }],
    containers: [{
      name: 'zookeeper', image,
      command: ['java'], args: javaArgs(cluster, server.roleGroup, properties, serverConfigFile(server.id, tls)),
      // The readiness check names the certificate files relative to it.
      workingDir: paths.tls,
      env: Object.entries(properties.env).map(([name, value]) => ({ name, value })),
      volumeMounts: mounts,
      ports: [
        { name: 'client', containerPort: server.clientPort, hostPort: server.clientPort },
        { name: 'quorum', containerPort: server.quorumPort, hostPort: server.quorumPort },
        { name: 'election', containerPort: server.electionPort, hostPort: server.electionPort },
      ],
      readinessProbe: { exec: { command: ['/bin/bash', '-c', serves] }, periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 2 },
    }],
  };
  return { metadata: { annotations: { [CONFIG_HASH_ANNOTATION]: hash, [CLIENT_TLS_ANNOTATION]: clientStageOf(tls), [ENSEMBLE_SIZE_ANNOTATION]: String(ensembleSize) } }, spec };
}

/** The component label of the pods that remove a deleted cluster's data. */
export const CLEANUP_COMPONENT = 'cleanup';

/**
 * The pod that removes the cluster's data directories from one node once its servers are gone:
 * on bare metal `rm` of the directories; on a container node (whose pods see only what they
 * mount) the directories are mounted and emptied.
 */
export function cleanupPod(cluster: ZookeeperCluster, node: ServerNode): Pod {
  const groups = Object.keys(serversRole(cluster).roleGroups);
  const dirs = [...new Set(groups.map((g) => `${node.volumeRoot}/${clusterDataDir(cluster, g)}`))];
  const containerGroup = groups.find((g) => groupRuntime(cluster, g) === 'container');
  const inContainer = node.labels[`${RUNTIME_LABEL_PREFIX}container`] === 'true' && containerGroup !== undefined;
  const container: Container = inContainer
    ? {
      name: 'remove-data', image: serverImage(cluster, containerGroup),
      command: ['/bin/sh', '-c', dirs.map((_, i) => `find /data-${i} -mindepth 1 -delete`).join(' && ')],
      volumeMounts: dirs.map((_, i) => ({ name: `data-${i}`, mountPath: `/data-${i}` })),
    }
    : { name: 'remove-data', image: serverImage(cluster, groups[0]), command: ['/bin/rm', '-rf', '--', ...dirs] };
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: resourceName(cluster.metadata.name!, CLEANUP_COMPONENT, node.name), namespace: cluster.metadata.namespace,
      labels: appLabels({ name: PRODUCT, instance: cluster.metadata.name!, component: CLEANUP_COMPONENT, managedBy: MANAGER }),
      // Not blocking the owner's deletion: a foreground delete would remove them before they ran.
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'ZookeeperCluster', name: cluster.metadata.name!, uid: cluster.metadata.uid!, controller: true }],
    },
    spec: {
      nodeName: node.name, restartPolicy: 'OnFailure', tolerations: GRANARY_TOLERATIONS,
      ...(inContainer ? { hostNetwork: true, runtimeClassName: RUNTIME_CLASS_NAMES.container, volumes: dirs.map((path, i) => ({ name: `data-${i}`, hostPath: { path, type: 'DirectoryOrCreate' } })) } : {}),
      containers: [container],
    },
  };
}
