// The agent's HTTPS endpoint on the node's kubelet port, protected as a kubelet's is (see
// runtime/secure-endpoint.ts: client certificate or bearer token, then a SubjectAccessReview on
// this Node's subresource):
//   GET /metrics                                        nodes/metrics — the agent's Prometheus metrics
//   GET /containerLogs/{namespace}/{pod}/{container}    nodes/proxy   — what the API server's pods/log
//       proxies to (with follow, tailLines, sinceSeconds, sinceTime, timestamps and previous)
// The API server reaches it with its own client certificate (system:masters); a node credential
// is signed by the same CA but may not read another node's logs (the Node authorizer refuses).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { KubeClient } from '../client/client.ts';
import type { Logger } from '../common/log.ts';
import type { AccessAttributes } from '../runtime/delegated-auth.ts';
import { metricsRoute, requestVerb, startSecureEndpoint } from '../runtime/secure-endpoint.ts';
import { RuntimeError, serviceName, type ContainerRuntime } from './runtimes/runtime.ts';

export interface NodeEndpointOptions {
  host: string;
  port: number;
  nodeName: string;
  client: KubeClient;
  runtime: ContainerRuntime;
  log: Logger;
}

/** Starts the endpoint; resolves with the server (listening) for the caller to close. */
export function startNodeEndpoint(opts: NodeEndpointOptions): Promise<Server> {
  const onNode = (subresource: string) => (req: IncomingMessage): AccessAttributes => ({
    resourceAttributes: { verb: requestVerb(req.method), group: '', version: 'v1', resource: 'nodes', subresource, name: opts.nodeName },
  });
  return startSecureEndpoint({
    host: opts.host, port: opts.port, client: opts.client, log: opts.log,
    routes: [
      metricsRoute(onNode('metrics')),
      { path: /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/, attributes: onNode('proxy'), serve: (req, res, m) => serveLogs(opts, req, res, m) },
    ],
  });
}

async function serveLogs(opts: NodeEndpointOptions, req: IncomingMessage, res: ServerResponse, m: RegExpExecArray): Promise<void> {
  if (req.method !== 'GET') {
    res.writeHead(405, { 'content-type': 'text/plain' }).end('use GET /containerLogs/NAMESPACE/POD/CONTAINER\n');
    return;
  }
  const target = logTarget(m);
  if (typeof target === 'string') {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`${target}\n`);
    return;
  }
  const { namespace, pod, container } = target;
  const q = new URL(req.url ?? '/', 'https://agent.invalid').searchParams;
  const sinceSeconds = q.has('sinceSeconds') ? Number(q.get('sinceSeconds')) : undefined;
  const sinceTime = q.get('sinceTime') ? new Date(q.get('sinceTime')!) : sinceSeconds !== undefined ? new Date(Date.now() - sinceSeconds * 1000) : undefined;
  let stream;
  try {
    stream = await opts.runtime.logs(serviceName(namespace, pod, container), {
      follow: q.get('follow') === 'true', timestamps: q.get('timestamps') === 'true', previous: q.get('previous') === 'true',
      tailLines: q.has('tailLines') ? Number(q.get('tailLines')) : undefined, sinceTime,
    });
  } catch (err) {
    if (err instanceof RuntimeError && err.reason === 'NotFound') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`container "${container}" in pod "${pod}" has no logs on this node\n`);
      return;
    }
    throw err;
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  req.on('close', () => stream.destroy());
  stream.pipe(res);
}

/** The container a log path names, or why it names none (a segment that does not decode). */
export function logTarget(m: RegExpExecArray): { namespace: string; pod: string; container: string } | string {
  try {
    const [namespace, pod, container] = m.slice(1).map(decodeURIComponent);
    return { namespace, pod, container };
  } catch {
    return `the path ${JSON.stringify(m[0].slice(0, 200))} is not valid percent-encoding`;
  }
}
