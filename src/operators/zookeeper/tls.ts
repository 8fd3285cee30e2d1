// TLS for a ZookeeperCluster, without I/O: which secret classes it uses, the certificate volumes of
// its server pods (secrets.granary.dev CSI volumes the node agent fills: keystore.p12,
// truststore.p12, tls.crt, tls.key, ca.crt), the zoo.cfg settings that make client connections
// and quorum and election traffic TLS only (or, while TLS is turned on or off, take both: see
// tls-stages.ts), and the readiness check over TLS.
//
//   client port   serverSecretClass: the server's certificate; with authentication.tls, clients must
//                 present a certificate of clientSecretClass (the truststore is that class's)
//   quorum        quorumSecretClass: servers present and check certificates of that class both ways
import { STORE_PASSWORD } from '../../common/pkcs12.ts';
import { DEFAULT_SECRET_CLASS, SECRETS_DRIVER, type SecretClass } from '../../runtime/secret-class.ts';
import type { ZookeeperCluster } from './crd.ts';


export interface TlsSettings {
  /** The class of the servers' client-port certificates; undefined: plain-text client port. */
  server?: string;
  /** The class of quorum and election certificates; undefined: plain-text quorum. */
  quorum?: string;
  /** The class whose certificates clients must present; undefined: no client authentication. */
  client?: string;
  /** Mid-transition (tls-stages.ts): the client port takes plain-text clients as well as TLS ones. */
  clientPlainToo?: boolean;
  /** Mid-transition: quorum and election ports take plain-text peers as well as TLS ones. */
  quorumPlainToo?: boolean;
  /** Mid-transition: servers connect to their peers in plain text (they have quorum certificates, to take TLS peers). */
  quorumConnectsPlain?: boolean;
}

/** The TLS a cluster's spec asks for in the end (tls-stages.ts says what its servers run now). */
export function tlsSettings(cluster: ZookeeperCluster): TlsSettings {
  const tls = cluster.spec.clusterConfig?.tls;
  const pick = (value: string | undefined) => (value === undefined ? DEFAULT_SECRET_CLASS : value || undefined);
  return { server: pick(tls?.serverSecretClass), quorum: pick(tls?.quorumSecretClass), client: cluster.spec.clusterConfig?.authentication?.tls?.clientSecretClass };
}

/** The spec's TLS problems a user must fix. */
export function tlsProblems(cluster: ZookeeperCluster): string[] {
  const tls = tlsSettings(cluster);
  return tls.client && !tls.server
    ? ['spec.clusterConfig.authentication.tls needs TLS on the client port: set spec.clusterConfig.tls.serverSecretClass (or leave it out for "tls")']
    : [];
}

/** Every class the cluster uses, each once. */
export function secretClassesOf(tls: TlsSettings): string[] {
  return [...new Set([tls.server, tls.quorum, tls.client].filter((c): c is string => c !== undefined))];
}

/** Whether servers serve clients on ZooKeeper's secure client port (TLS only); else on the plain one, which takes TLS too mid-transition. */
export function usesSecureClientPort(tls: TlsSettings): boolean {
  return tls.server !== undefined && !tls.clientPlainToo;
}

type Purpose = 'server' | 'quorum' | 'client';
const MOUNTS: Record<Purpose, string> = { server: 'tls-server', quorum: 'tls-quorum', client: 'tls-client' };

/** The name of a certificate volume, and its directory below the mount root (the probe's working directory). */
export function tlsDirectory(purpose: Purpose): string {
  return MOUNTS[purpose];
}

/** The certificate volumes and their mounts below `root` ({{configroot}}, or a directory in a container). */
export function tlsVolumes(tls: TlsSettings, root: string): { volumes: { name: string; csi: { driver: string; readOnly: boolean; volumeAttributes: Record<string, string> } }[]; mounts: { name: string; mountPath: string }[] } {
  const used = (['server', 'quorum', 'client'] as const).filter((p) => tls[p] !== undefined);
  return {
    volumes: used.map((p) => ({ name: MOUNTS[p], csi: { driver: SECRETS_DRIVER, readOnly: true, volumeAttributes: { secretClass: tls[p]! } } })),
    mounts: used.map((p) => ({ name: MOUNTS[p], mountPath: `${root}/${MOUNTS[p]}` })),
  };
}

