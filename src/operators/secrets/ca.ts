// The CA of a SecretClass, kept in a Secret: tls.crt and tls.key sign, ca.crt (optional) adds CA
// certificates to trust besides (the next or the previous CA while one is rotated). When the
// Secret does not exist and the class lets the platform make its CA (autoGenerate, the default),
// it is created here; a CA the user provides is never made or changed.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Secret } from '../../api/kinds/core.ts';
import type { ResourceApi } from '../../client/resource.ts';
import { isAlreadyExists, isNotFound } from '../../client/errors.ts';
import { pemCertificates } from '../../common/pkcs12.ts';
import { createCertificateAuthority, loadCertificateAuthority, type CertificateAuthority } from '../../common/x509.ts';
import { caSecretRef, type SecretClass } from '../../runtime/secret-class.ts';


const DEFAULT_CA_DAYS = 3650;

export interface ClassCa {
  ca: CertificateAuthority;
  /** PEM of every CA certificate to trust: the signing one first. */
  trustBundle: string;
  /** SHA-256 fingerprint of the signing CA certificate. */
  issuer: string;
}

export type ClassCaResult = { ok: true; value: ClassCa } | { ok: false; reason: string; message: string };

const decode = (secret: Secret, key: string) => (secret.data?.[key] ? Buffer.from(secret.data[key], 'base64').toString('utf8') : undefined);

/** The trust bundle: the signing CA and the certificates of ca.crt, each once, in PEM. */
export function trustBundleOf(certPem: string, extraPem: string | undefined): string {
  const seen = new Set<string>();
  const pems: string[] = [];
  for (const der of [...pemCertificates(certPem), ...pemCertificates(extraPem ?? '')]) {
    const cert = new X509Certificate(der);
    if (seen.has(cert.fingerprint256)) continue;
    seen.add(cert.fingerprint256);
    pems.push(cert.toString().trim());
  }
  return `${pems.join('\n')}\n`;
}

/** Loads (or, when allowed, makes) the CA of `secretClass`; a CA that cannot be used gives the reason. */
export class ClassCaStore {
  private readonly secrets: ResourceApi<Secret>;
  private readonly parsed = new Map<string, { resourceVersion: string; value: ClassCa }>();

  constructor(secrets: ResourceApi<Secret>) {
    this.secrets = secrets;
  }

  async get(secretClass: SecretClass): Promise<ClassCaResult> {
    const ref = caSecretRef(secretClass);
    let secret: Secret;
    try {
      secret = await this.secrets.get(ref.name, ref.namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (secretClass.spec.ca?.autoGenerate === false) {
        return { ok: false, reason: 'CASecretMissing', message: `Secret ${ref.namespace}/${ref.name} with the class's CA (tls.crt, tls.key) does not exist; create it, or set spec.ca.autoGenerate to let the platform make one` };
      }
      secret = await this.generate(secretClass, ref);
    }
    const key = `${ref.namespace}/${ref.name}`;
    const cached = this.parsed.get(key);
    if (cached && cached.resourceVersion === secret.metadata.resourceVersion) return { ok: true, value: cached.value };
    const certPem = decode(secret, 'tls.crt');
    const keyPem = decode(secret, 'tls.key');
    if (!certPem || !keyPem) return { ok: false, reason: 'InvalidCASecret', message: `Secret ${key} must hold tls.crt and tls.key (the CA's certificate and PKCS#8 private key)` };
    let value: ClassCa;
    try {
      const ca = await loadCertificateAuthority(certPem, keyPem);
      const cert = new X509Certificate(certPem);
      if (!cert.ca) throw new Error('tls.crt is not a CA certificate (basicConstraints CA:TRUE)');
      if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('tls.key is not the key of tls.crt');
      value = { ca, trustBundle: trustBundleOf(certPem, decode(secret, 'ca.crt')), issuer: cert.fingerprint256 };
    } catch (err) {
      return { ok: false, reason: 'InvalidCASecret', message: `Secret ${key} does not hold a usable CA: ${(err as Error).message}` };
    }
    this.parsed.set(key, { resourceVersion: secret.metadata.resourceVersion ?? '', value });
    return { ok: true, value };
  }

  private async generate(secretClass: SecretClass, ref: { name: string; namespace: string }): Promise<Secret> {
    const ca = await createCertificateAuthority(`granary secret class ${secretClass.metadata.name}`, secretClass.spec.ca?.caLifetimeDays ?? DEFAULT_CA_DAYS);
    const secret: Secret = {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
      metadata: { name: ref.name, namespace: ref.namespace, labels: { 'app.kubernetes.io/managed-by': 'secrets-operator', 'secrets.granary.dev/class': secretClass.metadata.name! } },
      data: { 'tls.crt': Buffer.from(ca.certPem).toString('base64'), 'tls.key': Buffer.from(ca.keyPem).toString('base64') },
    };
    try {
      return await this.secrets.create(secret);
    } catch (err) {
      // Another replica made it first: use theirs.
      if (isAlreadyExists(err)) return this.secrets.get(ref.name, ref.namespace);
      throw err;
    }
  }
}
