// Certificate authorities and the certificates they sign, shared by the cluster's own PKI (the API
// server's CA) and the platform's certificate signer for pods (SecretClasses). Keys are ECDSA
// P-256: fast to make, accepted by Go's TLS (kubectl), Node, OpenSSL and Java.
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
// @peculiar/x509 resolves its parts through a DI container that needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

export const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start a little in the past so a client whose clock lags still accepts them. */
export const BACKDATE_MS = 5 * 60 * 1000;
const CA_DAYS = 3650;

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

export interface Validity { notBefore: Date; notAfter: Date }

export async function exportKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

export async function importPrivateKey(keyPem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(keyPem);
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign']);
}

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

/** A random positive 128-bit serial, as RFC 5280 asks (unique per CA, at most 20 octets). */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}

export function validity(days: number): Validity {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

/**
 * Validity for `seconds` from now, never past the CA's own expiry, starting a little in the past
 * for clients whose clocks lag: five minutes, or a fifth of a short lifetime.
 */
export function validityWithin(ca: CertificateAuthority, seconds: number): Validity {
  const now = Date.now();
  const backdate = Math.min(BACKDATE_MS, (seconds * 1000) / 5);
  return { notBefore: new Date(now - backdate), notAfter: new Date(Math.min(now + seconds * 1000, ca.certificate.notAfter.getTime())) };
}

/** RFC 4514 string for x509's name parser; values are escaped so user input cannot add attributes. */
export function distinguishedName(commonName: string, organizations: string[] = []): string {
  const escape = (v: string) => v.replace(/([\\,+"<>;=#])/g, '\\$1');
  return [`CN=${escape(commonName)}`, ...organizations.map((o) => `O=${escape(o)}`)].join(', ');
}

export async function createCertificateAuthority(commonName = 'granary-ca', days = CA_DAYS): Promise<CertificateAuthority> {
  const keys = await generateKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: distinguishedName(commonName),
    ...validity(days),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await exportKeyPem(keys.privateKey), certificate, privateKey: keys.privateKey };
}

export async function loadCertificateAuthority(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  return { certPem, keyPem, certificate: new x509.X509Certificate(certPem), privateKey: await importPrivateKey(keyPem) };
}

export interface LeafRequest {
  subject: string;
  publicKey: CryptoKey | x509.PublicKey;
  valid: Validity;
  usages: x509.ExtendedKeyUsage[];
  /** DNS names and IP addresses (subjectAltName). */
  hosts?: string[];
}

/** A certificate signed by `ca` (not a CA itself) for TLS servers and/or clients. */
export async function signLeaf(ca: CertificateAuthority, req: LeafRequest): Promise<string> {
  const hosts = req.hosts ?? [];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: req.subject,
    issuer: ca.certificate.subject,
    ...req.valid,
    publicKey: req.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(req.usages),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
      ...(hosts.length > 0 ? [new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: isIP(h) ? 'ip' as const : 'dns' as const, value: h })))] : []),
    ],
  });
  return certificate.toString('pem');
}
