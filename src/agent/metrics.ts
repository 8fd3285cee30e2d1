// The agent's Prometheus metrics, named as kubelet names them so that dashboards and alerts
// written for kubelets work unchanged, in prom-client's default registry (served on the node's
// kubelet port at /metrics, see node-endpoint.ts).
import { X509Certificate } from 'node:crypto';
import { Counter, Gauge, Histogram } from 'prom-client';

const startBuckets = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800];

export const agentMetrics = {
  nodeName: new Gauge({ name: 'kubelet_node_name', help: 'The node\'s name. The count is always 1.', labelNames: ['node'] }),
  runningPods: new Gauge({ name: 'kubelet_running_pods', help: 'Number of pods with at least one running container.' }),
  runningContainers: new Gauge({ name: 'kubelet_running_containers', help: 'Number of containers currently in each state.', labelNames: ['container_state'] }),
  podStartDuration: new Histogram({
    name: 'kubelet_pod_start_duration_seconds', help: 'Duration in seconds from the agent seeing a pod for the first time to the pod starting to run (packages installed included).',
    buckets: startBuckets,
  }),
  podWorkerDuration: new Histogram({
    name: 'kubelet_pod_worker_duration_seconds', help: 'Duration in seconds to sync a single pod, by operation (create, update, sync, delete).',
    labelNames: ['operation'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  }),
  startedPods: new Counter({ name: 'kubelet_started_pods_total', help: 'Cumulative number of pods started.' }),
  startedPodErrors: new Counter({ name: 'kubelet_started_pods_errors_total', help: 'Cumulative number of errors when starting pods.' }),
  startedContainers: new Counter({ name: 'kubelet_started_containers_total', help: 'Cumulative number of containers started.', labelNames: ['container_type'] }),
  startedContainerErrors: new Counter({
    name: 'kubelet_started_containers_errors_total', help: 'Cumulative number of errors when starting containers.', labelNames: ['code', 'container_type'],
  }),
  probes: new Counter({
    name: 'prober_probe_total', help: 'Cumulative number of liveness, readiness or startup probes of a container, by result.',
    labelNames: ['probe_type', 'result', 'container', 'pod', 'namespace'],
  }),
};

let certificateSource: (() => string | undefined) | undefined;

/**
 * Reports kubelet_certificate_manager_client_ttl_seconds for the client certificate in use,
 * read at each scrape (it may have been rotated since the last).
 */
export function followClientCertificate(current: () => string | undefined): void {
  if (!certificateSource) {
    new Gauge({
      name: 'kubelet_certificate_manager_client_ttl_seconds', help: 'Seconds until the node\'s client certificate expires (negative once it has).',
      collect() {
        const pem = certificateSource?.();
        if (pem) this.set((new X509Certificate(pem).validToDate.getTime() - Date.now()) / 1000);
      },
    });
  }
  certificateSource = current;
}
