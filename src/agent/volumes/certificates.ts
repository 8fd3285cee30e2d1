// Certificate volumes: a pod's CSI ephemeral volume of driver secrets.granary.dev, filled by the
// agent before its containers start, whatever runs them. The key pair is made here and never
// leaves the node; the certificate comes from a CertificateSigningRequest for the volume's secret
// class, annotated with the pod and volume, naming the node (its name and address) — the signer
// approves it only for a pod bound to this node. The volume holds
//   tls.crt  the certificate          tls.key        its private key (PKCS#8, 0600)
//   ca.crt   the class's trust bundle keystore.p12   key and certificate chain (PKCS#12, 0600)
//   truststore.p12  the trust bundle as a Java truststore; both stores use STORE_PASSWORD (common/pkcs12.ts)
// Certificates are renewed in place at a random point 70-90% through their lifetime (the pod is
// synced then); a product that does not reload its files is restarted by its operator in time.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeClient } from '../../client/client.ts';
import type { Logger } from '../../common/log.ts';
import { pkcs12Keystore, pkcs12Truststore, STORE_PASSWORD } from '../../common/pkcs12.ts';
import { CertificateRequestRefused, requestCertificate } from '../../runtime/certificate-requests.ts';
import {
  CERTIFICATE_USAGES, POD_NAME_ANNOTATION, POD_NAMESPACE_ANNOTATION, POD_UID_ANNOTATION, SECRET_CLASS_API_VERSION, secretClassOfVolume,
  signerName, VOLUME_ANNOTATION, type SecretClass,
} from '../../runtime/secret-class.ts';
import { renewalTime } from '../certificates.ts';
import type { Pod, Volume } from '../pod-types.ts';
import type { VolumeFile } from './atomic-writer.ts';
import { PodConfigError } from './errors.ts';

/** How long a sync waits for a certificate before reporting the pod as waiting for it. */
const WAIT_MS = 20_000;
/** After a denial, how long before the node asks again. */
const DENIED_RETRY_MS = 60_000;
/** After a restart of the agent the random renewal point is unknown: renew at the earliest. */
const RENEW_FROM = 0.7;

interface Issued { keyPem: string; certPem: string; trustBundle: string; notBefore: number; notAfter: number; renewAt: number }
interface Entry {
  issued?: Issued;
  pending?: Promise<Issued>;
  refused?: { message: string; until: number };
}

export interface CertificateSource {
  /** The files of a certificate volume of `pod`, asking for a certificate when needed. */
  files(pod: Pod, volume: Volume, volumeDir: string): Promise<Map<string, VolumeFile>>;
}

function validityOf(certPem: string): { notBefore: number; notAfter: number } {
  const cert = new X509Certificate(certPem);
  return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
}

const failedMount = (message: string) => new PodConfigError('FailedMount', message);

export class PodCertificates implements CertificateSource {
  private readonly client: KubeClient;
  private readonly nodeName: string;
  private readonly nodeIp: string;
  private readonly log: Logger;
  /** Wakes a pod when a certificate arrives or is due for renewal. */
  private readonly wake: (pod: Pod) => void;
  private readonly signal: AbortSignal;
  private readonly entries = new Map<string, Entry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(opts: { client: KubeClient; nodeName: string; nodeIp: string; log: Logger; wake: (pod: Pod) => void; signal: AbortSignal }) {
    this.client = opts.client;
    this.nodeName = opts.nodeName;
    this.nodeIp = opts.nodeIp;
    this.log = opts.log;
    this.wake = opts.wake;
    this.signal = opts.signal;
  }

  /** Changes when a certificate of the pod is issued or becomes due for renewal: the pod's volumes are rendered again then. */
  state(podUid: string): string {
    const now = Date.now();
    return [...this.entries].filter(([key]) => key.startsWith(`${podUid}/`))
      .map(([key, e]) => `${key}=${e.issued?.notAfter ?? 0}${e.issued && e.issued.renewAt <= now ? ':due' : ''}`).join(',');
  }

  forget(podUid: string): void {
    for (const key of [...this.entries.keys()]) {
      if (!key.startsWith(`${podUid}/`)) continue;
      this.entries.delete(key);
      clearTimeout(this.timers.get(key));
      this.timers.delete(key);
    }
  }

