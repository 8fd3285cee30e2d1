// The MonitoringStack controller. For each stack, in its namespace:
//   ServiceAccount <stack>-prometheus, bound (ClusterRoleBinding) to a ClusterRole allowing what
//     scraping and discovery need; a Secret with a token of it (TokenRequest, renewed at half life)
//   ConfigMaps <stack>-prometheus (prometheus.yml, rules.yml, the cluster CA) and
//     <stack>-alertmanager (alertmanager.yml)
//   Pods <stack>-prometheus and <stack>-alertmanager on the chosen nodes, data in hostPath volumes
//     under the node's volume root (kept across restarts and pod deletions); a pod built from an
//     older configuration is replaced
//   Pods <stack>-node-exporter-<node>, one on every Granary node that runs packages, following nodes
//     as they come and go
// Cluster-scoped objects cannot be owned by a namespaced stack: a finalizer removes them.
import { createHash } from 'node:crypto';
import type { Condition, KubeObject } from '../../api/meta.ts';
import type { Node, Pod, Secret } from '../../api/kinds/core.ts';
import type { KubeClient } from '../../client/client.ts';
import { isAlreadyExists, isNotFound } from '../../client/errors.ts';
import { forEachLimited } from '../../common/for-each-limited.ts';
import type { Logger } from '../../common/log.ts';
import { available, conditionChanges, degraded, setCondition } from '../../runtime/conditions.ts';
import type { SharedCache } from '../../runtime/cache.ts';
import { Controller, generationChanged } from '../../runtime/controller.ts';
import { EventRecorder } from '../../runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizer.ts';
import { appLabels, resourceName, RUNTIME_LABEL_PREFIX } from '../../runtime/labels.ts';
import { controllerReference, GRANARY_TOLERATIONS, isPodReady } from '../../runtime/pods.ts';
import type { ProductAlertRules } from '../../runtime/alert-rules.ts';
import type { ReadStore } from '../../runtime/store.ts';
import { alertmanagerConfig, alertRules, prometheusConfig, type StackAddresses } from './config.ts';
import { API_VERSION, DEFAULT_VERSIONS, MANAGER, PRODUCT, type MonitoringStack } from './crd.ts';

const FINALIZER = 'monitoring.granary.dev/cluster-objects';
const CONFIG_HASH = 'monitoring.granary.dev/config-hash';
const TOKEN_EXPIRY = 'monitoring.granary.dev/token-expires';
const TOKEN_SECONDS = 24 * 3600;
const CONFIG_DIR = '{{configroot}}/config';
const TOKEN_DIR = '{{configroot}}/token';
const GRANARY_OS = 'granary-linux';
const POD_WRITES_IN_FLIGHT = 16;


export interface StackControllerOptions {
  client: KubeClient;
  cache?: SharedCache;
  log: Logger;
  /** https://host:port where Prometheus reaches this operator process (metrics, discovery). */
  operatorEndpoint: string;
  /** The products' alert rules, shipped beside the platform's. */
  productAlerts: readonly ProductAlertRules[];
}

const apply = { fieldManager: MANAGER, force: true };

export function nodeAddress(node: Node | undefined): string | undefined {
  const addresses = node?.status?.addresses ?? [];
  return addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses[0]?.address;
}

/** The name of the cluster-scoped objects of a stack (unique across namespaces). */
export function clusterObjectName(stack: MonitoringStack): string {
  return resourceName('granary-monitoring', stack.metadata.namespace!, stack.metadata.name!);
}

