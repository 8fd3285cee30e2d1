// `granary agent`: a kubelet for bare metal. Registers this host as a Node and keeps its Lease,
// watches the pods bound to it (and, one by one, the ConfigMaps and Secrets they reference; and
// the PackageRepositories), and hands each pod to the pod workers, which run it through the host
// runtime. It needs no more than a node's credential allows (system:node:NAME, see
// docs/security.md): it never lists pods of other nodes, nor ConfigMaps or Secrets.
import { escapeFieldValue } from '../api/selectors.ts';
import type { KubeClient } from '../client/client.ts';
import type { Logger } from '../common/log.ts';
import { Controller } from '../runtime/controller.ts';
import { refKey, Store } from '../runtime/store.ts';
import { RUNTIME_LABEL_PREFIX } from '../runtime/labels.ts';
import { watcher } from '../runtime/watcher.ts';
import { measureCapacity, NodeRegistration } from './node.ts';
import { PackageManager } from './packages/manager.ts';
import { PACKAGE_REPOSITORY_API_VERSION, repositoryConfigs, type PackageRepository } from './packages/repository-resource.ts';
import type { ConfigMap, Pod, Secret } from './pod-types.ts';
import type { RuntimeClass } from '../api/kinds/node.ts';
import { PodWorkers } from './pod-worker.ts';
import { ReferencedObjects } from './referenced-objects.ts';
import type { ContainerRuntime } from './runtimes/runtime.ts';
import type { ImageManager } from './images/manager.ts';
import { PodCertificates } from './volumes/certificates.ts';
import { podPaths } from './volumes/layout.ts';
import { startNodeEndpoint } from './node-endpoint.ts';
import { EventRecorder } from '../runtime/events.ts';
import { agentMetrics, followClientCertificate } from './metrics.ts';

/**
 * The node's directory for hostPath volumes (<root>/volumes): operators write real paths below it
 * into their pods, which then also run unchanged on a kubelet.
 */
export const VOLUME_ROOT_ANNOTATION = 'granary.dev/volume-root';

/** How often unused images are looked for, and how long an image must have been unused to go. */
const IMAGE_GC_INTERVAL_MS = 5 * 60_000;

export interface AgentOptions {
  client: KubeClient;
  nodeName: string;
  nodeIp: string;
  root: string;
  runtime: ContainerRuntime;
  /** The container runtime's images (with --runtime container). */
  images?: ImageManager;
  /** Images no pod on the node wanted for this long are removed. */
  imageGcUnusedMs?: number;
  /** containerRuntimeVersion in the Node's status, e.g. containerd://1.6.20. */
  runtimeVersion?: string;
  labels: Record<string, string>;
  /** Port of the node's endpoint (metrics, and logs for the API server's pods/log; 0 picks a free one). */
  port: number;
  log: Logger;
}


