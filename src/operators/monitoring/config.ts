// What a MonitoringStack's Prometheus and Alertmanager read, as files: prometheus.yml (the
// scrape jobs, with targets from the operator's HTTP discovery), the shipped alert rules, and
// alertmanager.yml. Pure functions of the stack and the addresses it runs at.
import { stringify } from 'yaml';
import type { AlertRule, ProductAlertRules } from '../../runtime/alert-rules.ts';
import type { MonitoringStack } from './crd.ts';

export interface StackAddresses {
  /** host:port of Prometheus and Alertmanager. */
  prometheus: string;
  alertmanager: string;
  /** https://host:port of the operators' endpoint: metrics and discovery. */
  operatorEndpoint: string;
  /** host:port of the API server. */
  apiServer: string;
}

/** Where the files are, as the pod sees them. */
export interface StackFiles {
  configDir: string;
  /** The ServiceAccount token Prometheus authenticates with. */
  tokenFile: string;
  /** The cluster CA, to verify the API server. */
  caFile: string;
}

/** The platform's own rules: what an operator of Granary itself must hear about. */
export const PLATFORM_ALERT_RULES: AlertRule[] = [
  {
    alert: 'GranaryNodeNotReady', expr: 'kube_node_status_condition{condition="Ready",status="true"} == 0', for: '5m',
    labels: { severity: 'warning' },
    annotations: { summary: 'Node {{ $labels.node }} is not Ready', description: 'Node {{ $labels.node }} has not been Ready for a while: its agent stopped renewing its lease or reports a problem (kubectl describe node {{ $labels.node }}).' },
  },
  {
    alert: 'GranaryAgentDown', expr: 'up{job="granary-agents"} == 0', for: '5m',
    labels: { severity: 'critical' },
    annotations: { summary: 'The agent of node {{ $labels.node }} cannot be scraped', description: 'Prometheus cannot reach the agent of node {{ $labels.node }} at {{ $labels.instance }}: the agent or its host is down.' },
  },
  {
    alert: 'GranaryApiServerErrorRateHigh',
    expr: 'sum(rate(apiserver_request_total{code=~"5.."}[5m])) / sum(rate(apiserver_request_total[5m])) > 0.05', for: '10m',
    labels: { severity: 'warning' },
    annotations: { summary: 'The API server fails more than 5% of requests', description: 'Over the last 5 minutes {{ $value | humanizePercentage }} of requests ended with a 5xx code.' },
  },
  {
    alert: 'GranaryNodeCertificateExpiring', expr: 'kubelet_certificate_manager_client_ttl_seconds < 7 * 86400', for: '1h',
    labels: { severity: 'warning' },
    annotations: { summary: 'The client certificate of node {{ $labels.node }} expires within a week', description: 'It expires in {{ $value | humanizeDuration }}; with --rotate-certificates the agent renews it, otherwise issue a new one (granary node-credential).' },
  },
];

/** rules.yml: the platform's rules and each product's, one group each; spec.alerts.for, when set, is every rule's `for`. */
export function alertRules(stack: MonitoringStack, products: readonly ProductAlertRules[]): string {
  const groups = [{ product: 'granary', rules: PLATFORM_ALERT_RULES }, ...products];
  return stringify({
    groups: groups.map((g) => ({ name: g.product, rules: g.rules.map((rule) => ({ ...rule, for: stack.spec.alerts?.for ?? rule.for })) })),
  });
}

export function prometheusConfig(stack: MonitoringStack, at: StackAddresses, files: StackFiles): string {
  const p = stack.spec.prometheus;
  const refresh = p.discoveryRefreshInterval ?? '10s';
  // The type is spelled out: Debian's Prometheus 2.42 sends http_sd requests without "Bearer" otherwise.
  const asStack = { authorization: { type: 'Bearer', credentials_file: files.tokenFile } };
  const operatorTls = { tls_config: { insecure_skip_verify: true } };
  const discovery = (role: string) => [{ url: `${at.operatorEndpoint}/discovery/${role}`, refresh_interval: refresh, ...asStack, ...operatorTls }];
  const podLabels = [
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
    { regex: '__meta_kubernetes_pod_label_app_kubernetes_io_(name|instance|component|role_group)', action: 'labelmap', replacement: '$1' },
  ];
  const config = {
    global: {
      scrape_interval: p.scrapeInterval ?? '30s', evaluation_interval: p.evaluationInterval ?? '30s',
      external_labels: { monitoring_stack: `${stack.metadata.namespace}/${stack.metadata.name}` },
    },
    alerting: { alertmanagers: [{ static_configs: [{ targets: [at.alertmanager] }] }] },
    rule_files: [`${files.configDir}/rules.yml`],
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: [at.prometheus] }] },
      { job_name: 'alertmanager', static_configs: [{ targets: [at.alertmanager] }] },
      { job_name: 'granary-apiserver', scheme: 'https', ...asStack, tls_config: { ca_file: files.caFile }, static_configs: [{ targets: [at.apiServer] }] },
      { job_name: 'granary-operators', scheme: 'https', ...asStack, ...operatorTls, static_configs: [{ targets: [new URL(at.operatorEndpoint).host] }] },
      {
        // Every node's agent, on its kubelet port (nodes/metrics).
        job_name: 'granary-agents', scheme: 'https', ...asStack, ...operatorTls, http_sd_configs: discovery('nodes'),
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' },
        ],
      },
      {
        // Pods that ask to be scraped: prometheus.io/scrape "true", at prometheus.io/port (or
        // their declared port), prometheus.io/path (default /metrics), prometheus.io/scheme.
        job_name: 'pods', http_sd_configs: discovery('pods'),
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true', action: 'keep' },
          { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Running', action: 'keep' },
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scheme'], regex: '(https?)', target_label: '__scheme__' },
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], regex: '(.+)', target_label: '__metrics_path__' },
          { source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'], regex: '(.+?)(?::\\d+)?;(\\d+)', replacement: '$1:$2', target_label: '__address__' },
          ...podLabels,
        ],
      },
    ],
  };
  return stringify(config);
}

export function alertmanagerConfig(stack: MonitoringStack): string {
  const webhook = stack.spec.alertmanager?.webhookUrl;
  return stringify({
    route: { receiver: 'default', group_by: ['alertname', 'namespace', 'cluster'], group_wait: '10s', group_interval: '1m', repeat_interval: '4h' },
    receivers: [{ name: 'default', ...(webhook ? { webhook_configs: [{ url: webhook, send_resolved: true }] } : {}) }],
  });
}