/** What the stack's Prometheus may do: scrape agents, operators and the API server, and discover targets. */
export const PROMETHEUS_RULES = [
  { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
  { nonResourceURLs: ['/metrics'], verbs: ['get'] },
];

export function stackController(opts: StackControllerOptions): Controller<MonitoringStack> {
  const { client, log } = opts;
  const events = new EventRecorder(client, MANAGER, MANAGER, log);
  const stacks = client.resource<MonitoringStack>(API_VERSION, 'MonitoringStack');
  const podApi = client.resource<Pod>('v1', 'Pod');
  let controller!: Controller<MonitoringStack>;
  const allStacks = () => controller.store.list().map((s) => ({ namespace: s.metadata.namespace, name: s.metadata.name! }));
  controller = new Controller<MonitoringStack>({
    name: 'monitoringstack', client, cache: opts.cache, log, apiVersion: API_VERSION, kind: 'MonitoringStack',
    predicates: [generationChanged],
    reconcile: async (stack) => {
      if (stack.metadata.deletionTimestamp) {
        await deleteClusterObjects(client, stack);
        if (hasFinalizer(stack, FINALIZER)) await removeFinalizer(stacks, stack, FINALIZER);
        return undefined;
      }
      if (!hasFinalizer(stack, FINALIZER)) stack = await addFinalizer(stacks, stack, FINALIZER);
      const nodes = controller.storeOf<Node>('v1', 'Node');
      const pods = controller.storeOf<Pod>('v1', 'Pod');
      return reconcileStack({ client, stack, nodes, pods: pods.byOwner(stack.metadata.uid!), podApi, stacks, events, operatorEndpoint: opts.operatorEndpoint, productAlerts: opts.productAlerts });
    },
  })
    // Every pod: the stack's own, and all the others for discovery (one watch of the kind).
    .watches('v1', 'Pod', (pod) => {
      const owner = pod.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'MonitoringStack');
      return owner ? [{ namespace: pod.metadata.namespace, name: owner.name }] : [];
    })
    // Node exporters follow the nodes.
    .watches('v1', 'Node', () => allStacks());
  return controller;
}

interface StackContext {
  client: KubeClient;
  stack: MonitoringStack;
  nodes: ReadStore<Node>;
  pods: Pod[];
  podApi: ReturnType<KubeClient['resource']>;
  stacks: ReturnType<KubeClient['resource']>;
  events: EventRecorder;
  operatorEndpoint: string;
  productAlerts: readonly ProductAlertRules[];
}

