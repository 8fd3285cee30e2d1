// Prometheus metrics of controllers and their queues, with the names controller-runtime uses, in
// prom-client's default registry (served at /metrics by every long-lived granary process).
import { Counter, Gauge, Histogram } from 'prom-client';

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const runtimeMetrics = {
  reconcileTotal: new Counter({ name: 'controller_runtime_reconcile_total', help: 'Reconciliations per controller and result.', labelNames: ['controller', 'result'] }),
  reconcileErrors: new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Reconciliation errors per controller.', labelNames: ['controller'] }),
  reconcileTime: new Histogram({ name: 'controller_runtime_reconcile_time_seconds', help: 'Time per reconciliation.', labelNames: ['controller'], buckets: seconds }),
  activeWorkers: new Gauge({ name: 'controller_runtime_active_workers', help: 'Reconciliations running now.', labelNames: ['controller'] }),
  queueDepth: new Gauge({ name: 'workqueue_depth', help: 'Keys waiting in the work queue.', labelNames: ['name'] }),
  queueAdds: new Counter({ name: 'workqueue_adds_total', help: 'Keys added to the work queue.', labelNames: ['name'] }),
  queueRetries: new Counter({ name: 'workqueue_retries_total', help: 'Keys re-queued after a failure.', labelNames: ['name'] }),
  queueLatency: new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'Time a key waits before processing.', labelNames: ['name'], buckets: seconds }),
  leader: new Gauge({ name: 'leader_election_master_status', help: '1 while this process holds the lease.', labelNames: ['name'] }),
};
