// `granary operator all|NAME --kubeconfig FILE`: runs the product operators against any cluster.
// Each operator campaigns for its own Lease in kube-system, so several replicas (or an `all` next
// to a single operator) never reconcile the same objects at once; SIGINT or SIGTERM stops the
// controllers, releases the leases and exits 0. The process serves its metrics (controller-runtime's
// names) over HTTPS at --metrics-bind-address, to callers the API server authenticates and allows
// `get` on the non-resource URL /metrics (as controller-runtime's authenticated metrics filter).
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import type { KubeObject } from '../api/meta.ts';
import { KubeClient } from '../client/client.ts';
import { isAlreadyExists, isNotFound } from '../client/errors.ts';
import { createLogger, type Logger } from '../common/log.ts';
import { clientSource, SharedCache } from '../runtime/cache.ts';
import { LeaderElector } from '../runtime/leader.ts';
import { OPERATORS, productAlertRules, type Operator, type OperatorContext } from '../operators/index.ts';
import { metricsRoute, startSecureEndpoint } from '../runtime/secure-endpoint.ts';
import { UsageError } from './process.ts';

export const DEFAULT_METRICS_ADDRESS = '0.0.0.0:8443';

export const OPERATOR_USAGE = `  operator all|NAME [--kubeconfig FILE] [--lease-namespace NS] [--metrics-bind-address HOST:PORT|0] [--advertise-address HOST]
                                                  run the product operators (${OPERATORS.map((o) => o.name).join(', ') || 'none yet'}) against a cluster
                                                  (metrics and discovery over HTTPS at HOST:PORT, default ${DEFAULT_METRICS_ADDRESS}; 0: none;
                                                  reached by Prometheus at --advertise-address, default the bind host or this host's name)`;


export const LEASE_NAMESPACE = 'kube-system';

/** The Lease an operator's leader holds. */
export function leaseName(operator: Operator): string {
  return `granary-operator-${operator.name}`;
}

/** The operators `all` or one NAME stands for; a usage error names the choices. */
export function selectOperators(which: string | undefined, available: Operator[] = OPERATORS): Operator[] {
  const choices = ['all', ...available.map((o) => o.name)].join(', ');
  if (which === undefined) throw new UsageError(`granary operator needs which operator to run: one of ${choices}`);
  if (which === 'all') return available;
  const found = available.find((o) => o.name === which);
  if (!found) throw new UsageError(`unknown operator ${JSON.stringify(which)}; choose one of ${choices}`);
  return [found];
}

/** Fails with what to do when the cluster lacks a CRD the operators serve. */
export async function checkCrdsInstalled(client: KubeClient, operators: Operator[]): Promise<void> {
  const api = client.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  for (const crd of operators.flatMap((o) => o.crds)) {
    try {
      await api.get(crd.metadata.name!);
    } catch (err) {
      if (isNotFound(err)) throw new Error(`customresourcedefinition ${crd.metadata.name} is not installed on ${client.connection.server}; run \`granary install --kubeconfig FILE\` first`);
      throw err;
    }
  }
}

/**
 * Runs each operator under leader election (one Lease per operator) until `signal` aborts; the
 * leases are released on the way out so that a successor need not wait for them to expire.
 */
export async function runOperators(client: KubeClient, operators: Operator[], log: Logger, signal: AbortSignal, opts: { identity?: string; leaseNamespace?: string; leaseDurationSeconds?: number; context?: OperatorContext } = {}): Promise<void> {
  const identity = opts.identity ?? `${hostname()}-${process.pid}`;
  // One cache for every operator: informers outlive a lost leadership, so a new term starts warm.
  const cache = opts.context?.cache ?? new SharedCache(clientSource(client), { log: log.child({ part: 'cache' }) });
  cache.start(signal);
  const context: OperatorContext = { ...opts.context, cache };
  await Promise.all(operators.map((operator) => {
    const olog = log.child({ operator: operator.name });
    return new LeaderElector({
      client, namespace: opts.leaseNamespace ?? LEASE_NAMESPACE, name: leaseName(operator), identity, log: olog,
      leaseDurationSeconds: opts.leaseDurationSeconds,
    }).run((leading) => operator.run(client, olog, leading, context), signal);
  }));
}

/** Creates each demo object that does not exist yet; one that exists is left as the user has it. */
export async function applyDemo(client: KubeClient, operators: Operator[], objects = operators.flatMap((o) => o.demo ?? [])): Promise<{ object: KubeObject; created: boolean }[]> {
  const results: { object: KubeObject; created: boolean }[] = [];
  for (const object of objects) {
    const api = client.resource(object.apiVersion!, object.kind!);
    try {
      await api.create({ ...object, metadata: { ...object.metadata, namespace: object.metadata.namespace ?? 'default' } });
      results.push({ object, created: true });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      results.push({ object, created: false });
    }
  }
  return results;
}

export async function operatorCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' }, 'lease-namespace': { type: 'string', default: LEASE_NAMESPACE },
      'metrics-bind-address': { type: 'string', default: DEFAULT_METRICS_ADDRESS }, 'advertise-address': { type: 'string' },
    },
  });
  if (positionals.length > 1) throw new UsageError(`granary operator runs all operators or one: got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  const operators = selectOperators(positionals[0]);
  const metricsAddress = values['metrics-bind-address']!;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(metricsAddress);
  if (metricsAddress !== '0' && (!m || Number(m[3]) > 65535)) throw new UsageError(`--metrics-bind-address takes HOST:PORT or 0, got ${JSON.stringify(metricsAddress)}`);
  const listen = m ? { host: m[1] ?? m[2], port: Number(m[3]) } : undefined;
  const client = KubeClient.fromKubeconfig(values.kubeconfig);
  const log = createLogger('operator');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const metrics = listen && await startSecureEndpoint({
    ...listen, client, log: log.child({ part: 'metrics' }),
    routes: [
      metricsRoute((req) => ({ nonResourceAttributes: { verb: 'get', path: new URL(req.url ?? '/', 'https://o.invalid').pathname } })),
      ...operators.flatMap((o) => o.routes ?? []),
    ],
  });
  const context: OperatorContext = { alertRules: productAlertRules() };
  if (metrics && listen) {
    const host = values['advertise-address'] ?? (['0.0.0.0', '::', ''].includes(listen.host) ? hostname() : listen.host);
    context.endpoint = `https://${host.includes(':') ? `[${host}]` : host}:${(metrics.address() as { port: number }).port}`;
    log.info({ address: metrics.address(), endpoint: context.endpoint }, 'serving metrics');
  }
  try {
    await checkCrdsInstalled(client, operators);
    log.info({ operators: operators.map((o) => o.name), server: client.connection.server }, 'operators starting');
    await runOperators(client, operators, log, stop.signal, { leaseNamespace: values['lease-namespace'], context });
    log.info('operators stopped');
  } finally {
    metrics?.closeAllConnections();
    await new Promise((r) => (metrics ? metrics.close(r) : r(undefined)));
    await client.close();
  }
}
