// The agent's own credential, as a kubelet gets and keeps it (TLS bootstrapping and certificate
// rotation): with a bootstrap kubeconfig (a bootstrap token) and no usable node kubeconfig, it
// makes a private key under its root (mode 0600), asks for a client certificate for
// system:node:NAME with a certificates.k8s.io/v1 CertificateSigningRequest (signer
// kubernetes.io/kube-apiserver-client-kubelet), waits until the control plane approves and issues
// it, and writes the node kubeconfig (certificate and key). Later, when the certificate has lived
// 70 to 90% of its lifetime (a random point, so nodes do not all renew at once), it asks again with
// its own credential and switches its client to the new certificate without restarting; should the
// certificate expire first (the agent was stopped), the bootstrap credential asks instead.
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { KubeClient, backoffMs, sleep } from '../client/client.ts';
import { loadConnection, type ClusterConnection } from '../client/kubeconfig.ts';
import { kubeconfigYaml, writeFileAtomically } from '../common/kubeconfig-file.ts';
import type { Logger } from '../common/log.ts';
import { requestCertificateForKey } from '../runtime/certificate-requests.ts';
import { KUBELET_CLIENT_SIGNER } from '../common/certificate-request.ts';

x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** Renew at a random point between these fractions of the certificate's lifetime. */
const RENEW_FROM = 0.7;
const RENEW_TO = 0.9;

export interface NodeCredentialOptions {
  nodeName: string;
  /** The node kubeconfig: read when usable, (re)written when a certificate is issued. */
  kubeconfig: string;
  /** A kubeconfig with a bootstrap token, for the first certificate (and one that expired). */
  bootstrapKubeconfig?: string;
  /** Where the private keys are kept (mode 0600), e.g. ROOT/pki. */
  keyDir: string;
  log: Logger;
}

/** The certificate's validity, or undefined when there is none or it does not parse. */
function validity(certPem: string | undefined): { notBefore: number; notAfter: number } | undefined {
  if (!certPem) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
  } catch {
    return undefined;
  }
}

function usable(connection: ClusterConnection | undefined): boolean {
  const valid = validity(connection?.cert);
  return valid !== undefined && valid.notAfter > Date.now() && connection?.key !== undefined;
}

function readConnection(kubeconfig: string): ClusterConnection | undefined {
  return existsSync(kubeconfig) ? loadConnection({ kubeconfig }) : undefined;
}

/** Writes a file only its owner may read, creating its directory (0700) when missing. */
async function writePrivately(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomically(path, content, 0o600);
}

/** The node kubeconfig: the cluster of `connection`, the certificate and key embedded. */
async function writeNodeKubeconfig(path: string, connection: ClusterConnection, nodeName: string, certPem: string, keyPem: string): Promise<void> {
  await writePrivately(path, kubeconfigYaml({
    server: connection.server, caPem: connection.ca, tlsServerName: connection.tlsServerName,
    user: `system:node:${nodeName}`, credentials: { certPem, keyPem },
  }));
}

/** The key a request is made with: the one left by an earlier attempt, or a new one; mode 0600. */
async function pendingKey(path: string): Promise<{ pem: string; keys: webcrypto.CryptoKeyPair }> {
  if (existsSync(path)) {
    try {
      const pem = await readFile(path, 'utf8');
      const der = x509.PemConverter.decodeFirst(pem);
      const privateKey = await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign']);
      // The public half, from the private key's JWK without its private part.
      const { d: _d, ...jwk } = await webcrypto.subtle.exportKey('jwk', privateKey);
      const publicKey = await webcrypto.subtle.importKey('jwk', { ...jwk, key_ops: ['verify'] }, KEY_ALGORITHM, true, ['verify']);
      return { pem, keys: { privateKey, publicKey } };
    } catch {
      // Unreadable: make a new one below.
    }
  }
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const pem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  await writePrivately(path, pem);
  return { pem, keys };
}

/**
 * Asks for a client certificate for node `nodeName` with `client`'s credential and waits until it
 * is issued (resolves with the PEM), denied or failed (throws with the reason given).
 */
export async function requestNodeCertificate(client: KubeClient, nodeName: string, keys: webcrypto.CryptoKeyPair, log: Logger, signal: AbortSignal): Promise<string> {
  const { certPem } = await requestCertificateForKey(client, keys, {
    signerName: KUBELET_CLIENT_SIGNER, commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], usages: ['digital signature', 'client auth'], namePrefix: 'node-csr-',
  }, signal, (name) => log.info({ csr: name }, 'asked for a node client certificate; waiting for it to be approved and issued'));
  return certPem;
}

