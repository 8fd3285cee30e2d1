// The agent's HTTPS endpoint for container logs, which the API server's pods/log subresource
// proxies to (as kube-apiserver does to a kubelet): GET /containerLogs/{namespace}/{pod}/{container}
// with follow, tailLines, sinceSeconds, sinceTime, timestamps and previous. Only the API server is
// served: a client certificate signed by the cluster CA and in group system:masters (node
// credentials are signed by the same CA, and one node must not read another's logs; users go
// through pods/log and its authorization). The agent's own certificate is self-signed.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../common/log.ts';
import { RuntimeError, serviceName, type ContainerRuntime } from './runtimes/runtime.ts';

x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

const PATH = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/;
/** The group of the API server's client certificate (and of cluster administrators). */
const ALLOWED_GROUP = 'system:masters';

export interface LogServerOptions {
  host: string;
  port: number;
  /** The cluster CA (PEM) that signs the certificates of clients allowed to read logs. */
  clientCa: string;
  runtime: ContainerRuntime;
  log: Logger;
}

async function selfSignedCertificate(host: string): Promise<{ cert: string; key: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair;
  const isIp = /^[\d.]+$|:/.test(host);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Date.now().toString(16), name: `CN=${host}`, notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 365 * 24 * 3600_000), keys, signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: isIp ? 'ip' : 'dns', value: host }])],
  });
  const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { cert: cert.toString('pem'), key };
}

/** Starts the log endpoint; resolves with the server (listening) for the caller to close. */
export async function startLogServer(opts: LogServerOptions): Promise<Server> {
  const { cert, key } = await selfSignedCertificate(opts.host);
  const server = createServer({ cert, key, ca: opts.clientCa, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    void serve(opts, req, res).catch((err) => {
      opts.log.warn({ err: String(err) }, 'serving logs failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`could not read the logs: ${(err as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => (server.off('error', reject), resolve()));
  });
  return server;
}

async function serve(opts: LogServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const subject = (req.socket as TLSSocket).getPeerCertificate()?.subject;
  const groups = [subject?.O ?? []].flat();
  if (!groups.includes(ALLOWED_GROUP)) {
    res.writeHead(403, { 'content-type': 'text/plain' }).end(`forbidden: ${JSON.stringify(subject?.CN ?? '')} may not read logs here; ask the API server (kubectl logs)\n`);
    return;
  }
  const url = new URL(req.url ?? '/', 'https://agent.invalid');
  const m = PATH.exec(url.pathname);
  if (req.method !== 'GET' || !m) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: use GET /containerLogs/NAMESPACE/POD/CONTAINER\n');
    return;
  }
  const [namespace, pod, container] = m.slice(1).map(decodeURIComponent);
  const q = url.searchParams;
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
