// A node agent's credential: a client certificate for user system:node:NAME in group system:nodes,
// signed by the cluster CA, in a kubeconfig of its own. Under it the agent has the rights of the
// Node authorizer and no more; the admin kubeconfig is for people and the control plane.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCertificateAuthority, signClientCertificate, writeKubeconfig, type CertificateAuthority } from '../pki.ts';
import { isDns1123Subdomain } from '../validation/names.ts';
import { nodeUsername, NODES_GROUP } from './node-authorizer.ts';

/** A year, as the other leaf certificates; re-issue by running the command again. */
const NODE_CERTIFICATE_DAYS = 365;

/** Why `name` cannot be a Node's name (a DNS-1123 subdomain, as Kubernetes requires), or undefined. */
export function nodeNameError(name: string): string | undefined {
  const errors = isDns1123Subdomain(name);
  return errors.length > 0 ? `invalid node name ${JSON.stringify(name)}: ${errors.join('; ')}` : undefined;
}

/** The client certificate and key of node `nodeName`, signed by `ca`. */
export async function issueNodeCertificate(ca: CertificateAuthority, nodeName: string, days = NODE_CERTIFICATE_DAYS): Promise<{ certPem: string; keyPem: string }> {
  const invalid = nodeNameError(nodeName);
  if (invalid) throw new Error(invalid);
  const issued = await signClientCertificate(ca, { commonName: nodeUsername(nodeName), organizations: [NODES_GROUP], days });
  return { certPem: issued.certPem, keyPem: issued.keyPem! };
}

/**
 * Writes a kubeconfig for node `nodeName` that reaches the API server at `server`, signed with
 * the CA under `dataDir/pki` (the API server's data directory). Written to `path`, by default
 * DATA_DIR/nodes/NAME.kubeconfig (mode 0600); returns where it went.
 */
export async function writeNodeKubeconfig(dataDir: string, nodeName: string, server: string, path?: string): Promise<string> {
  const pki = join(dataDir, 'pki');
  let ca: CertificateAuthority;
  try {
    ca = await loadCertificateAuthority(await readFile(join(pki, 'ca.crt'), 'utf8'), await readFile(join(pki, 'ca.key'), 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the cluster CA under ${pki} (start \`granary apiserver --data-dir ${dataDir}\` once to create it): ${(err as Error).message}`);
  }
  const { certPem, keyPem } = await issueNodeCertificate(ca, nodeName);
  const target = path ?? join(dataDir, 'nodes', `${nodeName}.kubeconfig`);
  if (!path) await mkdir(join(dataDir, 'nodes'), { recursive: true, mode: 0o700 });
  await writeKubeconfig(target, { server, caPem: ca.certPem, certPem, keyPem, user: nodeUsername(nodeName) });
  return target;
}