async function reconcileStack(ctx: StackContext): Promise<{ requeueAfterMs: number } | undefined> {
  const { client, stack } = ctx;
  const namespace = stack.metadata.namespace!;
  const name = stack.metadata.name!;
  const promNodeName = stack.spec.prometheus.nodeName;
  const amNodeName = stack.spec.alertmanager?.nodeName ?? promNodeName;
  const promIp = nodeAddress(ctx.nodes.get({ name: promNodeName }));
  const amIp = nodeAddress(ctx.nodes.get({ name: amNodeName }));
  if (!promIp || !amIp) {
    const missing = !promIp ? promNodeName : amNodeName;
    await writeStatus(ctx, { problem: { reason: 'NodeNotFound', message: `node ${missing} does not exist or has no address; choose another in spec.prometheus.nodeName or spec.alertmanager.nodeName` } });
    return { requeueAfterMs: 10_000 };
  }
  const promPort = stack.spec.prometheus.port ?? 9090;
  const amPort = stack.spec.alertmanager?.port ?? 9093;
  const apiServer = new URL(client.connection.server).host;
  const at: StackAddresses = { prometheus: `${promIp}:${promPort}`, alertmanager: `${amIp}:${amPort}`, operatorEndpoint: ctx.operatorEndpoint, apiServer };
  const owner = controllerReference(stack);
  const labels = (component: string) => appLabels({ name: PRODUCT, instance: name, component, managedBy: MANAGER });

  // Identity: ServiceAccount, ClusterRole, ClusterRoleBinding, and a token Secret.
  const account = resourceName(name, 'prometheus');
  await client.resource('v1', 'ServiceAccount').apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account, namespace, labels: labels('prometheus'), ownerReferences: [owner] } }, apply);
  const clusterName = clusterObjectName(stack);
  const clusterLabels = { ...labels('prometheus'), 'monitoring.granary.dev/stack': `${namespace}.${name}`.slice(0, 63) };
  await client.resource('rbac.authorization.k8s.io/v1', 'ClusterRole').apply({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: clusterName, labels: clusterLabels }, rules: PROMETHEUS_RULES,
  } as KubeObject, apply);
  await client.resource('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding').apply({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: clusterName, labels: clusterLabels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
    subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
  } as KubeObject, apply);
  const tokenRefreshMs = await ensureToken(ctx, account, labels('prometheus'));

  // Configuration.
  const promConfigMap = resourceName(name, 'prometheus');
  const amConfigMap = resourceName(name, 'alertmanager');
  const promData = {
    'prometheus.yml': prometheusConfig(stack, at, { configDir: CONFIG_DIR, tokenFile: `${TOKEN_DIR}/token`, caFile: `${CONFIG_DIR}/ca.crt` }),
    'rules.yml': alertRules(stack, ctx.productAlerts),
    'ca.crt': client.connection.ca ?? '',
  };
  const amData = { 'alertmanager.yml': alertmanagerConfig(stack) };
  const configMaps = client.resource('v1', 'ConfigMap');
  await configMaps.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: promConfigMap, namespace, labels: labels('prometheus'), ownerReferences: [owner] }, data: promData } as KubeObject, apply);
  await configMaps.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: amConfigMap, namespace, labels: labels('alertmanager'), ownerReferences: [owner] }, data: amData } as KubeObject, apply);

  // Pods.
  const dataRoot = `{{volumeroot}}/monitoring/${namespace}/${name}`;
  const promVersion = stack.spec.prometheus.version ?? DEFAULT_VERSIONS.prometheus;
  const amVersion = stack.spec.alertmanager?.version ?? DEFAULT_VERSIONS.alertmanager;
  const wanted: Pod[] = [
    serverPod({
      name: resourceName(name, 'prometheus'), namespace, node: promNodeName, labels: labels('prometheus'), owner, port: promPort, data: promData,
      container: {
        name: 'prometheus', image: `prometheus:${promVersion}`,
        command: [
          '/usr/bin/prometheus', `--config.file=${CONFIG_DIR}/prometheus.yml`, '--storage.tsdb.path={{dataroot}}/prometheus',
          `--storage.tsdb.retention.time=${stack.spec.prometheus.retention ?? '15d'}`, `--storage.tsdb.retention.size=${stack.spec.prometheus.retentionSize ?? '10GB'}`,
          `--web.listen-address=${promIp}:${promPort}`, `--web.external-url=http://${promIp}:${promPort}/`, '--web.enable-lifecycle',
        ],
        volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR }, { name: 'token', mountPath: TOKEN_DIR }, { name: 'data', mountPath: '{{dataroot}}/prometheus' }],
      },
      volumes: [
        { name: 'config', configMap: { name: promConfigMap } },
        { name: 'token', secret: { secretName: resourceName(name, 'prometheus-token') } },
        { name: 'data', hostPath: { path: `${dataRoot}/prometheus`, type: 'DirectoryOrCreate' } },
      ],
    }),
    serverPod({
      name: resourceName(name, 'alertmanager'), namespace, node: amNodeName, labels: labels('alertmanager'), owner, port: amPort, data: amData,
      container: {
        name: 'alertmanager', image: `prometheus-alertmanager:${amVersion}`,
        command: [
          '/usr/bin/prometheus-alertmanager', `--config.file=${CONFIG_DIR}/alertmanager.yml`, '--storage.path={{dataroot}}/alertmanager',
          `--web.listen-address=${amIp}:${amPort}`, `--web.external-url=http://${amIp}:${amPort}/`, '--cluster.listen-address=',
        ],
        volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR }, { name: 'data', mountPath: '{{dataroot}}/alertmanager' }],
      },
      volumes: [
        { name: 'config', configMap: { name: amConfigMap } },
        { name: 'data', hostPath: { path: `${dataRoot}/alertmanager`, type: 'DirectoryOrCreate' } },
      ],
    }),
  ];
  const exporterPort = stack.spec.nodeExporter?.port ?? 9100;
  const exporterVersion = stack.spec.nodeExporter?.version ?? DEFAULT_VERSIONS.nodeExporter;
  for (const node of ctx.nodes.list()) {
    const ip = nodeAddress(node);
    // Granary nodes that run packages: the exporter is Debian's package (a container node has no image of it).
    const nodeLabels = node.metadata.labels ?? {};
    if (!ip || nodeLabels['kubernetes.io/os'] !== GRANARY_OS || nodeLabels[`${RUNTIME_LABEL_PREFIX}container`] === 'true' || node.metadata.deletionTimestamp) continue;
    wanted.push(serverPod({
      name: resourceName(name, 'node-exporter', node.metadata.name!), namespace, node: node.metadata.name!, labels: labels('node-exporter'), owner, port: exporterPort, data: {},
      scrape: true,
      container: {
        name: 'node-exporter', image: `prometheus-node-exporter:${exporterVersion}`,
        command: ['/usr/bin/prometheus-node-exporter', `--web.listen-address=${ip}:${exporterPort}`],
        volumeMounts: [],
      },
      volumes: [],
    }));
  }

  // What to do about each pod, done a few at a time (a stack has a node exporter per node).
  const writes: (() => Promise<void>)[] = [];
  let waiting = false;
  const byName = new Map(ctx.pods.map((p) => [p.metadata.name!, p]));
  for (const pod of wanted) {
    const current = byName.get(pod.metadata.name!);
    byName.delete(pod.metadata.name!);
    if (current?.metadata.deletionTimestamp) {
      waiting = true;
      continue;
    }
    if (current && current.metadata.annotations?.[CONFIG_HASH] === pod.metadata.annotations![CONFIG_HASH] && current.spec?.nodeName === pod.spec?.nodeName) continue;
    writes.push(current
      ? async () => {
        await ctx.podApi.delete(current.metadata.name!, namespace, { preconditions: { uid: current.metadata.uid } }).catch(ignoreNotFound);
        void ctx.events.publish(stack, { type: 'Normal', reason: 'Restarting', action: 'Restart', note: `replacing pod ${current.metadata.name}: its configuration or node changed` });
      }
      : async () => {
        // Already there: the cache had not seen the pod of an earlier pass yet.
        const created = await ctx.podApi.create(pod).then(() => true, (err) => (isAlreadyExists(err) ? false : Promise.reject(err)));
        if (created) void ctx.events.publish(stack, { type: 'Normal', reason: 'SuccessfulCreate', action: 'Create', note: `created pod ${pod.metadata.name} on node ${pod.spec?.nodeName}` });
      });
  }
  // Pods nothing wants any more: node exporters of nodes that are gone, a server that moved.
  for (const stale of byName.values()) {
    // With its node gone, no agent will ever confirm that the pod stopped: it goes at once, as
    // Kubernetes' pod garbage collector removes the pods of deleted nodes.
    const nodeGone = !ctx.nodes.get({ name: stale.spec?.nodeName ?? '' });
    if (stale.metadata.deletionTimestamp && !nodeGone) continue;
    writes.push(async () => {
      await ctx.podApi.delete(stale.metadata.name!, namespace, { preconditions: { uid: stale.metadata.uid }, ...(nodeGone ? { gracePeriodSeconds: 0 } : {}) }).catch(ignoreNotFound);
      void ctx.events.publish(stack, { type: 'Normal', reason: 'SuccessfulDelete', action: 'Delete', note: `deleted pod ${stale.metadata.name}: ${nodeGone ? `its node ${stale.spec?.nodeName} is gone` : 'no longer wanted'}` });
    });
  }
  await forEachLimited(writes, POD_WRITES_IN_FLIGHT, (write) => write());
  const changed = waiting || writes.length > 0;

  const ready = (podName: string) => ctx.pods.some((p) => p.metadata.name === podName && isPodReady(p));
  const serversReady = ready(wanted[0].metadata.name!) && ready(wanted[1].metadata.name!);
  const exporters = ctx.pods.filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'node-exporter' && isPodReady(p)).length;
  await writeStatus(ctx, {
    prometheusUrl: `http://${at.prometheus}`, alertmanagerUrl: `http://${at.alertmanager}`, nodeExporters: exporters,
    available: serversReady,
  });
  return { requeueAfterMs: changed || !serversReady ? 2_000 : Math.min(tokenRefreshMs, 60_000) };
}

