// Prometheus metrics of API calls made through the client, in the default prom-client registry
// that every long-lived granary process exposes.
import { Counter, Histogram } from 'prom-client';

export const clientMetrics = {
  requests: new Counter({ name: 'rest_client_requests_total', help: 'API requests by method and HTTP code.', labelNames: ['method', 'code'] }),
  latency: new Histogram({
    name: 'rest_client_request_duration_seconds', help: 'API request latency by method.', labelNames: ['method'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  retries: new Counter({ name: 'rest_client_request_retries_total', help: 'Retried API requests by method.', labelNames: ['method'] }),
};
