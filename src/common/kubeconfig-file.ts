// Kubeconfig files as kubectl reads them, for the credentials Granary hands out: the admin's and
// the nodes' (client certificate and key embedded) and bootstrap tokens. One cluster, one user,
// one context. Here rather than in the client because the API server writes them too.
import { chmod, rename, writeFile } from 'node:fs/promises';
import { stringify as toYaml } from 'yaml';

export interface KubeconfigSpec {
  /** e.g. https://127.0.0.1:6443 */
  server: string;
  /** The cluster's CA certificate (PEM), embedded. */
  caPem?: string;
  tlsServerName?: string;
  /** Name of the user entry. */
  user: string;
  credentials: { certPem: string; keyPem: string } | { token: string };
  /** Name of the cluster entry (default "granary"). */
  cluster?: string;
  /** Name of the context (default: the cluster's name). */
  context?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const cluster = spec.cluster ?? 'granary';
  const context = spec.context ?? cluster;
  const credentials = 'token' in spec.credentials
    ? { token: spec.credentials.token }
    : { 'client-certificate-data': b64(spec.credentials.certPem), 'client-key-data': b64(spec.credentials.keyPem) };
  return toYaml({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{
      name: cluster,
      cluster: {
        server: spec.server,
        ...(spec.caPem ? { 'certificate-authority-data': b64(spec.caPem) } : {}),
        ...(spec.tlsServerName ? { 'tls-server-name': spec.tlsServerName } : {}),
      },
    }],
    users: [{ name: spec.user, user: credentials }],
    contexts: [{ name: context, context: { cluster, user: spec.user } }],
    'current-context': context,
    preferences: {},
  });
}

/** Writes through a temporary file and a rename, so a crash never leaves half a file (or key) behind. */
export async function writeFileAtomically(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** Writes the kubeconfig readable by its owner only: it holds a credential. */
export async function writeKubeconfigFile(path: string, spec: KubeconfigSpec): Promise<void> {
  await writeFileAtomically(path, kubeconfigYaml(spec), 0o600);
}
