// Prometheus metrics of the API server, named as Kubernetes names them.
import { Counter, Histogram, Registry } from 'prom-client';

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
  readonly contentType = this.registry.contentType;

  observe(o: { verb: string; resource: string; code: number; durationMs: number }): void {
    this.requests.inc({ verb: o.verb, resource: o.resource, code: String(o.code) });
    if (o.verb !== 'watch') this.duration.observe({ verb: o.verb, resource: o.resource }, o.durationMs / 1000);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