export async function runAgent(opts: AgentOptions, signal: AbortSignal): Promise<void> {
  const { client, log } = opts;
  const logServer = await startNodeEndpoint({ host: opts.nodeIp, port: opts.port, nodeName: opts.nodeName, client, runtime: opts.runtime, log: log.child({ part: 'endpoint' }) });
  agentMetrics.nodeName.set({ node: opts.nodeName }, 1);
  followClientCertificate(() => client.connection.cert);
  const registration = new NodeRegistration(client, {
    name: opts.nodeName, ip: opts.nodeIp, port: (logServer.address() as { port: number }).port,
    // Package runtimes also say so generically: the granary-package RuntimeClass selects on it.
    labels: { ...opts.labels, [`${RUNTIME_LABEL_PREFIX}${opts.runtime.kind}`]: 'true', ...(opts.runtime.kind !== 'container' ? { [`${RUNTIME_LABEL_PREFIX}package`]: 'true' } : {}) },
    annotations: { [VOLUME_ROOT_ANNOTATION]: podPaths(opts.root, 'x').volumeRoot }, runtime: opts.runtimeVersion ?? `${opts.runtime.kind}://granary`,
  }, () => measureCapacity(opts.root), log.child({ part: 'node' }));
  // The control plane may not be reachable yet: keep trying, never give up.
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      await registration.register();
      break;
    } catch (err) {
      log.warn({ err: String(err), attempt }, 'could not register the node yet; retrying');
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * attempt)));
    }
  }
  log.info({ node: opts.nodeName }, 'node registered');

  const repositories = new Store<PackageRepository>();
  const runtimeClasses = new Store<RuntimeClass>();
  const packages = await PackageManager.open({ root: opts.root, repositories: () => repositoryConfigs(repositories.list()).configs, log: log.child({ part: 'packages' }) });
  const pods = client.resource<Pod>('v1', 'Pod');
  let controller!: Controller<Pod>;
  // The last version of each pod seen, for cleaning up after one that vanished between looks.
  const lastSeen = new Map<string, Pod>();
  const referenced = new ReferencedObjects(client, (pod) => controller.enqueue(pod), log.child({ part: 'references' }), signal);
  const workers = new PodWorkers({
    runtime: opts.runtime, packages, images: opts.images, pods,
    runtimeClassHandler: (name) => (runtimeClasses.synced ? runtimeClasses.get({ name })?.handler ?? null : undefined), root: opts.root, hostIP: opts.nodeIp, log: log.child({ part: 'pods' }),
    sources: (namespace) => ({
      configMap: (name) => referenced.get('ConfigMap', namespace, name) as ConfigMap | undefined,
      secret: (name) => referenced.get('Secret', namespace, name) as Secret | undefined,
    }),
    wake: (pod) => controller.enqueue({ namespace: pod.metadata.namespace, name: pod.metadata.name! }),
    certificates: new PodCertificates({
      client, nodeName: opts.nodeName, nodeIp: opts.nodeIp, log: log.child({ part: 'certificates' }), signal,
      wake: (pod) => controller.enqueue({ namespace: pod.metadata.namespace, name: pod.metadata.name! }),
    }),
    events: new EventRecorder(client, 'granary-agent', opts.nodeName, log.child({ part: 'events' })),
  });
  controller = new Controller<Pod>({
    name: `agent-${opts.nodeName}`, client, apiVersion: 'v1', kind: 'Pod', fieldSelector: `spec.nodeName=${escapeFieldValue(opts.nodeName)}`, log: log.child({ part: 'pods' }),
    concurrency: 8,
    reconcile: async (pod) => {
      lastSeen.set(refKey({ namespace: pod.metadata.namespace, name: pod.metadata.name! }), pod);
      await referenced.track(pod);
      return workers.sync(pod);
    },
    cleanup: async (ref) => {
      referenced.release(ref);
      const pod = lastSeen.get(refKey(ref));
      lastSeen.delete(refKey(ref));
      if (pod) await workers.discard(pod);
    },
  });

  // A run that started or ended (a crash, a restart) is reported at once, as a kubelet's PLEG
  // event triggers a pod sync; the periodic look (STATUS_REFRESH_MS) stays as the fallback.
  const unsubscribe = opts.runtime.onRunEvent((event) => controller.enqueue({ namespace: event.labels.namespace, name: event.labels.pod }));
  const background = [
    registration.heartbeat(signal),
    (async () => {
      for await (const event of watcher(client.resource<PackageRepository>(PACKAGE_REPOSITORY_API_VERSION, 'PackageRepository'), {}, signal)) repositories.apply(event);
    })(),
    (async () => {
      for await (const event of watcher(client.resource<RuntimeClass>('node.k8s.io/v1', 'RuntimeClass'), {}, signal)) runtimeClasses.apply(event);
    })(),
    adoptAndClean(controller, workers, opts.runtime, packages, log, signal),
    ...(opts.images ? [collectImages(controller, opts.images, opts.imageGcUnusedMs ?? 60 * 60_000, log, signal)] : []),
  ];
  await controller.run(signal);
  unsubscribe();
  await Promise.allSettled(background);
  // Probe timers would otherwise keep the process alive after a SIGTERM.
  workers.close();
  logServer.closeAllConnections();
  await new Promise((r) => logServer.close(r));
  await opts.runtime.close();
}

/**
 * After the first list of this node's pods: services of pods still bound here are adopted as they
 * run (the pod workers pick them up); services of pods that are gone are removed, with their files
 * and packages.
 */
async function adoptAndClean(controller: Controller<Pod>, workers: PodWorkers, runtime: ContainerRuntime, packages: PackageManager, log: Logger, signal: AbortSignal): Promise<void> {
  await Promise.race([controller.store.ready, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
  if (signal.aborted) return;
  const live = new Set(controller.store.list().map((p) => p.metadata.uid!));
  const orphans = new Map<string, string[]>();
  for (const service of await runtime.list()) {
    const uid = service.labels?.podUid;
    if (uid && live.has(uid)) continue;
    const key = uid ?? `unlabelled:${service.name}`;
    orphans.set(key, [...(orphans.get(key) ?? []), service.name]);
  }
  for (const [uid, names] of orphans) {
    log.info({ podUid: uid, services: names }, 'removing services of a pod that is gone');
    if (uid.startsWith('unlabelled:')) for (const name of names) await runtime.remove(name);
    else await workers.forget(uid, names);
  }
  await packages.retainOnly(live);
}

/** Every few minutes: removes the images no pod bound here has wanted for `unusedMs`. */
async function collectImages(controller: Controller<Pod>, images: ImageManager, unusedMs: number, log: Logger, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await new Promise((r) => { const timer = setTimeout(r, Math.min(IMAGE_GC_INTERVAL_MS, unusedMs)); signal.addEventListener('abort', () => { clearTimeout(timer); r(undefined); }, { once: true }); });
    if (signal.aborted) return;
    const wanted = new Set(controller.store.list().flatMap((p) => [...(p.spec.initContainers ?? []), ...p.spec.containers].map((c) => c.image ?? '')));
    try {
      await images.inUse(wanted);
      await images.collectGarbage(unusedMs, wanted);
    } catch (err) {
      log.warn({ err: String(err) }, 'image garbage collection failed; trying again later');
    }
  }
}
