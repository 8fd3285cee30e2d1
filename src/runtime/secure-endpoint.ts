// An HTTPS endpoint of a long-lived Granary process (an agent's kubelet port, an operator's
// metrics), protected as a kubelet protects its own: every request is authenticated (a client
// certificate signed by the cluster CA, or a bearer token the API server vouches for) and
// authorized by the API server (DelegatedAuth) before a route serves it. No credentials: 401;
// not allowed: 403. The endpoint's own certificate is self-signed (scrapers skip verifying it, as
// they do for kubelets). Also here: serving prom-client's default registry as /metrics.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, register } from 'prom-client';
import type { KubeClient } from '../client/client.ts';
import type { Logger } from '../common/log.ts';
import { closeUnlessBodyRead } from '../common/unread-body.ts';
import { DelegatedAuth, type AccessAttributes } from './delegated-auth.ts';

x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

export interface Route {
  /** Matched against the request's path (without the query). */
  path: RegExp;
  /** What the request does, for the SubjectAccessReview. */
  attributes(req: IncomingMessage, match: RegExpExecArray): AccessAttributes;
  serve(req: IncomingMessage, res: ServerResponse, match: RegExpExecArray): Promise<void>;
}

export interface SecureEndpointOptions {
  host: string;
  port: number;
  /** Asks the TokenReviews and SubjectAccessReviews; its CA is the one client certificates must be signed by. */
  client: KubeClient;
  routes: Route[];
  log: Logger;
  /** How long a client may take to finish its TLS handshake, its headers, its whole request (tests shorten them). */
  timeouts?: Partial<EndpointTimeouts>;
}

export interface EndpointTimeouts {
  handshakeMs: number;
  headersMs: number;
  requestMs: number;
}

const DEFAULT_TIMEOUTS: EndpointTimeouts = { handshakeMs: 10_000, headersMs: 10_000, requestMs: 60_000 };

export async function selfSignedCertificate(host: string): Promise<{ cert: string; key: string }> {
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

/** The HTTP verb a SubjectAccessReview uses for a request's method, as a kubelet maps it. */
export function requestVerb(method: string | undefined): string {
  switch (method) {
    case 'POST': return 'create';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return 'delete';
    default: return 'get';
  }
}

let defaultMetrics = false;

/** A route serving prom-client's default registry: every metric the process records, and the process's own (CPU, memory, event loop). */
export function metricsRoute(attributes: (req: IncomingMessage) => AccessAttributes): Route {
  if (!defaultMetrics) collectDefaultMetrics();
  defaultMetrics = true;
  return {
    path: /^\/metrics\/?$/,
    attributes,
    async serve(_req, res) {
      const body = await register.metrics();
      res.writeHead(200, { 'content-type': register.contentType }).end(body);
    },
  };
}

/** Starts the endpoint; resolves with the server (listening) for the caller to close. */
export async function startSecureEndpoint(opts: SecureEndpointOptions): Promise<Server> {
  if (!opts.client.connection.ca) throw new Error('the kubeconfig names no certificate authority: the endpoint needs it to know which client certificates to accept');
  const auth = new DelegatedAuth(opts.client);
  const { cert, key } = await selfSignedCertificate(opts.host);
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const server = createServer({
    cert, key, ca: opts.client.connection.ca, requestCert: true, rejectUnauthorized: false,
    // Slow or silent clients are cut off: handshake, headers and the whole request each have a
    // deadline (checked every second); a log stream that follows is a response, not bound by them.
    handshakeTimeout: timeouts.handshakeMs, headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs,
    connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
  }, (req, res) => {
    closeUnlessBodyRead(req, res);
    void handle(opts, auth, req, res).catch((err) => {
      opts.log.warn({ err: String(err), path: req.url }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${(err as Error).message}\n`);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => (server.off('error', reject), resolve()));
  });
  return server;
}

async function handle(opts: SecureEndpointOptions, auth: DelegatedAuth, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://endpoint.invalid').pathname;
  const found = opts.routes.map((r) => ({ route: r, match: r.path.exec(path) })).find((f) => f.match);
  if (!found) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
    return;
  }
  const authentication = await auth.authenticate(req);
  if ('refused' in authentication) {
    opts.log.debug({ path, remote: req.socket.remoteAddress, reason: authentication.refused }, 'request not authenticated');
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized\n');
    return;
  }
  const { caller } = authentication;
  const { route, match } = found as { route: Route; match: RegExpExecArray };
  const attributes = route.attributes(req, match);
  const decision = await auth.authorize(caller, attributes);
  if (!decision.allowed) {
    res.writeHead(403, { 'content-type': 'text/plain' }).end(`Forbidden (user=${caller.username}, ${describeAttributes(attributes)})\n`);
    return;
  }
  await route.serve(req, res, match);
}

function describeAttributes(a: AccessAttributes): string {
  if ('nonResourceAttributes' in a) return `verb=${a.nonResourceAttributes.verb}, path=${a.nonResourceAttributes.path}`;
  const r = a.resourceAttributes;
  return `verb=${r.verb}, resource=${r.resource}, subresource=${r.subresource ?? ''}${r.name ? `, name=${r.name}` : ''}`;
}
