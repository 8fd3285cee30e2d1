// The monitoring operator's custom resource: MonitoringStack, a Prometheus, an Alertmanager and a
// node exporter on every node, run on Granary nodes from Debian's packages.
import { Type, type Static } from '@sinclair/typebox';
import { ConditionSchema, kindSchema } from '../../api/kinds/meta.ts';
import { customResourceDefinition } from '../../runtime/crd.ts';

export const PRODUCT = 'monitoring';
export const GROUP = 'monitoring.granary.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const MANAGER = 'monitoring-operator';

/** The versions in Debian 12's packages; what a stack runs unless it says otherwise. */
export const DEFAULT_VERSIONS = { prometheus: '2.42.0+ds', alertmanager: '0.25.0', nodeExporter: '1.5.0' };

const port = (description: string) => Type.Optional(Type.Integer({ minimum: 1024, maximum: 65535, description }));
const duration = (description: string) => Type.Optional(Type.String({ pattern: '^([0-9]+(ms|s|m|h|d|w|y))+$', description }));

export const MonitoringStackSchema = kindSchema('A monitoring stack: Prometheus, Alertmanager and a node exporter on every Granary node.', {
  spec: Type.Object({
    prometheus: Type.Object({
      nodeName: Type.String({ minLength: 1, description: 'The node Prometheus runs on; its data lives under that node\'s volume root.' }),
      version: Type.Optional(Type.String({ description: `Prometheus version (default ${DEFAULT_VERSIONS.prometheus}, Debian's).` })),
      port: port('Port of Prometheus\' web UI and API on its node\'s address (default 9090).'),
      retention: duration('How long samples are kept (default 15d).'),
      retentionSize: Type.Optional(Type.String({ pattern: '^[0-9]+(B|KB|MB|GB|TB|PB)$', description: 'At most this much data is kept, oldest first removed (default 10GB), e.g. 512MB.' })),
      scrapeInterval: duration('How often targets are scraped (default 30s).'),
      evaluationInterval: duration('How often alert rules are evaluated (default 30s).'),
      discoveryRefreshInterval: duration('How often Prometheus asks for the current targets (default 10s).'),
    }, { description: 'The Prometheus server.' }),
    alertmanager: Type.Optional(Type.Object({
      nodeName: Type.Optional(Type.String({ minLength: 1, description: 'The node Alertmanager runs on (default Prometheus\' node).' })),
      version: Type.Optional(Type.String({ description: `Alertmanager version (default ${DEFAULT_VERSIONS.alertmanager}, Debian's).` })),
      port: port('Port of Alertmanager\'s web UI and API (default 9093).'),
      webhookUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'Where Alertmanager sends notifications (a webhook receiver); none when unset.' })),
    }, { description: 'The Alertmanager.' })),
    nodeExporter: Type.Optional(Type.Object({
      version: Type.Optional(Type.String({ description: `Node exporter version (default ${DEFAULT_VERSIONS.nodeExporter}, Debian's).` })),
      port: port('Port of the node exporter on every node\'s address (default 9100).'),
    }, { description: 'The node exporter run on every Granary node.' })),
    alerts: Type.Optional(Type.Object({
      for: duration('How long a shipped alert\'s condition must hold before it fires, for every shipped rule (default: each rule\'s own, minutes).'),
    }, { description: 'The shipped alert rules.' })),
  }),
  status: Type.Optional(Type.Object({
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(ConditionSchema)),
    prometheusUrl: Type.Optional(Type.String({ description: 'Prometheus\' web UI and API.' })),
    alertmanagerUrl: Type.Optional(Type.String({ description: 'Alertmanager\'s web UI and API.' })),
    nodeExporters: Type.Optional(Type.Integer({ description: 'Node exporters running.' })),
  })),
}, ['spec']);
export type MonitoringStack = Static<typeof MonitoringStackSchema>;

export const MONITORING_STACK_CRD = customResourceDefinition({
  group: GROUP, kind: 'MonitoringStack', plural: 'monitoringstacks', shortNames: ['mon'],
  versions: [{
    name: VERSION, schema: MonitoringStackSchema, storage: true,
    printerColumns: [
      { name: 'Prometheus', type: 'string', jsonPath: '.status.prometheusUrl' },
      { name: 'Alertmanager', type: 'string', jsonPath: '.status.alertmanagerUrl' },
      { name: 'Available', type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].status' },
    ],
  }],
});