/** The zoo.cfg settings every server of a role group shares, its volumes mounted below `root` (the secure client port itself is per server). */
export function tlsProperties(tls: TlsSettings, root: string): Record<string, string> {
  const store = (purpose: Purpose, file: 'keystore.p12' | 'truststore.p12') => `${root}/${MOUNTS[purpose]}/${file}`;
  const props: Record<string, string> = {};
  if (tls.server) {
    Object.assign(props, {
      serverCnxnFactory: 'org.apache.zookeeper.server.NettyServerCnxnFactory',
      'ssl.keyStore.location': store('server', 'keystore.p12'), 'ssl.keyStore.password': STORE_PASSWORD, 'ssl.keyStore.type': 'PKCS12',
      'ssl.trustStore.location': store(tls.client ? 'client' : 'server', 'truststore.p12'), 'ssl.trustStore.password': STORE_PASSWORD, 'ssl.trustStore.type': 'PKCS12',
      'ssl.clientAuth': tls.client ? 'need' : 'none',
    });
    // The plain client port then takes TLS too (the secure client port is not used).
    if (tls.clientPlainToo) props['client.portUnification'] = 'true';
  }
  if (tls.quorum) {
    Object.assign(props, {
      sslQuorum: tls.quorumConnectsPlain ? 'false' : 'true',
      ...(tls.quorumPlainToo ? { portUnification: 'true' } : {}),
      'ssl.quorum.keyStore.location': store('quorum', 'keystore.p12'), 'ssl.quorum.keyStore.password': STORE_PASSWORD, 'ssl.quorum.keyStore.type': 'PKCS12',
      'ssl.quorum.trustStore.location': store('quorum', 'truststore.p12'), 'ssl.quorum.trustStore.password': STORE_PASSWORD, 'ssl.quorum.trustStore.type': 'PKCS12',
      // Peers are authenticated by the quorum class's CA. Their certificates name nodes, and a peer
      // connecting from another loopback address shows up as 127.0.0.1, so address checks are off.
      'ssl.quorum.hostnameVerification': 'false',
    });
  }
  return props;
}

/**
 * The readiness check's shell command: `srvr` on the client port answered with a Mode line. Over
 * TLS it runs `openssl s_client` from the volumes' mount root (the container's working directory)
 * with the server class's CA (and, when clients must authenticate, the pod's client certificate).
 */
export function serverCheck(tls: TlsSettings, address: string, port: number): string {
  if (!tls.server) return `exec 3<>/dev/tcp/${address}/${port} && printf srvr >&3 && grep -q '^Mode: ' <&3`;
  const identity = tls.client ? ` -cert ${MOUNTS.client}/tls.crt -key ${MOUNTS.client}/tls.key` : '';
  return `printf srvr | openssl s_client -quiet -ign_eof -verify_return_error -connect ${address}:${port} -CAfile ${MOUNTS.server}/ca.crt${identity} 2>/dev/null | grep -q '^Mode: '`;
}

/** The shortest certificate lifetime among the classes a cluster uses (undefined: no TLS, or a class not known yet). */
export function shortestLifetimeSeconds(tls: TlsSettings, classes: ReadonlyMap<string, SecretClass>): number | undefined {
  const lifetimes = secretClassesOf(tls).map((c) => classes.get(c)).filter((c): c is SecretClass => c !== undefined)
    .map((c) => c.spec.certificateLifetimeSeconds ?? 86_400);
  return lifetimes.length > 0 ? Math.min(...lifetimes) : undefined;
}

/** A server is restarted (for new certificates) once its pod is this far through the shortest lifetime. */
export const RESTART_AT_LIFETIME_FRACTION = 0.6;
