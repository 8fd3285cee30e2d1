// The cluster's own PKI: a CA, the API server's serving certificate, an admin client certificate,
// and the admin kubeconfig that carries them. Everything lives under DATA_DIR/pki so a restart
// reuses it; a leaf certificate is re-issued only when it is about to expire or (serving) no longer
// covers the listen host. Keys are ECDSA P-256 (fast to make, accepted by Go's TLS and so kubectl).
// @peculiar/x509 resolves its parts through a DI container that needs the Reflect metadata API first.
import 'reflect-metadata';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { writeFileAtomically, writeKubeconfigFile } from '../common/kubeconfig-file.ts';
import {
  createCertificateAuthority, distinguishedName, exportKeyPem, generateKeyPair, loadCertificateAuthority, signLeaf, validity, validityWithin,
  type CertificateAuthority,
} from '../common/x509.ts';

export { createCertificateAuthority, loadCertificateAuthority, type CertificateAuthority };

const DAY_MS = 24 * 60 * 60 * 1000;
const LEAF_DAYS = 365;
/** A leaf certificate closer than this to expiry is re-issued at start. */
const RENEW_BEFORE_DAYS = 30;

export const ADMIN_USER = 'granary:admin';
export const ADMIN_GROUP = 'system:masters';
export const KUBECONFIG_CONTEXT = 'granary';

export interface ClientCertificateRequest {
  /** Becomes the user name Kubernetes authenticates (subject CN). */
  commonName: string;
  /** Become the user's groups (subject O). */
  organizations?: string[];
  days: number;
  /** The requester's public key as SPKI PEM (from a CSR); when absent a new key pair is made here. */
  publicKeyPem?: string;
}

export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM of the key, present only when the key pair was generated here. */
  keyPem?: string;
}

export interface ServingCertificateRequest {
  /** DNS names and IP addresses the certificate is valid for. */
  hosts: string[];
  days: number;
}

export interface KubeconfigContent {
  /** e.g. https://127.0.0.1:6443 */
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Name of the user entry. */
  user: string;
}

export interface Pki {
  ca: CertificateAuthority;
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  kubeconfigPath: string;
  /** Writes DATA_DIR/admin.kubeconfig pointing at `server`; called once the listening port is known. */
  writeAdminKubeconfig(server: string): Promise<void>;
}

/** A client certificate Kubernetes maps to user `commonName` in groups `organizations`. */
export async function signClientCertificate(ca: CertificateAuthority, req: ClientCertificateRequest): Promise<IssuedCertificate> {
  const subject = distinguishedName(req.commonName, req.organizations);
  const usages = [x509.ExtendedKeyUsage.clientAuth];
  if (req.publicKeyPem) {
    return { certPem: await signLeaf(ca, { subject, publicKey: new x509.PublicKey(req.publicKeyPem), valid: validity(req.days), usages }) };
  }
  const keys = await generateKeyPair();
  const certPem = await signLeaf(ca, { subject, publicKey: keys.publicKey, valid: validity(req.days), usages });
  return { certPem, keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * A client certificate for a requester's own public key (from a certificate signing request),
 * valid for `seconds` from now and never past the CA's own expiry. It starts a little in the past
 * for clients whose clocks lag: five minutes, or a fifth of a short lifetime.
 */
export async function signClientCertificateForKey(
  ca: CertificateAuthority,
  req: { commonName: string; organizations: string[]; publicKey: x509.PublicKey; seconds: number },
): Promise<string> {
  return signLeaf(ca, {
    subject: distinguishedName(req.commonName, req.organizations), publicKey: req.publicKey, valid: validityWithin(ca, req.seconds), usages: [x509.ExtendedKeyUsage.clientAuth],
  });
}

/** A TLS serving certificate for the given DNS names and IP addresses, with a new key pair. */
export async function signServingCertificate(ca: CertificateAuthority, req: ServingCertificateRequest): Promise<Required<IssuedCertificate>> {
  if (req.hosts.length === 0) throw new Error('a serving certificate needs at least one host name or IP address');
  const keys = await generateKeyPair();
  const certPem = await signLeaf(ca, { subject: distinguishedName(req.hosts[0]), publicKey: keys.publicKey, valid: validity(req.days), usages: [x509.ExtendedKeyUsage.serverAuth], hosts: req.hosts });
  return { certPem, keyPem: await exportKeyPem(keys.privateKey) };
}

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

/**
 * Names a client may use to reach a server listening on `listenHost`: that host, or for a wildcard
 * address the machine's host name and every interface address; always localhost and loopback.
 */
export function servingHosts(listenHost: string): string[] {
  const hosts = WILDCARD_ADDRESSES.has(listenHost)
    ? [hostname(), ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address))]
    : [listenHost];
  return [...new Set([...hosts, 'localhost', '127.0.0.1', '::1'])];
}

