// Subresources that are more than a read or write of the object: binding a pod to a node, and
// a namespace's finalize.
import type { Binding, Node, Pod } from '../api/kinds/core.ts';
import type { KubeObject, StatusCause } from '../api/meta.ts';
import { get as httpsGet } from 'node:https';
import { ApiError, errors } from './errors.ts';
import { sendJson } from './http/codec.ts';
import type { SubresourceHandler } from './http/handler.ts';
import type { Query } from './http/query.ts';
import { fieldError } from './validation/field.ts';
import { timestamp } from './registry/store.ts';


/** POST pods/{name}/binding: sets spec.nodeName once, and records PodScheduled. */
export const podBinding: SubresourceHandler = async ({ info, store, body, opts, res, req }) => {
  if (req.method !== 'POST') throw errors.methodNotAllowed('pods/binding accepts POST only');
  // As the client sent it: validated here.
  const binding = (await body()) as Partial<Binding> | undefined;
  const node = binding?.target?.name;
  if (!node) throw errors.invalid({ group: '', kind: 'Binding', name: info.name }, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  if (binding.target?.kind && binding.target.kind !== 'Node') {
    throw errors.invalid({ group: '', kind: 'Binding', name: info.name }, [{ reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: ${JSON.stringify(binding.target.kind)}: supported values: "Node"` }]);
  }
  for (let attempt = 0; ; attempt++) {
    const pod = structuredClone(store.get(info.namespace, info.name!)) as Pod;
    if (pod.metadata.deletionTimestamp) throw errors.conflict('pods', '', info.name!, 'pod is being deleted, cannot be assigned to a host');
    if (pod.spec?.nodeName) throw errors.conflict('pods', '', info.name!, `pod ${info.name} is already assigned to node "${pod.spec.nodeName}"`);
    pod.spec = { ...pod.spec!, nodeName: node };
    const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    pod.status = { ...pod.status, conditions: [...conditions, { type: 'PodScheduled', status: 'True', lastTransitionTime: timestamp() }] };
    try {
      await store.bind(pod, opts);
      break;
    } catch (err) {
      if (attempt < 3 && (err as { reason?: string }).reason === 'Conflict') continue;
      throw err;
    }
  }
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
};

/** PUT namespaces/{name}/finalize: replaces spec.finalizers only. */
export const namespaceFinalize: SubresourceHandler = async ({ info, store, body, opts, res, req }) => {
  if (req.method !== 'PUT') throw errors.methodNotAllowed('namespaces/finalize accepts PUT only');
  const updated = await store.update(undefined, info.name!, (await body()) as KubeObject, opts, 'finalize');
  sendJson(res, 200, updated);
};

/**
 * PodLogOptions from the query, converted and validated as Kubernetes does, in the canonical form
 * the agent reads (booleans as true/false, integers in base 10, sinceTime in RFC 3339).
 */
export function podLogQuery(query: Query, pod: string): URLSearchParams {
  const out = new URLSearchParams();
  for (const flag of ['follow', 'previous', 'timestamps']) if (query.bool(flag)) out.set(flag, 'true');
  const causes: StatusCause[] = [];
  const positive = (name: string, min: number, detail: string) => {
    const n = query.int64(name);
    if (n === undefined) return;
    if (n < min) causes.push(fieldError.invalid(name, n, detail));
    out.set(name, String(n));
  };
  positive('tailLines', 0, 'must be greater than or equal to 0');
  positive('limitBytes', 1, 'must be greater than 0');
  positive('sinceSeconds', 1, 'must be greater than 0');
  const sinceTime = query.nonEmpty('sinceTime');
  if (sinceTime !== undefined) {
    if (Number.isNaN(Date.parse(sinceTime)) || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(sinceTime)) {
      throw errors.badRequest(`parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": sinceTime is not an RFC 3339 time`);
    }
    if (out.has('sinceSeconds')) causes.push(fieldError.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
    out.set('sinceTime', sinceTime);
  }
  if (causes.length > 0) throw errors.invalid({ group: '', kind: 'PodLogOptions', name: pod }, causes);
  return out;
}

/**
 * GET pods/{name}/log: proxied to the agent of the pod's node (its InternalIP and the port it
 * registered), as kube-apiserver proxies to a kubelet. The API server authenticates with the
 * cluster credentials it is given; the agent's certificate is self-signed and not checked yet.
 */
export function podLogs(lookupNode: (name: string) => KubeObject | undefined, credentials: { cert: string; key: string }): SubresourceHandler {
  return async ({ info, store, res, req, query }) => {
    if (req.method !== 'GET') throw errors.methodNotAllowed('pods/log accepts GET only');
    const pod = store.get(info.namespace, info.name!) as Pod;
    const names = (pod.spec?.containers ?? []).map((c) => c.name);
    const all = [...names, ...(pod.spec?.initContainers ?? []).map((c) => c.name)];
    const params = podLogQuery(query, info.name!);
    let container = query.nonEmpty('container');
    if (!container) {
      if (names.length !== 1) throw errors.badRequest(`a container name must be specified for pod ${info.name}, choose one of: [${names.join(' ')}]`);
      container = names[0];
    }
    if (!all.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${info.name}`);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${info.name} is not bound to a node yet, so it has no logs`);
    const node = lookupNode(nodeName) as Node | undefined;
    const address = node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const port = node?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!address || !port) throw new ApiError(503, 'ServiceUnavailable', `node ${nodeName} publishes no address and port for logs; is its agent running?`);
    const path = `/containerLogs/${encodeURIComponent(info.namespace!)}/${encodeURIComponent(info.name!)}/${encodeURIComponent(container)}?${params}`;
    await new Promise<void>((resolve) => {
      const upstream = httpsGet({ host: address, port, path, cert: credentials.cert, key: credentials.key, rejectUnauthorized: false }, (answer) => {
        res.writeHead(answer.statusCode === 200 ? 200 : answer.statusCode === 404 ? 404 : 502, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, private' });
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', () => (res.destroy(), resolve()));
      });
      upstream.on('error', (err) => {
        if (!res.headersSent) sendJson(res, 502, new ApiError(502 as 500, 'InternalError', `cannot reach the agent of node ${nodeName} at ${address}:${port}: ${err.message}`).toStatus());
        else res.destroy();
        resolve();
      });
      req.on('close', () => upstream.destroy());
    });
  };
}