function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}

interface ServerPodSpec {
  name: string;
  namespace: string;
  node: string;
  labels: Record<string, string>;
  owner: ReturnType<typeof controllerReference>;
  port: number;
  /** What the pod's configuration is made of: a change replaces the pod. */
  data: Record<string, string>;
  scrape?: boolean;
  container: { name: string; image: string; command: string[]; volumeMounts: { name: string; mountPath: string }[] };
  volumes: NonNullable<NonNullable<Pod['spec']>['volumes']>;
}

function serverPod(s: ServerPodSpec): Pod {
  const spec: NonNullable<Pod['spec']> = {
    nodeName: s.node, tolerations: GRANARY_TOLERATIONS, terminationGracePeriodSeconds: 30, volumes: s.volumes,
    containers: [{
      ...s.container,
      ports: [{ name: 'http', containerPort: s.port }],
      readinessProbe: { tcpSocket: { port: s.port }, periodSeconds: 2, failureThreshold: 3 },
    }],
  };
  const hash = createHash('sha256').update(JSON.stringify([spec, s.data])).digest('hex').slice(0, 16);
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: s.name, namespace: s.namespace, labels: s.labels, ownerReferences: [s.owner],
      annotations: { [CONFIG_HASH]: hash, ...(s.scrape ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(s.port) } : {}) },
    },
    spec,
  } as Pod;
}