  async files(pod: Pod, volume: Volume, volumeDir: string): Promise<Map<string, VolumeFile>> {
    const secretClass = secretClassOfVolume(volume.csi)!;
    const key = `${pod.metadata.uid}/${volume.name}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { issued: await this.adopt(volumeDir) };
      this.entries.set(key, entry);
    }
    const now = Date.now();
    if (entry.issued && entry.issued.renewAt > now) return this.render(entry.issued);
    if (entry.refused && entry.refused.until > now) throw failedMount(entry.refused.message);
    if (!entry.pending) {
      const pending = this.issue(pod, volume.name, secretClass);
      entry.pending = pending;
      const current = entry;
      pending.then((issued) => {
        current.issued = issued;
        current.refused = undefined;
        this.schedule(key, pod, issued.renewAt);
      }, (err: unknown) => {
        const message = `volume ${volume.name}: no certificate of secret class ${secretClass}: ${(err as Error).message}`;
        if (err instanceof CertificateRequestRefused) current.refused = { message, until: Date.now() + DENIED_RETRY_MS };
        this.log.warn({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, volume: volume.name, err: String(err) }, 'could not get a certificate for a pod');
      }).finally(() => {
        current.pending = undefined;
        if (!this.signal.aborted) this.wake(pod);
      });
    }
    // A certificate still valid keeps serving while its successor is on its way.
    if (entry.issued && entry.issued.notAfter > now) return this.render(entry.issued);
    // The wait's timer is cleared once the certificate came: left running, it kept a stopping
    // agent alive until it fired (up to 20 s after the pod's last certificate was issued).
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      entry.pending.then(() => 'done', () => 'done'),
      new Promise((r) => { timer = setTimeout(r, WAIT_MS, 'waiting'); }),
    ]).finally(() => clearTimeout(timer));
    if (entry.issued && entry.issued.notAfter > Date.now()) return this.render(entry.issued);
    if (entry.refused) throw failedMount(entry.refused.message);
    throw failedMount(`volume ${volume.name}: ${outcome === 'waiting' ? 'waiting for' : 'could not get'} a certificate of secret class ${secretClass} (a CertificateSigningRequest for signer ${signerName(secretClass)})`);
  }

  private schedule(key: string, pod: Pod, at: number): void {
    clearTimeout(this.timers.get(key));
    const timer = setTimeout(() => this.wake(pod), Math.max(0, Math.min(at - Date.now(), 2 ** 31 - 1)));
    timer.unref();
    this.timers.set(key, timer);
  }

  /** A certificate an earlier run of the agent left in the volume, kept while not due for renewal. */
  private async adopt(volumeDir: string): Promise<Issued | undefined> {
    try {
      const [certPem, keyPem, trustBundle] = await Promise.all(['tls.crt', 'tls.key', 'ca.crt'].map((f) => readFile(join(volumeDir, f), 'utf8')));
      const valid = validityOf(certPem);
      const renewAt = valid.notBefore + (valid.notAfter - valid.notBefore) * RENEW_FROM;
      return renewAt > Date.now() ? { certPem, keyPem, trustBundle, ...valid, renewAt } : undefined;
    } catch {
      return undefined;
    }
  }

  private async issue(pod: Pod, volume: string, secretClass: string): Promise<Issued> {
    const klass = await this.client.resource<SecretClass>(SECRET_CLASS_API_VERSION, 'SecretClass').get(secretClass);
    const trustBundle = klass.status?.trustBundle;
    if (!trustBundle) throw new Error(`SecretClass ${secretClass} publishes no trust bundle yet (is the secrets operator running?)`);
    const { keyPem, certPem, csrName } = await requestCertificate(this.client, {
      signerName: signerName(secretClass), commonName: pod.metadata.name!, hosts: [this.nodeName, this.nodeIp], usages: CERTIFICATE_USAGES,
      namePrefix: `${pod.metadata.name!.slice(0, 200)}-${volume.slice(0, 40)}-`.toLowerCase().replace(/[^a-z0-9.-]/g, '-'),
      annotations: {
        [POD_NAMESPACE_ANNOTATION]: pod.metadata.namespace ?? 'default', [POD_NAME_ANNOTATION]: pod.metadata.name!,
        [POD_UID_ANNOTATION]: pod.metadata.uid!, [VOLUME_ANNOTATION]: volume,
      },
    }, this.signal);
    const valid = validityOf(certPem);
    this.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, volume, csr: csrName, notAfter: new Date(valid.notAfter).toISOString() }, 'certificate issued for a pod');
    return { keyPem, certPem, trustBundle, ...valid, renewAt: renewalTime(valid.notBefore, valid.notAfter) };
  }

  private render(issued: Issued): Map<string, VolumeFile> {
    const chain = issued.certPem;
    return new Map<string, VolumeFile>([
      ['tls.crt', { data: Buffer.from(issued.certPem), mode: 0o644 }],
      ['tls.key', { data: Buffer.from(issued.keyPem), mode: 0o600 }],
      ['ca.crt', { data: Buffer.from(issued.trustBundle), mode: 0o644 }],
      ['keystore.p12', { data: this.cached(issued, 'keystore', () => pkcs12Keystore(issued.keyPem, chain, STORE_PASSWORD)), mode: 0o600 }],
      ['truststore.p12', { data: this.cached(issued, 'truststore', () => pkcs12Truststore(issued.trustBundle, STORE_PASSWORD)), mode: 0o644 }],
    ]);
  }

  /** PKCS#12 files carry random salts: made once per certificate, so an unchanged volume is not rewritten. */
  private readonly stores = new WeakMap<Issued, Map<string, Buffer>>();
  private cached(issued: Issued, kind: string, make: () => Buffer): Buffer {
    let stores = this.stores.get(issued);
    if (!stores) this.stores.set(issued, (stores = new Map()));
    let data = stores.get(kind);
    if (!data) stores.set(kind, (data = make()));
    return data;
  }
}
