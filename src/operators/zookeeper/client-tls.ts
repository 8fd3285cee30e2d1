// How the operator itself reaches a cluster's client port: over TLS with the server class's trust
// bundle, and, when the cluster authenticates clients, with a client certificate of the client
// class that the operator asks for (a key made here, a CertificateSigningRequest it approves as
// itself: its credential needs `approve` on the signer) and renews when 60% of it has passed.
import { X509Certificate } from 'node:crypto';
import type { KubeClient } from '../../client/client.ts';
import type { Logger } from '../../common/log.ts';
import { requestCertificate } from '../../runtime/certificate-requests.ts';
import { SECRET_CLASS_API_VERSION, signerName, type SecretClass } from '../../runtime/secret-class.ts';
import type { ZookeeperCluster } from './crd.ts';
import type { ClientTls } from './four-letter.ts';
import { clientTlsNow } from './tls-stages.ts';

const RENEW_AT = 0.6;
const ISSUE_TIMEOUT_MS = 30_000;

interface Identity { cert: string; key: string; renewAt: number }

export class OperatorClientTls {
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly identities = new Map<string, Promise<Identity>>();

  constructor(client: KubeClient, log: Logger) {
    this.client = client;
    this.log = log;
  }

  /** TLS options for the cluster's client port as every server takes it now (mid-way through a TLS change too); undefined when it is plain text. */
  forCluster(cluster: ZookeeperCluster): Promise<ClientTls | undefined> {
    const tls = clientTlsNow(cluster);
    return this.forClasses(tls.server, tls.client);
  }

  /** TLS options for a client port with certificates of `server` whose clients need one of `client`; undefined: plain text. */
  async forClasses(server: string | undefined, client: string | undefined): Promise<ClientTls | undefined> {
    if (!server) return undefined;
    const serverClass = await this.client.resource<SecretClass>(SECRET_CLASS_API_VERSION, 'SecretClass').get(server);
    const ca = serverClass.status?.trustBundle;
    if (!ca) throw new Error(`SecretClass ${server} has no CA yet`);
    if (!client) return { ca };
    const identity = await this.identity(client);
    return { ca, cert: identity.cert, key: identity.key };
  }

  private async identity(secretClass: string): Promise<Identity> {
    const current = this.identities.get(secretClass);
    if (current) {
      const identity = await current.catch(() => undefined);
      if (identity && identity.renewAt > Date.now()) return identity;
      if (this.identities.get(secretClass) !== current) return this.identity(secretClass);
    }
    const next = requestCertificate(this.client, {
      signerName: signerName(secretClass), commonName: 'zookeeper-operator', usages: ['digital signature', 'key encipherment', 'client auth'],
      namePrefix: 'zookeeper-operator-', approve: true,
    }, AbortSignal.timeout(ISSUE_TIMEOUT_MS)).then(({ certPem, keyPem }) => {
      const cert = new X509Certificate(certPem);
      const from = Date.parse(cert.validFrom);
      this.log.info({ secretClass, notAfter: cert.validTo }, 'client certificate for the operator issued');
      return { cert: certPem, key: keyPem, renewAt: from + (Date.parse(cert.validTo) - from) * RENEW_AT };
    });
    this.identities.set(secretClass, next);
    next.catch(() => this.identities.delete(secretClass));
    return next;
  }
}