/** Keeps a Secret with a current token of the ServiceAccount; returns when to look again. */
async function ensureToken(ctx: StackContext, account: string, labels: Record<string, string>): Promise<number> {
  const { client, stack } = ctx;
  const namespace = stack.metadata.namespace!;
  const secretName = resourceName(stack.metadata.name!, 'prometheus-token');
  const secrets = client.resource<Secret>('v1', 'Secret');
  const current = await secrets.get(secretName, namespace).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
  const expires = Date.parse(current?.metadata.annotations?.[TOKEN_EXPIRY] ?? '');
  const renewAt = expires - (TOKEN_SECONDS * 1000) / 2;
  if (current?.data?.token && Number.isFinite(expires) && Date.now() < renewAt) return renewAt - Date.now();
  const request = await client.request<{ status: { token: string; expirationTimestamp: string } }>('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(account)}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_SECONDS } },
  });
  await secrets.apply({
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: { name: secretName, namespace, labels, ownerReferences: [controllerReference(stack)], annotations: { [TOKEN_EXPIRY]: request.status.expirationTimestamp } },
    data: { token: Buffer.from(request.status.token).toString('base64') },
  } as KubeObject, apply);
  return (TOKEN_SECONDS * 1000) / 2;
}

async function deleteClusterObjects(client: KubeClient, stack: MonitoringStack): Promise<void> {
  const name = clusterObjectName(stack);
  for (const kind of ['ClusterRoleBinding', 'ClusterRole']) {
    await client.resource('rbac.authorization.k8s.io/v1', kind).delete(name).catch(ignoreNotFound);
  }
}

async function writeStatus(ctx: StackContext, s: { problem?: { reason: string; message: string }; prometheusUrl?: string; alertmanagerUrl?: string; nodeExporters?: number; available?: boolean }): Promise<void> {
  const { stack } = ctx;
  const generation = stack.metadata.generation;
  let conditions = stack.status?.conditions as Condition[] | undefined;
  conditions = setCondition(conditions, s.problem ? degraded(true, s.problem.reason, s.problem.message, generation) : degraded(false, 'AsExpected', '', generation));
  conditions = setCondition(conditions, available(s.available === true, s.available ? 'Running' : s.problem?.reason ?? 'Starting',
    s.available ? 'Prometheus and Alertmanager are ready' : s.problem?.message ?? 'waiting for Prometheus and Alertmanager to be ready', generation));
  const status = {
    observedGeneration: generation, conditions: conditions as NonNullable<MonitoringStack['status']>['conditions'],
    ...(s.prometheusUrl ? { prometheusUrl: s.prometheusUrl, alertmanagerUrl: s.alertmanagerUrl, nodeExporters: s.nodeExporters } : {}),
  };
  if (JSON.stringify({ ...stack.status, ...status }) === JSON.stringify(stack.status)) return;
  for (const change of conditionChanges(stack.status?.conditions as Condition[] | undefined, conditions)) void ctx.events.publish(stack, change);
  await ctx.stacks.apply({ apiVersion: API_VERSION, kind: 'MonitoringStack', metadata: { name: stack.metadata.name, namespace: stack.metadata.namespace }, status } as KubeObject,
    { ...apply, subresource: 'status' });
}
