// Asking for a certificate the Kubernetes way: make a key pair here (the private key never leaves
// this process), create a certificates.k8s.io/v1 CertificateSigningRequest holding only the public
// key, and follow it until the signer issues the certificate, or it is denied or failed. A caller
// with `approve` on the signer may approve its own request (a person's client certificate);
// otherwise the signer's approver decides.
// @peculiar/x509 resolves its parts through a DI container that needs the Reflect metadata API first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertificateSigningRequest } from '../api/kinds/certificates.ts';
import type { KubeClient } from '../client/client.ts';
import { distinguishedName, exportKeyPem, generateKeyPair, SIGNING_ALGORITHM } from '../common/x509.ts';
import { isIP } from 'node:net';
import { watcher } from './watcher.ts';

type Csr = CertificateSigningRequest;

export interface CertificateRequest {
  signerName: string;
  /** Subject: CN, and O for each organization. */
  commonName: string;
  organizations?: string[];
  /** DNS names and IP addresses (subjectAltName). */
  hosts?: string[];
  usages: string[];
  /** The new request's name prefix (generateName). */
  namePrefix: string;
  annotations?: Record<string, string>;
  expirationSeconds?: number;
  /** Approve the request as the caller (needs `approve` on the signer). */
  approve?: boolean;
}

export interface IssuedKeyAndCertificate {
  keyPem: string;
  /** The certificate (and any intermediates the signer added), PEM. */
  certPem: string;
  csrName: string;
}

/** Thrown when the request is denied or fails: `reason` is the signer's. */
export class CertificateRequestRefused extends Error {
  readonly reason: string;
  constructor(csrName: string, type: string, reason: string, message: string) {
    super(`certificate signing request ${csrName} was ${type.toLowerCase()}: ${reason}${message ? `: ${message}` : ''}`);
    this.name = 'CertificateRequestRefused';
    this.reason = reason;
  }
}

/** A PKCS#10 request for `keys`, signed with its private key. */
export async function certificationRequestPem(keys: webcrypto.CryptoKeyPair, req: Pick<CertificateRequest, 'commonName' | 'organizations' | 'hosts'>): Promise<string> {
  const name = distinguishedName(req.commonName, req.organizations);
  const hosts = req.hosts ?? [];
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name, keys, signingAlgorithm: SIGNING_ALGORITHM,
    extensions: hosts.length > 0 ? [new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: isIP(h) ? 'ip' as const : 'dns' as const, value: h })))] : [],
  });
  return request.toString('pem');
}

/**
 * Creates the request for `keys` and waits until its certificate is issued (resolves with the
 * PEM), or it is denied or failed (rejects with CertificateRequestRefused), or `signal` aborts.
 */
export async function requestCertificateForKey(client: KubeClient, keys: webcrypto.CryptoKeyPair, req: CertificateRequest, signal: AbortSignal, onCreated?: (name: string) => void): Promise<{ certPem: string; csrName: string }> {
  const csrs = client.resource<Csr>('certificates.k8s.io/v1', 'CertificateSigningRequest');
  const created = await csrs.create({
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest',
    metadata: { generateName: req.namePrefix, ...(req.annotations ? { annotations: req.annotations } : {}) },
    spec: {
      request: Buffer.from(await certificationRequestPem(keys, req)).toString('base64'), signerName: req.signerName, usages: req.usages,
      ...(req.expirationSeconds ? { expirationSeconds: req.expirationSeconds } : {}),
    },
  });
  const name = created.metadata.name!;
  onCreated?.(name);
  if (req.approve) {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await client.request('PUT', await csrs.path(undefined, name, 'approval'), {
      body: { ...created, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'ApprovedByRequester', message: 'approved by its requester', lastUpdateTime: now, lastTransitionTime: now }] } },
    });
  }
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const event of watcher(csrs, { fieldSelector: `metadata.name=${name}` }, stop.signal)) {
      if (event.type !== 'Apply' && event.type !== 'InitApply') continue;
      const csr = event.object;
      const refused = csr.status?.conditions?.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status === 'True');
      if (refused) throw new CertificateRequestRefused(name, refused.type, refused.reason ?? refused.type, refused.message ?? '');
      if (csr.status?.certificate) return { certPem: Buffer.from(csr.status.certificate, 'base64').toString('utf8'), csrName: name };
    }
    throw new Error(`stopped while waiting for the certificate of ${name}`);
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

/** A new key pair and its certificate from the signer. */
export async function requestCertificate(client: KubeClient, req: CertificateRequest, signal: AbortSignal): Promise<IssuedKeyAndCertificate> {
  const keys = await generateKeyPair();
  const { certPem, csrName } = await requestCertificateForKey(client, keys, req, signal);
  return { keyPem: await exportKeyPem(keys.privateKey), certPem, csrName };
}
