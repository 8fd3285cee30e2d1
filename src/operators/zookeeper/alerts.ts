// What every MonitoringStack alerts on for ZooKeeper, over the figures metrics.ts serves.
import type { AlertRule } from '../../runtime/alert-rules.ts';

export const ZOOKEEPER_ALERT_RULES: AlertRule[] = [
  {
    alert: 'ZooKeeperServerDown', expr: 'zookeeper_up == 0', for: '2m',
    labels: { severity: 'critical' },
    annotations: { summary: 'ZooKeeper server {{ $labels.server_id }} of {{ $labels.namespace }}/{{ $labels.cluster }} is down', description: 'Server {{ $labels.server_id }} (pod {{ $labels.pod }}) does not answer mntr.' },
  },
  {
    alert: 'ZooKeeperQuorumLost', expr: 'sum by (namespace, cluster) (zookeeper_up) <= count by (namespace, cluster) (zookeeper_up) / 2', for: '1m',
    labels: { severity: 'critical' },
    annotations: { summary: 'ZooKeeper {{ $labels.namespace }}/{{ $labels.cluster }} has lost its quorum', description: 'Half or more of the servers are down: the ensemble cannot serve writes.' },
  },
];
