// The monitoring operator as the CLI runs it: the MonitoringStack CRD and controller, the HTTP
// service discovery its Prometheus servers ask (served on the operators' endpoint from the
// controller's caches while this process leads), node state as kube-state-metrics names it
// (kube_node_status_condition, for the node-not-ready alert), and a summary line per stack.
import { Gauge } from 'prom-client';
import type { Node, Pod } from '../../api/kinds/core.ts';
import type { Route } from '../../runtime/secure-endpoint.ts';
import type { ReadStore } from '../../runtime/store.ts';
import type { Operator } from '../index.ts';
import { API_VERSION, MONITORING_STACK_CRD, type MonitoringStack } from './crd.ts';
import { nodeTargets, podTargets } from './discovery.ts';
import { alertLines, firingAlerts } from './alerts.ts';
import { stackController } from './stack.ts';

/** The caches discovery answers from: set while this process leads. */
let caches: { nodes: ReadStore<Node>; pods: ReadStore<Pod> } | undefined;

const discoveryRoute = (role: 'nodes' | 'pods'): Route => ({
  path: new RegExp(`^/discovery/${role}$`),
  // Whoever may list the objects may see the targets made of them, as with kubernetes_sd.
  attributes: () => ({ resourceAttributes: { verb: 'list', group: '', version: 'v1', resource: role } }),
  async serve(_req, res) {
    if (!caches) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('this operator process does not lead the monitoring operator now; ask again\n');
      return;
    }
    const groups = role === 'nodes' ? nodeTargets(caches.nodes.list()) : podTargets(caches.pods.list());
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(groups));
  },
});

/** kube-state-metrics' kube_node_status_condition, from the node cache, at each scrape. */
new Gauge({
  name: 'kube_node_status_condition', help: 'The condition of a cluster node (1 for the condition\'s current status).', labelNames: ['node', 'condition', 'status'],
  collect() {
    this.reset();
    for (const node of caches?.nodes.list() ?? []) {
      for (const c of node.status?.conditions ?? []) {
        for (const status of ['true', 'false', 'unknown']) this.set({ node: node.metadata.name!, condition: c.type, status }, c.status.toLowerCase() === status ? 1 : 0);
      }
    }
  },
});

export const monitoringOperator: Operator = {
  name: 'monitoring',
  crds: [MONITORING_STACK_CRD],
  routes: [discoveryRoute('nodes'), discoveryRoute('pods')],
  async run(client, log, signal, context) {
    if (!context?.endpoint) log.warn('no operators\' endpoint (--metrics-bind-address 0): MonitoringStacks get no targets from discovery');
    const controller = stackController({
      client, cache: context?.cache, log: log.child({ controller: 'monitoringstack' }), operatorEndpoint: context?.endpoint ?? 'https://discovery.invalid:8443',
      productAlerts: context?.alertRules ?? [],
    });
    caches = { nodes: controller.storeOf<Node>('v1', 'Node'), pods: controller.storeOf<Pod>('v1', 'Pod') };
    try {
      await controller.run(signal);
    } finally {
      caches = undefined;
    }
  },
  // On one machine, a week or a gigabyte of samples is plenty.
  platform: (nodes) => [{
    apiVersion: API_VERSION, kind: 'MonitoringStack', metadata: { name: 'monitoring', namespace: 'default' },
    spec: { prometheus: { nodeName: nodes[0], retention: '7d', retentionSize: '1GB' } },
  }],
  async summary(client) {
    const stacks = await client.resource<MonitoringStack>(API_VERSION, 'MonitoringStack').list();
    const lines: string[] = [];
    for (const s of stacks.items) {
      const ready = s.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
      lines.push(`MonitoringStack ${s.metadata.namespace}/${s.metadata.name}: ${ready ? 'available' : 'not available yet'}${s.status?.prometheusUrl ? `, Prometheus at ${s.status.prometheusUrl}, Alertmanager at ${s.status.alertmanagerUrl}` : ''}`);
      if (ready && s.status?.prometheusUrl) {
        lines.push(...await firingAlerts(s.status.prometheusUrl).then(alertLines, (err: Error) => [`  alerts unknown: Prometheus cannot be asked (${err.message})`]));
      }
    }
    return lines;
  },
};