/**
 * Gets a new certificate with `client` and installs it: the key moves from its pending file to
 * the current one and the node kubeconfig is rewritten. Returns the certificate and key.
 */
async function renew(client: KubeClient, opts: NodeCredentialOptions, cluster: ClusterConnection, signal: AbortSignal): Promise<{ cert: string; key: string }> {
  const pendingPath = join(opts.keyDir, 'node-client.key.pending');
  const key = await pendingKey(pendingPath);
  const cert = await requestNodeCertificate(client, opts.nodeName, key.keys, opts.log, signal);
  await writeNodeKubeconfig(opts.kubeconfig, cluster, opts.nodeName, cert, key.pem);
  await rename(pendingPath, join(opts.keyDir, 'node-client.key'));
  const valid = validity(cert)!;
  opts.log.info({ notAfter: new Date(valid.notAfter).toISOString(), kubeconfig: opts.kubeconfig }, 'node client certificate issued');
  return { cert, key: key.pem };
}

/**
 * Makes sure the node kubeconfig holds a certificate valid now: when it is missing or expired,
 * gets one with the bootstrap kubeconfig, retrying (with back-off) until it succeeds or `signal`
 * stops it. Without a bootstrap kubeconfig it leaves the node kubeconfig as it is.
 */
export async function ensureNodeCredential(opts: NodeCredentialOptions, signal: AbortSignal): Promise<void> {
  if (usable(readConnection(opts.kubeconfig)) || !opts.bootstrapKubeconfig) return;
  const bootstrap = loadConnection({ kubeconfig: opts.bootstrapKubeconfig });
  const client = new KubeClient(bootstrap);
  opts.log.info({ bootstrapKubeconfig: opts.bootstrapKubeconfig }, 'no valid node credential: bootstrapping one');
  try {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await renew(client, opts, bootstrap, signal);
        return;
      } catch (err) {
        if (signal.aborted) break;
        opts.log.warn({ err: String(err), attempt }, 'could not get a node certificate yet; retrying');
        await sleep(Math.min(60_000, backoffMs(attempt) * 5), signal);
      }
    }
    throw new Error('stopped before the node had a certificate');
  } finally {
    await client.close();
  }
}

/** When to renew a certificate valid from `notBefore` to `notAfter`: a random point 70-90% through. */
export function renewalTime(notBefore: number, notAfter: number, random = Math.random()): number {
  return notBefore + (notAfter - notBefore) * (RENEW_FROM + (RENEW_TO - RENEW_FROM) * random);
}

/**
 * Renews the certificate `client` uses before it expires, for as long as `signal` allows, and
 * switches `client` to each new one (open watches finish on the old connection).
 */
export async function rotateNodeCertificate(client: KubeClient, opts: NodeCredentialOptions, signal: AbortSignal): Promise<void> {
  let attempt = 0;
  while (!signal.aborted) {
    const valid = validity(client.connection.cert);
    if (!valid) {
      opts.log.warn('the node credential has no client certificate to rotate');
      return;
    }
    const at = renewalTime(valid.notBefore, valid.notAfter);
    opts.log.info({ renewAt: new Date(at).toISOString(), notAfter: new Date(valid.notAfter).toISOString() }, 'node client certificate renewal scheduled');
    await sleep(Math.max(0, at - Date.now()), signal);
    while (!signal.aborted) {
      // With an expired certificate only the bootstrap token can still ask.
      const expired = validity(client.connection.cert)!.notAfter <= Date.now();
      const asker = expired && opts.bootstrapKubeconfig ? new KubeClient(loadConnection({ kubeconfig: opts.bootstrapKubeconfig })) : client;
      try {
        const { cert, key } = await renew(asker, opts, client.connection, signal);
        client.setClientCertificate(cert, key);
        opts.log.info({ serial: new X509Certificate(cert).serialNumber }, 'switched to the renewed node client certificate');
        attempt = 0;
        break;
      } catch (err) {
        if (signal.aborted) return;
        attempt++;
        opts.log.warn({ err: String(err), attempt }, 'could not renew the node client certificate yet; retrying');
        await sleep(Math.min(60_000, backoffMs(attempt) * 5), signal);
      } finally {
        if (asker !== client) await asker.close();
      }
    }
  }
}
