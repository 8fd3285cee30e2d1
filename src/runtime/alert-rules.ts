// Alert rules as a product operator declares them (Operator.alertRules), for every MonitoringStack
// to ship to its Prometheus beside the platform's own: Prometheus' alerting rules, as data.

export interface AlertRule {
  /** CamelCase, the product first: ZooKeeperServerDown. */
  alert: string;
  /** PromQL over the product's metrics; every series it returns is an alert. */
  expr: string;
  /** How long the expression must hold before the alert fires (a stack's spec.alerts.for overrides it). */
  for: string;
  /** severity is critical (someone must act now), warning or info; Alertmanager routes on it. */
  labels: { severity: 'critical' | 'warning' | 'info' } & Record<string, string>;
  /** summary: one line, with {{ $labels.x }} naming what is affected; description: what it means and what to do. */
  annotations: { summary: string; description?: string } & Record<string, string>;
}

/** One product's rules, as the monitoring operator gets them. */
export interface ProductAlertRules {
  product: string;
  rules: readonly AlertRule[];
}