/** The DNS names and IP addresses in a certificate's subjectAltName, IPs in canonical text form. */
export function certificateHosts(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value);
}

function sameHost(a: string, b: string): boolean {
  if (isIP(a) && isIP(b)) return canonicalIp(a) === canonicalIp(b);
  return a.toLowerCase() === b.toLowerCase();
}

/** IPv6 addresses have many spellings (::1, 0:0:0:0:0:0:0:1); the URL parser prints one. */
function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]`).hostname : ip;
}

/** Whether a leaf certificate can be kept: issued by this CA, not near expiry, covering `hosts`. */
async function stillUsable(certPem: string, ca: CertificateAuthority, hosts: string[] = []): Promise<boolean> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch {
    return false;
  }
  if (cert.notAfter.getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY_MS) return false;
  if (!(await cert.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true }))) return false;
  const covered = certificateHosts(cert);
  return hosts.every((h) => covered.some((c) => sameHost(c, h)));
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes a standard kubeconfig with everything embedded, one cluster/user/context named `granary`. */
export async function writeKubeconfig(path: string, c: KubeconfigContent): Promise<void> {
  await writeKubeconfigFile(path, {
    server: c.server, caPem: c.caPem, user: c.user, credentials: { certPem: c.certPem, keyPem: c.keyPem }, cluster: KUBECONFIG_CONTEXT,
  });
}

/**
 * Loads the PKI under `dataDir/pki`, creating what is missing: on first start a CA (10 years), a
 * serving certificate for the listen host plus localhost (1 year) and an admin client certificate
 * (CN=granary:admin, O=system:masters, 1 year). Leaf certificates are re-issued when they expire
 * within 30 days, were not signed by the CA on disk, or (serving) do not cover the listen host.
 */
export async function ensurePki(dataDir: string, opts: { listenHost: string }): Promise<Pki> {
  const dir = join(dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);

  const caCert = await readIfExists(file('ca.crt'));
  const caKey = await readIfExists(file('ca.key'));
  let ca: CertificateAuthority;
  if (caCert && caKey) {
    ca = await loadCertificateAuthority(caCert, caKey);
  } else {
    ca = await createCertificateAuthority();
    await writeFileAtomically(file('ca.key'), ca.keyPem, 0o600);
    await writeFileAtomically(file('ca.crt'), ca.certPem, 0o644);
  }

  const hosts = servingHosts(opts.listenHost);
  const server = await ensureLeaf(file('server.crt'), file('server.key'), ca, hosts, () => signServingCertificate(ca, { hosts, days: LEAF_DAYS }));
  const admin = await ensureLeaf(file('admin.crt'), file('admin.key'), ca, [], async () => {
    const issued = await signClientCertificate(ca, { commonName: ADMIN_USER, organizations: [ADMIN_GROUP], days: LEAF_DAYS });
    return { certPem: issued.certPem, keyPem: issued.keyPem! };
  });

  const kubeconfigPath = join(dataDir, 'admin.kubeconfig');
  return {
    ca,
    caPem: ca.certPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
    kubeconfigPath,
    writeAdminKubeconfig: (serverUrl: string) =>
      writeKubeconfig(kubeconfigPath, { server: serverUrl, caPem: ca.certPem, certPem: admin.certPem, keyPem: admin.keyPem, user: ADMIN_USER }),
  };
}

async function ensureLeaf(
  certPath: string,
  keyPath: string,
  ca: CertificateAuthority,
  hosts: string[],
  issue: () => Promise<Required<IssuedCertificate>>,
): Promise<Required<IssuedCertificate>> {
  const certPem = await readIfExists(certPath);
  const keyPem = await readIfExists(keyPath);
  if (certPem && keyPem && (await stillUsable(certPem, ca, hosts))) return { certPem, keyPem };
  const issued = await issue();
  await writeFileAtomically(keyPath, issued.keyPem, 0o600);
  await writeFileAtomically(certPath, issued.certPem, 0o644);
  return issued;
}
