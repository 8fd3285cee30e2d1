// A person's client certificate for the demo ensemble of `granary up`: a key made here, a
// certificate of the cluster's client secret class (asked for with a CertificateSigningRequest
// the administrator approves, as `granary up` runs with the admin credential), and the CA the
// servers' certificates chain to, written as PEM files and PKCS#12 stores under
// DATA_DIR/zookeeper-client (mode 0600 in a 0700 directory). Kept while at least 30% of its life
// is left. Returns how to connect with Debian's zkCli.sh and with openssl s_client.
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../../api/meta.ts';
import type { KubeClient } from '../../client/client.ts';
import { pkcs12Keystore, pkcs12Truststore, STORE_PASSWORD } from '../../common/pkcs12.ts';
import { requestCertificate } from '../../runtime/certificate-requests.ts';
import { signerName } from '../../runtime/secret-class.ts';
import { API_VERSION, type ZookeeperCluster } from './crd.ts';
import { ZOOKEEPER_JARS } from './pods.ts';
import { tlsSettings } from './tls.ts';
import type { ConfigMap } from '../../api/kinds/core.ts';

const KEEP_WHILE_LEFT = 0.3;

async function stillGood(certPath: string): Promise<boolean> {
  try {
    const cert = new X509Certificate(await readFile(certPath));
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    return to - Date.now() > (to - from) * KEEP_WHILE_LEFT;
  } catch {
    return false;
  }
}

export async function writeDemoClient(client: KubeClient, dataDir: string, demo: KubeObject): Promise<string[]> {
  const cluster = await client.resource<ZookeeperCluster>(API_VERSION, 'ZookeeperCluster').get(demo.metadata.name!, demo.metadata.namespace);
  const tls = tlsSettings(cluster);
  const hosts = cluster.status?.connectionString ?? '';
  if (!tls.server) return [`ZooKeeper ${demo.metadata.name} speaks plain text: zkCli.sh -server ${hosts}`];
  const discovery = await client.resource<ConfigMap>('v1', 'ConfigMap').get(cluster.metadata.name!, cluster.metadata.namespace);
  const ca = discovery.data?.['ca.crt'];
  if (!ca) return [`ZooKeeper ${demo.metadata.name}: its CA is not published yet (kubectl get configmap ${demo.metadata.name} -o yaml)`];

  const dir = join(dataDir, 'zookeeper-client');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);
  if (tls.client && !(await stillGood(file('tls.crt')))) {
    const issued = await requestCertificate(client, {
      signerName: signerName(tls.client), commonName: 'granary-user', usages: ['digital signature', 'key encipherment', 'client auth'],
      namePrefix: 'granary-user-', approve: true,
    }, AbortSignal.timeout(60_000));
    await writeFile(file('tls.key'), issued.keyPem, { mode: 0o600 });
    await writeFile(file('tls.crt'), issued.certPem, { mode: 0o600 });
    await writeFile(file('keystore.p12'), pkcs12Keystore(issued.keyPem, issued.certPem, STORE_PASSWORD), { mode: 0o600 });
  }
  await writeFile(file('ca.crt'), ca, { mode: 0o600 });
  await writeFile(file('truststore.p12'), pkcs12Truststore(ca, STORE_PASSWORD), { mode: 0o600 });

  const first = hosts.split(',')[0];
  const flags = [
    `-cp ${ZOOKEEPER_JARS.join(':')}`,
    '-Dzookeeper.client.secure=true', '-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty',
    `-Dzookeeper.ssl.trustStore.location=${file('truststore.p12')}`, `-Dzookeeper.ssl.trustStore.password=${STORE_PASSWORD}`,
    ...(tls.client ? [`-Dzookeeper.ssl.keyStore.location=${file('keystore.p12')}`, `-Dzookeeper.ssl.keyStore.password=${STORE_PASSWORD}`] : []),
  ];
  const identity = tls.client ? ` -cert ${file('tls.crt')} -key ${file('tls.key')}` : '';
  return [
    `ZooKeeper ${demo.metadata.name} speaks TLS only${tls.client ? `, to clients with a certificate of secret class ${tls.client}` : ''}.`,
    `Your client certificate: ${dir}/ (tls.crt, tls.key, ca.crt; keystore.p12 and truststore.p12, password ${STORE_PASSWORD})`,
    'Connect with the ZooKeeper CLI (Debian\'s zkCli.sh; -cp adds the netty jars its TLS needs):',
    `  CLIENT_JVMFLAGS="${flags.join(' ')}" \\`,
    `    /usr/share/zookeeper/bin/zkCli.sh -server ${hosts}`,
    'Or ask a server with openssl:',
    `  printf srvr | openssl s_client -quiet -connect ${first} -CAfile ${file('ca.crt')}${identity}`,
  ];
}
