// Prometheus metrics of the API server, named as Kubernetes names them.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ApiMetrics {
  private readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'apiserver_request_total', help: 'Requests by verb, resource and HTTP code.',
    labelNames: ['verb', 'resource', 'code'], registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'apiserver_request_duration_seconds', help: 'Request latency by verb and resource (watches excluded).',
    labelNames: ['verb', 'resource'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly longRunning = new Gauge({
    name: 'apiserver_longrunning_requests', help: 'Long-running requests (watches) open now, by verb, group, version, resource and scope.',
    labelNames: ['verb', 'group', 'version', 'resource', 'scope', 'component'], registers: [this.registry],
  });
  readonly contentType = this.registry.contentType;

  observe(o: { verb: string; resource: string; code: number; durationMs: number }): void {
    this.requests.inc({ verb: o.verb, resource: o.resource, code: String(o.code) });
    if (o.verb !== 'watch') this.duration.observe({ verb: o.verb, resource: o.resource }, o.durationMs / 1000);
  }

  /** Counts a long-running request as open; the returned function counts it closed (once). */
  openLongRunning(labels: { verb: string; group: string; version: string; resource: string; scope: string }): () => void {
    const full = { ...labels, component: 'apiserver' };
    this.longRunning.inc(full);
    let open = true;
    return () => {
      if (open) this.longRunning.dec(full);
      open = false;
    };
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
